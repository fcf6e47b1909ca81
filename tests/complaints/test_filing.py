"""Filing a complaint (complaints.filing): each field checked by name, the clause cited from the signed
pledge, tracking numbers, one complaint per form."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from registry.audit.models import AuditEntry
from registry.complaints import filing
from registry.uploads import process_image
from registry.complaints.models import Complaint, ComplaintEvent, EvidencePhoto
from registry.errors import DomainError, NotPermitted
from registry.extensions import db

from .helpers import (DESCRIPTION, NAME, PHONE, china, complaint_input, count, events_of, file, jpeg_bytes, today_china)

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

def nothing_saved(evidence_dir=None) -> None:
    db.session.commit()  # whatever the service left in the session would be written now
    assert count(Complaint) == 0
    assert count(ComplaintEvent) == 0
    assert count(EvidencePhoto) == 0
    assert count(AuditEntry, AuditEntry.action == "complaint.filed") == 0
    if evidence_dir is not None and evidence_dir.exists():
        assert list(evidence_dir.iterdir()) == []


# --- filing ------------------------------------------------------------------------------------

def _bad(field, **overrides):
    # An int purchase_date is a number of days from today in Beijing.
    return overrides, field


BAD_INPUT = [
    _bad("clause", clause="bribery"),
    _bad("clause", clause=""),
    _bad("clause", clause=7),  # the default pledge has six clauses
    _bad("description", description="太贵了"),
    _bad("description", description="  短短的 \n  "),
    _bad("description", description="字" * 2001),
    _bad("purchase_date", purchase_date=None),
    _bad("purchase_date", purchase_date=+1),
    _bad("purchase_date", purchase_date=-(3 * 365 + 1)),
    _bad("amount", amount_cents=None),
    _bad("amount", amount_cents=-1),
    _bad("amount", amount_cents=100_000_000 * 100 + 1),
    _bad("demands", demands=[]),
    _bad("demands", demands=["bribe", ""]),
    _bad("consumer_name", consumer_name="   "),
    _bad("consumer_phone", consumer_phone="12345"),
    _bad("consumer_phone", consumer_phone="23867452301"),
    _bad("consumer_phone", consumer_phone="+1 415 555 0100"),
    _bad("privacy_consent", privacy_consent=False),
]


def test_each_bad_field_is_refused_by_name_and_nothing_is_saved(world, evidence_dir, subtests):
    photo = process_image(io.BytesIO(jpeg_bytes()), "receipt.jpg")
    for overrides, field in BAD_INPUT:
        with subtests.test(msg=f"{field}: {overrides!r}"[:100]):
            if isinstance(overrides.get("purchase_date"), int):
                overrides = dict(overrides, purchase_date=today_china() + timedelta(days=overrides["purchase_date"]))
            data = complaint_input(**overrides)
            with pytest.raises(DomainError) as raised:
                filing.file_complaint(world.shop, data, [photo], PHONE, "form-key-1")
            assert raised.value.field == field
            assert raised.value.message and raised.value.status_code == 400
            nothing_saved(evidence_dir)


def test_privacy_consent_is_required_even_when_everything_else_is_right(world):
    with pytest.raises(DomainError) as raised:
        file(world.shop, privacy_consent=False)
    assert raised.value.field == "privacy_consent"
    assert "同意" in raised.value.message
    nothing_saved()


@pytest.mark.parametrize("verified", [None, "", "13900000000"], ids=["not verified", "empty", "another phone"])
def test_phone_must_be_the_verified_phone(world, verified):
    with pytest.raises(DomainError) as raised:
        filing.file_complaint(world.shop, complaint_input(), [], verified, "form-key-2")
    assert raised.value.field == "consumer_phone"
    nothing_saved()


def test_phone_typed_differently_is_the_same_verified_phone(world):
    complaint, _ = file(world.shop, consumer_phone="+86 138-6745-2301", verified=PHONE,
                        consumer_name="  欧阳   锋锐 ")
    assert complaint.consumer_phone == PHONE
    assert complaint.consumer_name == "欧阳 锋锐"


def test_seven_photos_are_too_many(world, evidence_dir):
    photos = [process_image(io.BytesIO(jpeg_bytes(colour=(i * 30, 0, 0))), f"{i}.jpg") for i in range(7)]
    with pytest.raises(DomainError) as raised:
        filing.file_complaint(world.shop, complaint_input(), photos, PHONE, "form-key-3")
    assert raised.value.field == "photos"
    nothing_saved(evidence_dir)


@pytest.mark.parametrize("key", ["", "k" * 65])
def test_a_missing_or_forged_form_key_is_refused(world, key):
    with pytest.raises(DomainError):
        filing.file_complaint(world.shop, complaint_input(), [], PHONE, key)
    nothing_saved()


def test_a_shop_that_is_not_public_cannot_be_complained_about(world, make_shop):
    pending = make_shop(signed=False)
    with pytest.raises(NotPermitted):
        file(pending)
    nothing_saved()


def test_boundaries_are_accepted(world, evidence_dir):
    photos = [process_image(io.BytesIO(jpeg_bytes()), f"{i}.jpg") for i in range(6)]
    complaint, _ = file(world.shop, description="一二三四五六七八九十", amount_cents=0,
                        purchase_date=today_china() - timedelta(days=3 * 365), photos=photos,
                        demands=["refund", "bribe"])
    assert complaint.description == "一二三四五六七八九十"
    assert complaint.amount_cents == 0 and complaint.demand_list == ["refund"]
    assert len(complaint.photos) == 6 and len(list(evidence_dir.iterdir())) == 6
    filed = events_of(complaint)
    assert [e[1] for e in filed] == ["filed"]
    assert json.loads(filed[0][5]) == {"consents": {"privacy": True, "share_phone": False}, "photos": 6}


def test_filing_records_consents_status_clock_and_audit(world, frozen, seeded):
    frozen.set(china(2025, 9, 30, 10))
    complaint, token = file(world.shop, share_phone_consent=True)
    assert complaint.status == "filed" and complaint.version == 1 and not complaint.is_public
    assert complaint.privacy_consent_at == complaint.share_phone_consent_at == frozen.now
    assert complaint.filed_at == frozen.now and complaint.decided_at is None
    assert filing.complaint_by_token(token).id == complaint.id
    assert complaint.access_token_hash != token and token not in complaint.access_token_hash
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "complaint.filed"))
    assert entry.actor_id is None and entry.subject_id == complaint.id
    assert PHONE not in entry.data and NAME not in entry.data  # the audit chain keeps no personal data


# --- tracking numbers --------------------------------------------------------------------------


def test_tracking_numbers_count_per_china_day(world, frozen):
    numbers = []
    for when in (china(2025, 9, 30, 9), china(2025, 9, 30, 9, 5), china(2025, 9, 30, 23, 59),
                 china(2025, 10, 1, 0, 1),  # 2025-09-30 16:01 UTC: already October 1 in Beijing
                 china(2025, 10, 1, 8)):
        frozen.set(when)
        numbers.append(file(world.shop)[0].tracking_number)
    assert numbers == ["TS20250930-0001", "TS20250930-0002", "TS20250930-0003",
                       "TS20251001-0001", "TS20251001-0002"]
    assert all(len(n) == len("TS20250930-0001") for n in numbers)


def test_tracking_numbers_keep_counting_past_9999(world, frozen):
    frozen.set(china(2025, 9, 30, 9))
    first, _ = file(world.shop)
    second, _ = file(world.shop)
    db.session.execute(update(Complaint.__table__).where(Complaint.__table__.c.id == first.id)
                       .values(tracking_number="TS20250930-9999"))
    db.session.execute(update(Complaint.__table__).where(Complaint.__table__.c.id == second.id)
                       .values(tracking_number="TS20250930-10000"))
    db.session.commit()
    assert file(world.shop)[0].tracking_number == "TS20250930-10001"


# --- one complaint per form --------------------------------------------------------------------


def test_same_submission_key_twice_gives_one_complaint_and_the_same_link(world):
    first, token = file(world.shop, key="one-form-key")
    again, same_token = file(world.shop, key="one-form-key", description="第二次提交时改了几个字，也不会另建一件投诉。")
    assert again.id == first.id and same_token == token
    assert again.description == DESCRIPTION
    assert count(Complaint) == 1
    assert [e[1] for e in events_of(first)] == ["filed"]
    assert count(AuditEntry, AuditEntry.action == "complaint.filed") == 1
    other, other_token = file(world.shop, key="another-form-key")
    assert other.id != first.id and other_token != token
