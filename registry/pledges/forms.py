"""Input shape of the signing form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget


class SignForm(FlaskForm):
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
