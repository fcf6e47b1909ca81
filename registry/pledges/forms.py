"""Input shapes of the signing form and of the administrators' pledge drafting pages."""

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, FieldList, FormField, HiddenField, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from registry.forms import RegistryForm, RegistrySubform
from registry.pagination import bounded_integer
from registry.pledges.labels import CLAUSE_KIND_LABELS


class SignForm(RegistryForm):
    # One checkbox per clause, none pre-ticked: the owner confirms each promise separately.
    clauses = SelectMultipleField(
        _l("逐条确认"), coerce=int, option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False),
        validate_choice=False,
    )
    signer_name = StringField(_l("签署人姓名"), validators=[
        DataRequired(message=_l("请填写签署人姓名。")), Length(max=64, message=_l("最多 64 个字符。"))])
    signer_title = StringField(_l("职务"), description=_l("例如：店主、法定代表人、店长"), validators=[
        DataRequired(message=_l("请填写签署人职务，例如：店主、法定代表人。")), Length(max=64, message=_l("最多 64 个字符。"))])
    # The version the owner read; if a new one was published meanwhile, signing is refused.
    version_id = HiddenField()
    submit = SubmitField(_l("确认签署"))


class ClauseForm(RegistrySubform):
    """One numbered clause of a draft; rows left empty are not part of the text."""

    kind = SelectField(_l("类别"), choices=[SelectChoice("", _l("请选择"))]
                       + [SelectChoice(kind, label) for kind, label in CLAUSE_KIND_LABELS.items()],
                       validate_choice=False)
    text = TextAreaField(_l("中文内容"))
    text_en = TextAreaField(_l("英文译文（可选）"))


class PledgeDraftForm(RegistryForm):
    title = StringField(_l("标题"), validators=[
        DataRequired(message=_l("请填写标题。")), Length(max=100, message=_l("标题最多 %(max)d 个字。", max=100))])
    preamble = TextAreaField(_l("开头语"), validators=[DataRequired(message=_l("请填写倡议书的开头语。"))],
                             description=_l("签署人在逐条承诺之前读到的一段话。"))
    preamble_en = TextAreaField(_l("开头语英文译文（可选）"),
                                description=_l("仅供英文读者参考；商户签署的是中文文本。"))
    clauses = FieldList(FormField(ClauseForm), label=_l("承诺条款"))
    add_rows = SubmitField(_l("增加空白条款"))
    submit = SubmitField(_l("保存草稿"))

    def clause_rows(self) -> list[dict]:
        return [{"kind": row.kind.data, "text": row.text.data, "text_en": row.text_en.data}
                for row in self.clauses]


def _whole_days(_form, field) -> None:
    # A text field (not IntegerField) so our own message is shown and the typed value is kept.
    text = (field.data or "").strip()
    if bounded_integer(text, 0, 365) is None:
        raise ValidationError(_l("重新签署期限应为 0 到 %(max)d 天的整数。", max=365))


class PublishForm(RegistryForm):
    resign_days = StringField(
        _l("重新签署期限（天）"), default="30",
        validators=[InputRequired(message=_l("请填写重新签署期限。")), _whole_days],
        description=_l("已签署旧版本的店铺须在期限内签署新版本，逾期显示为“已过期”。期限截至最后一天 23:59（北京时间）。"))
    confirm = BooleanField(_l("我已预览全文。发布后本版本成为现行倡议书，不能再修改。"),
                           validators=[DataRequired(message=_l("请确认已预览全文。"))])
    submit = SubmitField(_l("发布"))

    def days(self) -> int:
        return int(self.resign_days.data.strip())


class ActionForm(RegistryForm):
    """A button that changes something: only the CSRF token is submitted."""

    submit = SubmitField(_l("确定"))
