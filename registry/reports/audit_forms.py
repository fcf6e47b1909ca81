"""Input shape of the audit log filters (a GET form: nothing changes, so no CSRF token)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import DateInput


def parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _day_or_empty(_form, field) -> None:
    if (field.data or "").strip() and parse_day(field.data) is None:
        raise ValidationError(_l("请按“2027-01-01”的格式填写日期。"))


def _number_or_empty(_form, field) -> None:
    text = (field.data or "").strip()
    if text and (not text.isascii() or not text.isdigit() or len(text) > 12):
        raise ValidationError(_l("请填写数字编号。"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("操作类别"), validate_choice=False)
    actor = SelectField(_l("操作人"), validate_choice=False)
    subject_type = SelectField(_l("对象类型"), validate_choice=False)
    subject_id = StringField(_l("对象编号"), validators=[Optional(), _number_or_empty])
    date_from = StringField(_l("起始日期"), widget=DateInput(), validators=[Optional(), _day_or_empty])
    date_to = StringField(_l("截止日期"), widget=DateInput(), validators=[Optional(), _day_or_empty])
    until = StringField(_l("截至记录编号"), validators=[Optional(), _number_or_empty])

    def number(self, field) -> int | None:
        text = (field.data or "").strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None
