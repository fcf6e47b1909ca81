"""Recording consultations: a complete entry is kept as typed (tidied), mistakes are refused next to the
field, staff limited to a district record for it, and authors may correct an entry for 24 hours."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.consultations.models import Consultation
from registry.consultations.services import (ConsultationInput, can_edit, consultation_for, record_consultation,
                                             update_consultation)
from registry.errors import DomainError, NotFound, NotPermitted
from registry.extensions import db

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing


def entry(**overrides) -> ConsultationInput:
    values = dict(channel="phone", topic="预付卡退费", district="西湖区", township="转塘街道",
                  summary="健身房闭店，询问预付卡余额如何退还。告知先与经营者协商，协商不成可投诉。",
                  outcome="answered", received_at=NOW - timedelta(minutes=20))
    values.update(overrides)
    return ConsultationInput(**values)


@pytest.fixture
def staff(make_user):
    return make_user(role="staff", name="全区工作人员")


@pytest.fixture
def xihu_staff(make_user):
    return make_user(role="staff", name="西湖区工作人员", district="西湖区")


def count() -> int:
    return db.session.scalar(select(func.count(Consultation.id)))


def stored(consultation) -> Consultation:
    db.session.expire_all()
    return db.session.get(Consultation, consultation.id)


def test_a_consultation_is_recorded_and_audited(staff):
    consultation = record_consultation(staff, entry(topic="  预付卡   退费 ", township=""), now=NOW)
    db.session.commit()

    row = stored(consultation)
    assert (row.channel, row.topic, row.district, row.township, row.outcome) == (
        "phone", "预付卡 退费", "西湖区", None, "answered")
    assert row.received_at == NOW - timedelta(minutes=20)
    assert (row.recorded_by_id, row.created_at) == (staff.id, NOW)
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "consultation.recorded"))
    assert (audit.subject_id, audit.actor_id) == (row.id, staff.id)
    assert json.loads(audit.data) == {"channel": "phone", "district": "西湖区", "outcome": "answered"}


def test_received_now_when_no_time_is_given(staff):
    consultation = record_consultation(staff, entry(received_at=None), now=NOW)

    assert consultation.received_at == NOW


def test_staff_limited_to_a_district_record_for_that_district(xihu_staff):
    consultation = record_consultation(xihu_staff, entry(district="滨江区"), now=NOW)

    assert consultation.district == "西湖区"


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"channel": "fax"}, "channel", "请选择咨询渠道。"),
    ({"topic": "  "}, "topic", "请填写咨询事项。"),
    ({"topic": "长" * 101}, "topic", "咨询事项最多 100 个字。"),
    ({"district": ""}, "district", "请填写区县。"),
    ({"district": "滨江区", "township": "转塘街道"}, "township",
     "滨江区没有“转塘街道”这个乡镇（街道）。可以填写：西兴街道、长河街道、浦沿街道。"),
    ({"summary": ""}, "summary", "请填写咨询内容摘要。"),
    ({"summary": "消费者王女士 138 6745 2301 询问退款"}, "summary", "请不要记录手机号码等个人信息，只写咨询的内容和答复。"),
    ({"topic": "回电13867452301"}, "topic", "请不要记录手机号码等个人信息，只写咨询的内容和答复。"),
    ({"outcome": "ignored"}, "outcome", "请选择处理结果。"),
    ({"received_at": NOW + timedelta(hours=2)}, "received_at", "受理时间不能晚于现在。"),
])
def test_a_mistake_is_refused_next_to_its_field_and_nothing_is_saved(staff, overrides, field, message):
    with pytest.raises(DomainError) as refused:
        record_consultation(staff, entry(**overrides), now=NOW)

    db.session.rollback()
    assert (refused.value.field, refused.value.message) == (field, message)
    assert count() == 0
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_a_merchant_cannot_record_consultations(make_user):
    with pytest.raises(NotPermitted):
        record_consultation(make_user(), entry(), now=NOW)
    assert count() == 0


def test_the_author_corrects_an_entry_within_24_hours(staff):
    consultation = record_consultation(staff, entry(), now=NOW)
    db.session.commit()

    later = NOW + timedelta(hours=23, minutes=59)
    update_consultation(consultation, staff, entry(outcome="complaint", topic="预付卡退费（已转投诉）"), now=later)
    db.session.commit()

    row = stored(consultation)
    assert (row.outcome, row.topic, row.updated_at) == ("complaint", "预付卡退费（已转投诉）", later)
    audit = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()[-1]
    assert audit.action == "consultation.updated"
    assert json.loads(audit.data)["fields"] == ["outcome", "topic"]
    assert "预付卡退费（已转投诉）" not in audit.data  # the log names fields, not their text


def test_an_unchanged_correction_writes_nothing(staff):
    consultation = record_consultation(staff, entry(), now=NOW)
    db.session.commit()
    entries = db.session.scalar(select(func.count(AuditEntry.id)))

    update_consultation(consultation, staff, entry(), now=NOW + timedelta(hours=1))

    assert db.session.scalar(select(func.count(AuditEntry.id))) == entries


def test_after_24_hours_the_entry_stands(staff):
    consultation = record_consultation(staff, entry(), now=NOW)
    db.session.commit()
    later = NOW + timedelta(hours=24)

    assert can_edit(consultation, staff, later) is False
    with pytest.raises(NotPermitted) as refused:
        update_consultation(consultation, staff, entry(outcome="other"), now=later)

    db.session.rollback()
    assert "24 小时" in refused.value.message
    assert stored(consultation).outcome == "answered"


def test_only_the_author_corrects_an_entry(staff, make_user):
    consultation = record_consultation(staff, entry(), now=NOW)
    db.session.commit()
    colleague = make_user(role="admin")

    assert can_edit(consultation, colleague, NOW) is False
    with pytest.raises(NotPermitted):
        update_consultation(consultation, colleague, entry(outcome="other"), now=NOW)

    db.session.rollback()
    assert stored(consultation).outcome == "answered"


def test_staff_of_another_district_cannot_open_an_entry(staff, make_user):
    consultation = record_consultation(staff, entry(district="西湖区"), now=NOW)
    db.session.commit()

    assert consultation_for(consultation.id, make_user(role="staff", district="西湖区")).id == consultation.id
    with pytest.raises(NotPermitted):
        consultation_for(consultation.id, make_user(role="staff", district="滨江区"))
    with pytest.raises(NotFound):
        consultation_for(999999, staff)
