"""Stored due dates follow the working-day calendar: when holidays are entered or corrected (a year
confirmed, a day changed, a year seeded), the open cases whose clock the change reaches get their due
date and their "weekends only" mark recomputed, each move audited.

Which clock a case runs is read from its state, the same rule handling.py applies when it sets one (handling imports its clock lengths from here, which also
connects the receiver below whenever complaints are in use):
filed → the decision clock from the day the complaint arrived (received_on); accepted → the shop's reply clock from acceptance; replied,
disputed, mediating → the mediation window from acceptance.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from registry.audit import services as audit
from registry.complaints import states
from registry.complaints.filing import DECISION_WORKING_DAYS
from registry.complaints.models import Complaint
from registry.extensions import db
from registry.workdays.calendar import calendar_changed, deadline

REPLY_WORKING_DAYS = 10  # the shop's reply, from acceptance
MEDIATION_WORKING_DAYS = 45  # the whole mediation, from acceptance
_MEDIATION_WINDOW = (states.REPLIED, states.DISPUTED, states.MEDIATING)


def running_clock(complaint: Complaint) -> tuple[date | datetime, int] | None:
    """(start, working days) of the clock behind the case's stored due date, or None when none runs."""
    if complaint.due_date is None or complaint.status not in states.OPEN_STATUSES:
        return None
    if complaint.status == states.FILED:
        return complaint.received_on or complaint.filed_at, DECISION_WORKING_DAYS
    if complaint.decided_at is None:
        return None
    if complaint.status == states.ACCEPTED:
        return complaint.decided_at, REPLY_WORKING_DAYS
    if complaint.status in _MEDIATION_WINDOW:
        return complaint.decided_at, MEDIATION_WORKING_DAYS
    return None


def recompute_due_dates(first_day: date, last_day: date, actor=None) -> dict[str, int]:
    """Recompute the open cases due on or after first_day (a change after a due date cannot move it);
    flushes, never commits. Returns how many were checked and how many changed."""
    checked = moved = 0
    candidates = db.session.scalars(
        select(Complaint).where(Complaint.status.in_(states.OPEN_STATUSES), Complaint.due_date >= first_day)
        .order_by(Complaint.id)
    )
    for complaint in candidates:
        clock = running_clock(complaint)
        if clock is None:
            continue
        checked += 1
        with db.session.no_autoflush:
            new = deadline(*clock)
        if (new.due, new.uses_fallback) == (complaint.due_date, complaint.due_uses_fallback):
            continue
        audit.record("complaint.due_recomputed", complaint, actor, tracking_number=complaint.tracking_number,
                     old_due=complaint.due_date.isoformat(), new_due=new.due.isoformat(),
                     old_weekends_only=complaint.due_uses_fallback, new_weekends_only=new.uses_fallback,
                     calendar_from=first_day.isoformat(), calendar_to=last_day.isoformat())
        complaint.due_date, complaint.due_uses_fallback = new.due, new.uses_fallback
        moved += 1
    db.session.flush()
    return {"deadlines_checked": checked, "deadlines_moved": moved}


@calendar_changed.connect
def _on_calendar_changed(actor, first_day: date, last_day: date) -> dict[str, int]:
    return recompute_due_dates(first_day, last_day, actor)
