"""Input shapes of the consultations page: the quick-entry form and the list filters."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import DateTimeLocalInput, MonthInput

from registry.consultations.labels import CHANNEL_LABELS, OUTCOME_LABELS
from registry.consultations.services import ConsultationInput
from registry.clock import CHINA
from registry.forms import RegistryForm

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def parse_local(text: str | None) -> datetime | None:
    """"2026-11-28T09:30" typed in Beijing time, as an aware datetime."""
    value = (text or "").strip().replace(" ", "T")
    for fmt in (LOCAL_FORMAT, LOCAL_FORMAT + ":%S"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=CHINA)
        except ValueError:
            continue
    return None


def local_text(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime(LOCAL_FORMAT)


def _local_datetime(_form, field) -> None:
    # A text field (not DateTimeLocalField) so our own message is shown and the typed value is kept.
    if parse_local(field.data) is None:
        raise ValidationError(_l("请按“2026-11-28 09:30”的格式填写受理时间。"))


class ConsultationForm(RegistryForm):
    channel = RadioField(_l("渠道"), choices=[SelectChoice(value, label) for value, label in CHANNEL_LABELS.items()],
                         validators=[InputRequired(message=_l("请选择咨询渠道。"))], validate_choice=False)
    received_at = StringField(_l("受理时间"), widget=DateTimeLocalInput(),
                              validators=[InputRequired(message=_l("请填写受理时间。")), _local_datetime])
    topic = StringField(_l("咨询事项"), description=_l("例如：预付卡退费、商品质量。"), validators=[
        DataRequired(message=_l("请填写咨询事项。")), Length(max=100, message=_l("咨询事项最多 %(max)d 个字。", max=100))])
    district = StringField(_l("区县"), validators=[Length(max=64, message=_l("区县名称最多 %(max)d 个字。", max=64))])
    township = StringField(_l("乡镇（街道，可选）"),
                           validators=[Length(max=64, message=_l("乡镇（街道）名称最多 %(max)d 个字。", max=64))])
    summary = TextAreaField(_l("内容摘要"), description=_l("问了什么、怎样答复的。不要写姓名、电话等个人信息。"),
                            validators=[DataRequired(message=_l("请填写咨询内容摘要。"))])
    outcome = RadioField(_l("处理结果"), choices=[SelectChoice(value, label) for value, label in OUTCOME_LABELS.items()],
                         validators=[InputRequired(message=_l("请选择处理结果。"))], validate_choice=False)
    submit = SubmitField(_l("保存"))

    def data_input(self) -> ConsultationInput:
        return ConsultationInput(
            channel=self.channel.data or "", topic=self.topic.data or "", district=self.district.data,
            township=self.township.data, summary=self.summary.data or "", outcome=self.outcome.data or "",
            received_at=parse_local(self.received_at.data),
        )


class ConsultationFilterForm(RegistryForm):
    """The filters above the list (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    channel = SelectField(_l("渠道"), choices=[SelectChoice("", _l("全部渠道"))]
                          + [SelectChoice(value, label) for value, label in CHANNEL_LABELS.items()],
                          validate_choice=False)
    district = SelectField(_l("区县"), validate_choice=False)
    month = StringField(_l("月份"), widget=MonthInput())
