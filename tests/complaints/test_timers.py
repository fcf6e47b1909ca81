"""The daily timers (complaints/timers.py): the reply reminder two working days before the deadline
(across 国庆节), late shops' cases sent to staff with one flag, follow-up invitations; each run twice."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from registry.clock import utcnow
from registry.complaints import states, timers
from registry.complaints.labels import EVENT_LABELS
from registry.extensions import db
from registry.messaging.models import OutboxMessage
from registry.moderation.models import FLAG_OPEN, RULE_REPLY_OVERDUE, Flag

from .helpers import PHONE, china, do, file

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def texts_to(phone: str) -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.phone == phone)
                                   .order_by(OutboxMessage.id)))


@pytest.fixture
def accepted(world, clock, seeded):
    """A case accepted on Monday 22 September 2025: ten working days, 国庆 in between, end on Saturday
    11 October (a working Saturday in 2025's schedule)."""
    world.owner.phone_verified_at = utcnow()
    clock.set(china(2025, 9, 22, 9))
    complaint, _ = file(world.shop)
    do("accept", complaint, world)
    db.session.commit()
    assert complaint.due_date == date(2025, 10, 11)
    return complaint


def reminders(world) -> list[str]:
    return [body for body in texts_to(world.owner.login) if "提醒" in body]


def run_reminders(clock, day) -> int:
    clock.set(china(*day, 1))
    sent = timers.send_reply_reminders()
    db.session.commit()
    return sent


def test_the_reminder_comes_two_working_days_before_the_deadline(world, clock, accepted):
    # 30 September is three working days before (9, 10, 11 October); the holiday days count for nothing.
    assert run_reminders(clock, (2025, 9, 30)) == 0
    assert run_reminders(clock, (2025, 10, 7)) == 0
    assert reminders(world) == []
    assert run_reminders(clock, (2025, 10, 9)) == 1
    [body] = reminders(world)
    assert accepted.tracking_number in body and "2025-10-11" in body and PHONE not in body
    # Run again the same day, and the next: still one reminder.
    assert run_reminders(clock, (2025, 10, 9)) == 0
    assert run_reminders(clock, (2025, 10, 10)) == 0
    assert len(reminders(world)) == 1


def test_no_reminder_once_the_shop_replied(world, clock, accepted):
    do("merchant_reply", accepted, world)
    db.session.commit()
    assert run_reminders(clock, (2025, 10, 9)) == 0


def overdue_flags(shop) -> list[Flag]:
    return list(db.session.scalars(select(Flag).where(Flag.merchant_id == shop.id,
                                                      Flag.rule_code == RULE_REPLY_OVERDUE)))


def run_overdue(clock, day) -> int:
    clock.set(china(*day, 1))
    moved = timers.move_overdue_cases(after_each=db.session.commit)
    db.session.commit()
    return moved


def test_a_late_shops_case_goes_to_staff_and_the_shop_is_flagged_once(world, clock, accepted):
    second, _ = file(world.shop, consumer_phone="13923456789", verified="13923456789")
    do("accept", second, world)
    db.session.commit()
    assert second.due_date == date(2025, 10, 11)

    assert run_overdue(clock, (2025, 10, 11)) == 0  # the last day to reply is not over yet
    assert accepted.status == states.ACCEPTED

    assert run_overdue(clock, (2025, 10, 13)) == 2
    db.session.refresh(accepted)
    assert accepted.status == states.DISPUTED
    [event] = [e for e in accepted.events if e.kind == "reply_overdue"]
    assert str(EVENT_LABELS[event.kind]) == "逾期未回复，转由工作人员处理" and event.actor_role == "system"
    assert '"reply_due": "2025-10-11"' in event.data
    assert accepted.due_date > date(2025, 10, 13)  # mediation's clock now runs
    [flag] = overdue_flags(world.shop)
    assert flag.status == FLAG_OPEN and accepted.tracking_number in flag.source_data
    assert any("逾期未答复" in body for body in texts_to(world.owner.login))
    assert any("已转由工作人员跟进" in body for body in texts_to(PHONE))

    assert run_overdue(clock, (2025, 10, 14)) == 0  # idempotent: nothing left to move
    assert len(overdue_flags(world.shop)) == 1
    assert len([e for e in accepted.events if e.kind == "reply_overdue"]) == 1


def test_the_overdue_rule_can_be_switched_off(world, clock, accepted):
    from registry.moderation.flags import update_rule

    update_rule(RULE_REPLY_OVERDUE, world.admin, False, 1, 365)
    db.session.commit()
    assert run_overdue(clock, (2025, 10, 13)) == 1
    assert overdue_flags(world.shop) == []


def test_the_follow_up_invitation_comes_a_day_after_closing_once(world, clock, accepted):
    do("merchant_reply", accepted, world)
    do("accept_offer", accepted, world)
    db.session.commit()
    token_link = [b for b in texts_to(PHONE) if "/c/" in b][0].split("：")[-1]
    assert timers.send_followup_invitations() == 0  # closed just now
    clock.advance(days=1, minutes=1)
    assert timers.send_followup_invitations() == 1
    db.session.commit()
    assert timers.send_followup_invitations() == 0
    [invitation] = [b for b in texts_to(PHONE) if "评价" in b]
    assert invitation.endswith(token_link)
