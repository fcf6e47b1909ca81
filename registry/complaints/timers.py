"""What happens to a case because time passed, not because somebody acted (`flask complaints remind`,
`flask complaints overdue`; daily, deploy/DEPLOY.md).

- Two working days before the shop's reply deadline, the owner is reminded (once per deadline).
- When the deadline has passed without a reply, the case goes to staff (handling.escalate_overdue),
  which tells the shop and lets moderation's reply-overdue rule flag it.
- A day after a case closed, the consumer is invited to the follow-up survey on the case page.

Every job may run twice, or late: texts are keyed (notices.py), and a moved case is no longer a candidate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from registry.clock import china_date, utcnow
from registry.complaints import handling, states
from registry.complaints.filing import case_link
from registry.complaints.models import Complaint
from registry.complaints.notices import tell_consumer, tell_shop
from registry.errors import Conflict, InvalidTransition
from registry.extensions import db
from registry.workdays.calendar import working_days_between

REMIND_WORKING_DAYS = 2
# A reply clock is 10 working days; two of them before its end are at most this many calendar days.
_REMINDER_HORIZON = timedelta(days=21)
FOLLOWUP_AFTER = timedelta(days=1)
# Cases closed longer ago than this are not invited any more (the job was off, or the case is old).
FOLLOWUP_WITHIN = timedelta(days=30)


def send_reply_reminders(now: datetime | None = None) -> int:
    """Remind the owners whose reply deadline is two working days (or, after a missed run, one) away."""
    now = now or utcnow()
    today = china_date(now)
    sent = 0
    candidates = db.session.scalars(
        select(Complaint).where(Complaint.status == states.ACCEPTED, Complaint.due_date >= today,
                                Complaint.due_date <= today + _REMINDER_HORIZON).order_by(Complaint.id))
    for complaint in candidates:
        if not 0 < working_days_between(today, complaint.due_date) <= REMIND_WORKING_DAYS:
            continue
        # Keyed by the deadline: a deadline moved by a calendar correction is a new reminder.
        sent += tell_shop(complaint, f"reminder:{complaint.due_date.isoformat()}", "reply_reminder",
                          date=complaint.due_date.isoformat())
    return sent


def send_followup_invitations(now: datetime | None = None) -> int:
    """Invite consumers whose case closed (with an outcome) a day or more ago to the follow-up survey."""
    now = now or utcnow()
    sent = 0
    candidates = db.session.scalars(
        select(Complaint).where(Complaint.status == states.CLOSED, Complaint.followup_at.is_(None),
                                Complaint.consumer_phone.is_not(None), Complaint.closed_at <= now - FOLLOWUP_AFTER,
                                Complaint.closed_at >= now - FOLLOWUP_WITHIN).order_by(Complaint.id))
    for complaint in candidates:
        link = case_link(complaint)
        if link is not None:
            sent += tell_consumer(complaint, "followup", "followup_invitation", link=link)
    return sent


def move_overdue_cases(now: datetime | None = None, after_each: Callable[[], None] | None = None) -> int:
    """Send to staff every accepted case whose reply deadline has passed unanswered; returns how many moved.

    `after_each` (the CLI's commit) runs after each case, so one case a shop replied to at that very
    moment (a conflict: the reply wins) does not undo the others.
    """
    now = now or utcnow()
    today = china_date(now)
    ids = list(db.session.scalars(select(Complaint.id).where(
        Complaint.status == states.ACCEPTED, Complaint.due_date < today).order_by(Complaint.id)))
    moved = 0
    for complaint_id in ids:
        complaint = db.session.get(Complaint, complaint_id)
        if complaint is None or complaint.status != states.ACCEPTED:
            continue
        try:
            handling.escalate_overdue(complaint)
        except (Conflict, InvalidTransition):
            db.session.rollback()
            continue
        moved += 1
        if after_each is not None:
            after_each()
    return moved
