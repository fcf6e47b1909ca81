"""Handling a complaint (complaints.handling): the filed text never changes, working-day clocks, staff
within their district and audited, the shop's reply and the consumer's answers.

Clock dates are worked out by hand from the State Council's 2025 schedule: 国庆节/中秋节 Oct 1–8 off,
Sun Sep 28 and Sat Oct 11 worked; no other holiday between Oct 9 and the end of the year.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from registry.audit.models import AuditEntry
from registry.audit.services import verify_chain
from registry.clock import local_datetime, utcnow
from registry.complaints import handling
from registry.complaints.models import Complaint
from registry.errors import Conflict, DomainError, NotPermitted
from registry.extensions import db

from .helpers import DESCRIPTION, NAME, PHONE, china, count, do, events_of, file, snapshot, walk

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

# The columns the consumer filed: never edited by any service afterwards.
FILED_COLUMNS = ("tracking_number", "merchant_id", "pledge_version_id", "clause_number", "clause_kind", "description",
                 "purchase_date", "amount_cents", "demands", "consumer_name", "consumer_phone", "privacy_consent_at", "share_phone_consent_at",
                 "access_token_hash", "submission_key", "filed_at")


# --- the filed text never changes ------------------------------------------------------------


def test_no_service_edits_what_was_filed(world):
    complaint, _ = file(world.shop)
    filed = {c: getattr(complaint, c) for c in FILED_COLUMNS}
    for action in ("add_information", "staff_note", "accept", "add_information", "merchant_reply", "reject_offer",
                   "merchant_reply", "schedule_mediation", "add_information", "record_mediated", "followup",
                   "staff_note"):
        do(action, complaint, world)
        db.session.commit()
        db.session.expire_all()
        complaint = db.session.get(Complaint, complaint.id)
        assert {c: getattr(complaint, c) for c in FILED_COLUMNS} == filed, f"{action} changed the filed text"
    assert complaint.status == "closed"


def test_add_information_appends_an_event_and_leaves_the_description(world):
    complaint, _ = file(world.shop)
    before = events_of(complaint)
    handling.add_information(complaint, "  更正：购买日期应为前天，不是昨天。  ")
    db.session.commit()
    after = events_of(complaint)
    assert after[:len(before)] == before
    added = after[-1]
    assert added[1:5] == ("consumer_added", "consumer", None, "更正：购买日期应为前天，不是昨天。")
    assert added[6] is False  # not public
    assert db.session.get(Complaint, complaint.id).description == DESCRIPTION


@pytest.mark.parametrize("body", ["", "   ", "补" * 2001])
def test_add_information_refuses_empty_or_too_long(world, body):
    complaint, _ = file(world.shop)
    before = snapshot(complaint)
    with pytest.raises(DomainError) as raised:
        handling.add_information(complaint, body)
    assert raised.value.field == "body"
    db.session.commit()
    assert snapshot(complaint) == before


# --- working-day clocks ------------------------------------------------------------------------


@pytest.mark.parametrize(("filed_at", "due"), [
    # Tue Sep 30: Oct 1–8 off; Oct 9, 10, 11 (Sat, 调休), 13, 14, 15, 16.
    (china(2025, 9, 30, 10), date(2025, 10, 16)),
    # The Friday before: Sun Sep 28 (调休) 1, Mon 29, Tue 30, then Oct 9, 10, Sat 11 (调休), Mon 13.
    (china(2025, 9, 26, 16), date(2025, 10, 13)),
    # Late on Fri Oct 10 in Beijing: Sat 11, 13, 14, 15, 16, 17, 20.
    (china(2025, 10, 10, 23, 30), date(2025, 10, 20)),
    # An hour later it is Saturday Oct 11 in Beijing (still Friday in UTC): counting starts a day later.
    (china(2025, 10, 11, 0, 30), date(2025, 10, 21)),
], ids=["tue-before-national-day", "friday-before-national-day", "fri-late-evening", "sat-after-midnight"])
def test_decision_clock_is_seven_working_days_on_the_chinese_calendar(world, frozen, seeded, filed_at, due):
    frozen.set(filed_at)
    complaint, _ = file(world.shop)
    assert complaint.due_date == due
    assert complaint.due_uses_fallback is False


def test_year_without_a_schedule_counts_weekends_only_and_says_so(world, frozen):
    frozen.set(china(2025, 9, 30, 10))  # calendar not seeded: Oct 1 is an ordinary Wednesday
    complaint, _ = file(world.shop)
    assert complaint.due_date == date(2025, 10, 9)
    assert complaint.due_uses_fallback is True


def test_reply_clock_is_ten_working_days_from_acceptance(world, frozen, seeded):
    frozen.set(china(2025, 9, 26, 9))
    complaint, _ = file(world.shop)
    frozen.set(china(2025, 9, 30, 15))
    do("accept", complaint, world)
    db.session.commit()
    # Oct 9, 10, 11 (调休), 13, 14, 15, 16, 17, 20, 21.
    assert complaint.decided_at == frozen.now
    assert complaint.due_date == date(2025, 10, 21) and not complaint.due_uses_fallback


# 45 working days after Tue Sep 30: Oct 9–11 (3), then five a week for eight weeks to Dec 5 (43),
# Mon Dec 8 (44), Tue Dec 9 (45).
MEDIATION_DUE = date(2025, 12, 9)


def test_mediation_clock_is_45_working_days_from_acceptance(world, frozen, seeded):
    frozen.set(china(2025, 9, 30, 10))
    complaint, _ = file(world.shop)
    do("accept", complaint, world)
    db.session.commit()
    frozen.set(china(2025, 10, 20, 10))
    do("schedule_mediation", complaint, world)
    db.session.commit()
    assert complaint.mediation_started_at == frozen.now
    assert complaint.due_date == MEDIATION_DUE
    # Rescheduling keeps the clock and the start.
    frozen.set(china(2025, 11, 3, 10))
    do("schedule_mediation", complaint, world)
    db.session.commit()
    assert complaint.due_date == MEDIATION_DUE
    assert complaint.mediation_started_at == china(2025, 10, 20, 10)
    frozen.set(china(2025, 11, 10, 10))
    do("record_failed", complaint, world)
    db.session.commit()
    assert complaint.due_date is None and complaint.closed_at == frozen.now


@pytest.mark.parametrize("path", [["merchant_reply"], ["merchant_reply", "reject_offer"]])
def test_after_the_reply_the_mediation_window_runs_from_acceptance(world, frozen, seeded, path):
    frozen.set(china(2025, 9, 30, 10))
    complaint, _ = file(world.shop)
    do("accept", complaint, world)
    db.session.commit()
    for action in path:
        frozen.advance(days=12)
        do(action, complaint, world)
        db.session.commit()
    assert complaint.due_date == MEDIATION_DUE


@pytest.mark.parametrize("variant", ["closed_agreed", "closed_mediated", "closed_failed", "refused",
                                     "withdrawn_before_acceptance", "withdrawn_after_acceptance"])
def test_a_finished_case_has_no_running_clock(world, variant):
    complaint, _ = file(world.shop)
    walk(complaint, world, variant)
    assert complaint.due_date is None and complaint.closed_at is not None


# --- staff: district, audit --------------------------------------------------------------------

STAFF_PATHS = {
    "accept": "filed", "refuse": "filed", "schedule_mediation": "accepted", "record_mediated": "mediating",
    "record_failed": "mediating", "staff_note": "replied",
}


@pytest.mark.parametrize(("who", "message"), [("staff_elsewhere", "区县"), ("owner", "工作人员")])
def test_staff_of_another_district_and_merchants_cannot_act_and_nothing_changes(world, who, message, subtests):
    for action, status in STAFF_PATHS.items():
        with subtests.test(msg=f"{action} by {who}"):
            complaint, _ = file(world.shop)
            walk(complaint, world, status)
            before = snapshot(complaint)
            with pytest.raises(NotPermitted) as raised:
                do(action, complaint, world, actor=getattr(world, who))
            assert message in raised.value.message
            db.session.commit()
            assert snapshot(complaint) == before


@pytest.mark.parametrize("officer", ["staff", "admin"])
def test_every_staff_decision_is_audited_with_the_officer(world, officer, subtests):
    actor = getattr(world, officer)
    for action, status in STAFF_PATHS.items():
        with subtests.test(msg=f"{action} by {officer}"):
            complaint, _ = file(world.shop)
            walk(complaint, world, status)  # walked by world.staff
            before = count(AuditEntry)
            old_status = complaint.status
            do(action, complaint, world, actor=actor)
            db.session.commit()
            assert count(AuditEntry) == before + 1
            entry = db.session.scalar(db.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
            assert entry.action == f"complaint.{action}"
            assert entry.actor_id == actor.id
            assert (entry.subject_type, entry.subject_id) == ("complaint", complaint.id)
            facts = json.loads(entry.data)
            assert facts["tracking_number"] == complaint.tracking_number
            assert (facts["old"], facts["new"]) == (old_status, complaint.status)
            assert PHONE not in entry.data and NAME not in entry.data
    assert verify_chain().ok


def test_the_audit_chain_holds_after_a_whole_case(world):
    complaint, _ = file(world.shop)
    walk(complaint, world, "closed_mediated")
    do("followup", complaint, world)
    db.session.commit()
    actions = list(db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.subject_type == "complaint")
                                      .order_by(AuditEntry.id)))
    assert actions == ["complaint.filed", "complaint.accept", "complaint.schedule_mediation",
                       "complaint.record_mediated"]
    assert verify_chain().ok


def test_staff_decisions_need_their_details(world):
    complaint, _ = file(world.shop)
    before = snapshot(complaint)
    for call, field in [
        (lambda: handling.accept_complaint(complaint, world.staff, complaint.version, "   "), "public_summary"),
        (lambda: handling.accept_complaint(complaint, world.staff, complaint.version, "摘" * 201), "public_summary"),
        (lambda: handling.refuse_complaint(complaint, world.staff, complaint.version, "bogus", "说明"), "ground"),
        (lambda: handling.refuse_complaint(complaint, world.staff, complaint.version, "duplicate", " "), "explanation"),
        (lambda: handling.add_staff_note(complaint, world.staff, ""), "body"),
    ]:
        with pytest.raises(DomainError) as raised:
            call()
        assert raised.value.field == field
    db.session.commit()
    assert snapshot(complaint) == before


# --- the shop's reply and the consumer's answers -----------------------------------------------


@pytest.mark.parametrize("who", ["other_owner", "staff", "admin"])
def test_only_the_shops_owner_may_reply(world, who):
    complaint, _ = file(world.shop)
    walk(complaint, world, "accepted")
    before = snapshot(complaint)
    with pytest.raises(NotPermitted):
        handling.merchant_reply(complaint, getattr(world, who), "这是别人代替商家写的回复。", None, None)
    db.session.commit()
    assert snapshot(complaint) == before


def test_reply_then_agreement_records_the_amount_recovered(world, frozen):
    complaint, _ = file(world.shop)
    walk(complaint, world, "accepted")
    frozen.advance(days=1)
    handling.merchant_reply(complaint, world.owner, "同意退还差价。", "退差价", 1000)
    db.session.commit()
    assert complaint.first_reply_at == frozen.now
    frozen.advance(days=1)
    handling.merchant_reply(complaint, world.owner, "补充：另送一瓶洗衣液。", "退差价并赠品", 1500)
    db.session.commit()
    assert complaint.first_reply_at == frozen.now - timedelta(days=1)  # the first reply counts
    handling.respond_to_offer(complaint, True, "")
    db.session.commit()
    assert (complaint.status, complaint.outcome, complaint.amount_recovered_cents) == ("closed", "agreed", 1500)
    public = [e[1] for e in events_of(complaint) if e[6]]
    assert public == ["accepted", "merchant_replied", "merchant_replied", "consumer_accepted", "closed"]


@pytest.mark.parametrize("body", ["好", "字" * 2001])
def test_reply_must_say_something(world, body):
    complaint, _ = file(world.shop)
    walk(complaint, world, "accepted")
    before = snapshot(complaint)
    with pytest.raises(DomainError) as raised:
        handling.merchant_reply(complaint, world.owner, body, None, None)
    assert raised.value.field == "body"
    db.session.commit()
    assert snapshot(complaint) == before


def test_followup_once_only(world):
    complaint, _ = file(world.shop)
    walk(complaint, world, "closed_agreed")
    handling.answer_followup(complaint, True, 4, "还行")
    db.session.commit()
    before = snapshot(complaint)
    with pytest.raises(Conflict):
        handling.answer_followup(complaint, False, 1, "改主意了")
    db.session.commit()
    assert snapshot(complaint) == before
    assert (complaint.followup_resolved, complaint.followup_satisfaction) == (True, 4)


@pytest.mark.parametrize(("resolved", "satisfaction", "field"), [(None, 3, "resolved"), (True, None, "satisfaction"),
                                                                  (True, 0, "satisfaction"), (True, 6, "satisfaction")])
def test_followup_needs_an_answer(world, resolved, satisfaction, field):
    complaint, _ = file(world.shop)
    walk(complaint, world, "closed_agreed")
    with pytest.raises(DomainError) as raised:
        handling.answer_followup(complaint, resolved, satisfaction, "")
    assert raised.value.field == field


def test_mediation_needs_time_place_and_result(world):
    complaint, _ = file(world.shop)
    walk(complaint, world, "accepted")
    with pytest.raises(DomainError) as raised:
        handling.schedule_mediation(complaint, world.staff, complaint.version, None, "电话", "")
    assert raised.value.field == "when"
    with pytest.raises(DomainError) as raised:
        handling.schedule_mediation(complaint, world.staff, complaint.version,
                                    datetime(2025, 10, 20, tzinfo=timezone.utc), "  ", "")
    assert raised.value.field == "place"
    do("schedule_mediation", complaint, world)
    db.session.commit()
    with pytest.raises(DomainError) as raised:
        handling.record_mediation(complaint, world.staff, complaint.version, True, None, "退款")
    assert raised.value.field == "amount_recovered"
    with pytest.raises(DomainError) as raised:
        handling.record_mediation(complaint, world.staff, complaint.version, False, None, "")
    assert raised.value.field == "terms"
    assert complaint.status == "mediating"


def test_a_mediation_outcome_waits_for_the_scheduled_day(world):
    complaint, _ = file(world.shop)
    walk(complaint, world, "accepted")
    meeting = utcnow() + timedelta(days=3)
    handling.schedule_mediation(complaint, world.staff, complaint.version, meeting, "西湖区消保委调解室", "")
    db.session.commit()
    with pytest.raises(DomainError) as raised:
        handling.record_mediation(complaint, world.staff, complaint.version, True, 2000, "商家退还货款 20 元。")
    assert "在这一天之前不能记录调解结果" in raised.value.message
    assert local_datetime(meeting) in raised.value.message
    db.session.rollback()
    assert complaint.status == "mediating" and complaint.outcome is None
    # Held early after all: staff move the meeting to today, then the outcome is taken.
    handling.schedule_mediation(complaint, world.staff, complaint.version, utcnow(), "电话调解", "")
    handling.record_mediation(complaint, world.staff, complaint.version, True, 2000, "商家退还货款 20 元。")
    db.session.commit()
    assert complaint.status == "closed" and complaint.outcome == "mediated"
