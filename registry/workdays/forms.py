"""Input shapes of the staff calendar page; the rules are in workdays.editing."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import DateInput

from registry.forms import RegistryForm

KIND_LABELS = {"holiday": _l("放假（不计入工作日）"), "workday": _l("上班（计入工作日）")}


def parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _valid_day(_form, field) -> None:
    # A text field (not DateField) so our own message is shown and a mistyped value stays as typed.
    if parse_day(field.data) is None:
        raise ValidationError(_l("请按“2027-01-01”的格式填写日期。"))


class DayForm(RegistryForm):
    day = StringField(_l("日期"), widget=DateInput(),
                      validators=[InputRequired(message=_l("请填写日期。")), _valid_day])
    kind = SelectField(_l("这一天"), choices=[SelectChoice("", _l("请选择"))]
                       + [SelectChoice(value, label) for value, label in KIND_LABELS.items()],
                       validators=[DataRequired(message=_l("请选择放假还是上班。"))])
    name = StringField(_l("名称"), validators=[Length(max=64, message=_l("名称最多 %(max)s 个字。", max=64))],
                       description=_l("例如：春节、国庆节、调休上班（春节）。把工作日设为放假、或把周末设为上班时必填。"))
    submit = SubmitField(_l("保存"))

    def parsed_day(self) -> date | None:
        return parse_day(self.day.data)

    def is_workday(self) -> bool:
        return self.kind.data == "workday"


class ActionForm(RegistryForm):
    """A button that changes something: only the CSRF token is submitted."""

    submit = SubmitField(_l("确定"))
