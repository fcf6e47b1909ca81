"""Input shapes of the campaign pages; the rules are in campaigns.imports, claims and printing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from registry.forms import RegistryForm


class UploadForm(RegistryForm):
    file = FileField(_l("店铺名单（CSV 或 Excel .xlsx）"), validators=[FileRequired(message=_l("请选择要上传的文件。"))],
                     description=_l("第一行是列名；每个文件最多 5000 行。CSV 可以是 UTF-8 或 GBK（Excel 默认）编码。"))
    # Only for staff of the whole area (a district's staff import their own district); choices set by the view.
    district = SelectField(_l("整份名单所属区县"), choices=[], default="",
                           description=_l("文件没有“区/县”列时必选；有这一列时按每行填写的区县导入。"))
    submit = SubmitField(_l("上传并检查"))


class DecisionForm(RegistryForm):
    """Two buttons: import the rows that passed every check, or import nothing."""

    import_valid = SubmitField(_l("只导入正确的行"))
    import_none = SubmitField(_l("全部不导入"))


class ActionForm(RegistryForm):
    """A button that changes something or is recorded: only the CSRF token is submitted."""

    submit = SubmitField(_l("确定"))


class PosterForm(RegistryForm):
    """Which signed shops to print posters for: a district and township, or one import batch."""

    class Meta:
        # The choice is made with GET (bookmarkable preview); printing posts it again with a token.
        csrf = False

    district = SelectField(_l("区/县"), choices=[], validate_choice=False)
    township = SelectField(_l("乡镇/街道"), choices=[], validate_choice=False)
    batch = SelectField(_l("导入批次"), choices=[], validate_choice=False)


class ClaimForm(RegistryForm):
    code = StringField(_l("邀请码"), validators=[DataRequired(message=_l("请填写邀请函上的邀请码。")), Length(max=32)],
                       description=_l("邀请函上的 8 位字母和数字，例如 ABCD-EFGH，大小写都可以"))
    phone_last4 = StringField(_l("联系电话后 4 位"),
                              validators=[DataRequired(message=_l("请填写联系电话的后 4 位。")), Length(max=16)],
                              description=_l("工作人员上门登记时留下的手机号的最后 4 位数字，用来确认是店主本人"))
    submit = SubmitField(_l("认领店铺"))


# --- Door-to-door signing (campaigns.onsite) --------------------------------------------------------

class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FindShopForm(RegistryForm):
    credit_code = StringField(_l("统一社会信用代码"), validators=[DataRequired(message=_l("请填写统一社会信用代码。"))],
                              description=_l("营业执照上的 18 位代码"))
    submit = SubmitField(_l("查找店铺"))


class SendCodeForm(RegistryForm):
    """One button: text the confirmation code to the shop's registered mobile phone."""

    submit = SubmitField(_l("发送确认码到店主手机"))


class _OnsiteSigner(RegistryForm):
    signer_name = StringField(_l("签署人姓名"), validators=[DataRequired(message=_l("请填写签署人姓名。")),
                                                       Length(max=64, message=_l("最多 64 个字。"))])
    # The default is data signed in Chinese, not a label: never translated.
    signer_title = StringField(_l("签署人职务"), default="店主",
                               validators=[DataRequired(message=_l("请填写签署人职务，例如：店主、法定代表人。")),
                                           Length(max=64, message=_l("最多 64 个字。"))])


class CodeSigningForm(_OnsiteSigner):
    clauses = MultiCheckboxField(_l("店主逐条确认的承诺"), coerce=int, choices=[], validate_choice=False)
    code = StringField(_l("店主手机收到的确认码"), validators=[DataRequired(message=_l("请填写店主手机收到的 6 位确认码。"))],
                       description=_l("请店主本人在平板上输入"))
    submit = SubmitField(_l("确认并签署"))


class PaperSigningForm(_OnsiteSigner):
    photo = FileField(_l("签字后的纸质倡议书照片"), description=_l("JPEG/PNG/WebP，不超过 10 MB；只有工作人员可以查看"))
    attested = BooleanField(_l("我确认：店主已当面在纸质倡议书上签字，照片就是这份倡议书"))
    attested_name = StringField(_l("核实人（工作人员）姓名"), validators=[Length(max=64, message=_l("最多 64 个字。"))],
                                description=_l("记入审计日志；公开页面只显示经办单位，不显示工作人员姓名"))
    submit = SubmitField(_l("上传并签署"))
