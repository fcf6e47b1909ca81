"""Input shapes of the ownership claim pages; the rules are in ownership.claims."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from registry.forms import RegistryForm
from registry.pagination import ID_MAX, bounded_integer


class ClaimForm(RegistryForm):
    """One form, two buttons: "send code" texts the phone and shows the form again with what was typed;
    "file" files the claim with the code."""

    credit_code = StringField(_l("统一社会信用代码"), validators=[Length(max=40)],
                              description=_l("营业执照上的 18 位代码。"))
    name = StringField(_l("您的姓名"), validators=[Length(max=64, message=_l("最多 %(max)d 个字。"))],
                       description=_l("与营业执照上的经营者或法定代表人一致。"))
    phone = StringField(_l("手机号"), validators=[Length(max=20)],
                        description=_l("核实通过后，这个号码会成为店铺的联系电话。"))
    send_code = SubmitField(_l("获取验证码"))
    code = StringField(_l("短信验证码"), validators=[Length(max=12)])
    statement = TextAreaField(_l("情况说明"), validators=[Length(max=1000, message=_l("最多 %(max)d 个字。"))],
                              description=_l("例如：何时开始经营这家店铺，为什么这家店铺不是由您登记的。"))
    licence = FileField(_l("营业执照照片"), description=_l("拍清楚店铺名称和统一社会信用代码。只有工作人员能看到。"))
    submit = SubmitField(_l("提交认领申请"))


class DecideClaimForm(RegistryForm):
    decision = RadioField(_l("核实结果"), choices=[SelectChoice("transfer", _l("属实：把店铺转到申请人账户")),
                                               SelectChoice("reject", _l("不予通过"))],
                          validators=[InputRequired(message=_l("请选择核实结果。"))])
    reason = TextAreaField(_l("不予通过的原因"), description=_l("不予通过时必填，申请人会收到这段话。"),
                           validators=[Length(max=2000, message=_l("最多 %(max)d 个字。"))])
    internal_note = TextAreaField(_l("内部备注（仅工作人员可见）"),
                                  validators=[Optional(), Length(max=2000, message=_l("最多 %(max)d 个字。"))])
    version = HiddenField()
    submit = SubmitField(_l("提交核实结果"))

    def expected_version(self) -> int:
        value = bounded_integer((self.version.raw_data or [""])[0], 0, ID_MAX)
        return -1 if value is None else value
