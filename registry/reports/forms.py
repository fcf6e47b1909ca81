"""Input shape of the staff read pages: the report's period picker and the audit log's filters (both GET
forms: they change nothing, so no CSRF token)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import DateInput, MonthInput

from registry.forms import RegistryForm

KIND_LABELS = {"year": _l("全年"), "quarter": _l("按季度"), "month": _l("按月"), "range": _l("自选日期")}
QUARTER_LABELS = {"1": _l("第一季度"), "2": _l("第二季度"), "3": _l("第三季度"), "4": _l("第四季度")}


class PeriodForm(RegistryForm):
    """Values are checked by reports.periods.parse_period (so the message names the field and the
    typed value stays in the form); the fields here only show them."""

    class Meta:
        csrf = False

    kind = RadioField(_l("统计期间"), choices=[SelectChoice(v, label) for v, label in KIND_LABELS.items()],
                      default="year", validate_choice=False)
    year = SelectField(_l("年份"), description=_l("用于“全年”和“按季度”"), validate_choice=False)
    quarter = SelectField(_l("季度"), choices=[SelectChoice(v, label) for v, label in QUARTER_LABELS.items()],
                          validate_choice=False)
    month = StringField(_l("月份"), widget=MonthInput())
    start = StringField(_l("起始日期"), widget=DateInput(), description=_l("用于“自选日期”"))
    end = StringField(_l("截止日期（含当天）"), widget=DateInput())
    district = SelectField(_l("区县"), validate_choice=False)


# --- The audit log's filters ----------------------------------------------------------------------

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


class AuditFilterForm(RegistryForm):
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
