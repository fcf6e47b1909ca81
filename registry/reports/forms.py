"""The period picker above the staff report (GET: it changes nothing, so no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import DateInput, MonthInput

KIND_LABELS = {"year": _l("全年"), "quarter": _l("按季度"), "month": _l("按月"), "range": _l("自选日期")}
QUARTER_LABELS = {"1": _l("第一季度"), "2": _l("第二季度"), "3": _l("第三季度"), "4": _l("第四季度")}


class PeriodForm(FlaskForm):
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
