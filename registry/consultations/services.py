"""Recording consultations: what a valid entry is, who may record and change which entries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _

from sqlalchemy import update

from registry.auth.access import require_district
from registry.areas import services as areas
from registry.audit import services as audit
from registry.auth.models import User
from registry.consultations.models import CHANNELS, OUTCOMES, Consultation
from registry.clock import utcnow
from registry.errors import DomainError, NotFound, NotPermitted
from registry.extensions import db

EDIT_WINDOW = timedelta(hours=24)
MAX_SUMMARY_LENGTH = 2000
# Received "now" on a clock a few minutes fast is fine; tomorrow is a typing mistake.
_CLOCK_SLACK = timedelta(minutes=10)
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@dataclass
class ConsultationInput:
    channel: str
    topic: str
    district: str | None
    township: str | None
    summary: str
    outcome: str
    received_at: datetime | None


def _text(value: str | None) -> str:
    return " ".join((value or "").split())


def _checked(data: ConsultationInput, staff: User, now: datetime) -> ConsultationInput:
    """The entry as it will be stored, or a DomainError naming the field to fix."""
    if data.channel not in CHANNELS:
        raise DomainError(_("请选择咨询渠道。"), field="channel")
    topic = _text(data.topic)
    if not topic:
        raise DomainError(_("请填写咨询事项。"), field="topic")
    if len(topic) > 100:
        raise DomainError(_("咨询事项最多 %(max)d 个字。", max=100), field="topic")
    # Staff limited to a district record for that district, whatever the form says.
    if not (staff.district or _text(data.district)):
        raise DomainError(_("请填写区县。"), field="district")
    # Names from the managed list (any accepted spelling), so the yearly report counts one district once.
    area_list = areas.load_areas()
    district = area_list.named(staff.district) if staff.district else area_list.find_district(data.district)
    if district is None:  # a scope the list no longer has: never fall back to what the form says
        raise DomainError(_("您负责的区县不在区县名单中，请联系管理员。"), field="district")
    township = area_list.find_township(district, data.township).name if _text(data.township) else None
    district = district.name
    summary = (data.summary or "").strip()
    if not summary:
        raise DomainError(_("请填写咨询内容摘要。"), field="summary")
    if len(summary) > MAX_SUMMARY_LENGTH:
        raise DomainError(_("摘要最多 %(max)d 个字。", max=MAX_SUMMARY_LENGTH), field="summary")
    for field, value in (("topic", topic), ("summary", summary)):
        if _MOBILE.search(value.replace(" ", "").replace("-", "")):
            raise DomainError(_("请不要记录手机号码等个人信息，只写咨询的内容和答复。"), field=field)
    if data.outcome not in OUTCOMES:
        raise DomainError(_("请选择处理结果。"), field="outcome")
    received_at = data.received_at or now
    if received_at > now + _CLOCK_SLACK:
        raise DomainError(_("受理时间不能晚于现在。"), field="received_at")
    return ConsultationInput(data.channel, topic, district, township, summary, data.outcome, received_at)


def record_consultation(staff: User, data: ConsultationInput, now: datetime | None = None) -> Consultation:
    """Log one consultation received by `staff` (for their own district when they are limited to one)."""
    if not staff.is_staff:
        raise NotPermitted(_("只有工作人员可以登记咨询。"))
    now = now or utcnow()
    data = _checked(data, staff, now)
    consultation = Consultation(recorded_by_id=staff.id, created_at=now, updated_at=now, **vars(data))
    db.session.add(consultation)
    db.session.flush()
    audit.record("consultation.recorded", consultation, staff, channel=data.channel, district=data.district,
                 outcome=data.outcome)
    return consultation


def can_edit(consultation: Consultation, staff: User, now: datetime | None = None) -> bool:
    """Staff correct their own entries for a day after recording them; after that the log stands."""
    now = now or utcnow()
    return consultation.recorded_by_id == staff.id and now - consultation.created_at < EDIT_WINDOW


def require_visible(consultation: Consultation, staff: User) -> None:
    """Staff limited to a district see that district's consultations only."""
    require_district(staff, consultation.district, _("这条咨询记录不在您负责的区县。"))


def consultation_for(consultation_id: int, staff: User) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound(_("没有找到这条咨询记录。"))
    require_visible(consultation, staff)
    return consultation


def update_consultation(consultation: Consultation, staff: User, data: ConsultationInput,
                        now: datetime | None = None) -> Consultation:
    """Correct an entry: only its author, only within 24 hours of recording it."""
    now = now or utcnow()
    require_visible(consultation, staff)
    if consultation.recorded_by_id != staff.id:
        raise NotPermitted(_("只能修改自己登记的咨询记录。"))
    if not can_edit(consultation, staff, now):
        raise NotPermitted(_("登记超过 24 小时的记录不能再修改。"))
    data = _checked(data, staff, now)
    changed = sorted(field for field, value in vars(data).items() if getattr(consultation, field) != value)
    if not changed:
        return consultation
    for field in changed:
        setattr(consultation, field, getattr(data, field))
    consultation.updated_at = now
    db.session.flush()
    # Field names only: the summary's text stays in the consultations table.
    audit.record("consultation.updated", consultation, staff, fields=changed, channel=consultation.channel,
                 district=consultation.district, outcome=consultation.outcome)
    return consultation


@areas.district_renamed.connect
def _rename_district(district, old: str, new: str) -> dict[str, int]:
    """The log follows a renamed district, so its figures stay in one row of the report."""
    result = db.session.execute(update(Consultation).where(Consultation.district == old).values(district=new)
                                .execution_options(synchronize_session="fetch"))
    return {"consultations": result.rowcount}


@areas.township_renamed.connect
def _rename_township(township, district: str, old: str, new: str) -> dict[str, int]:
    result = db.session.execute(update(Consultation).where(Consultation.district == district,
                                                           Consultation.township == old).values(township=new)
                                .execution_options(synchronize_session="fetch"))
    return {"consultations": result.rowcount}
