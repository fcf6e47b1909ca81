"""Read-only queries over complaints for the owner's list, the staff queue and the public page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from sqlalchemy import case, func, select

from registry.auth.models import User
from registry.complaints import states
from registry.complaints.models import Complaint, ComplaintEvent
from registry.database import utcnow
from registry.extensions import db
from registry.merchants.models import Merchant


def complaints_for_owner(owner: User, page: int, per_page: int = 20):
    statement = (
        select(Complaint).join(Merchant, Complaint.merchant_id == Merchant.id)
        .where(Merchant.owner_id == owner.id, Complaint.decided_at.is_not(None), Complaint.status != states.REFUSED)
        .order_by(case((Complaint.status.in_(states.OPEN_STATUSES), 0), else_=1), Complaint.filed_at.desc())
    )
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def staff_queue(staff: User, view: str, page: int, per_page: int = 30):
    """Open complaints, most urgent legal clock first; `view` picks new / in progress / closed."""
    statement = select(Complaint).join(Merchant, Complaint.merchant_id == Merchant.id)
    if staff.district:
        statement = statement.where(Merchant.district == staff.district)
    if view == "new":
        statement = statement.where(Complaint.status == states.FILED).order_by(Complaint.due_date, Complaint.id)
    elif view == "open":
        statement = statement.where(Complaint.status.in_(states.OPEN_STATUSES[1:])) \
            .order_by(Complaint.due_date, Complaint.id)
    else:
        statement = statement.where(Complaint.status.in_(states.FINAL_STATUSES)) \
            .order_by(Complaint.closed_at.desc(), Complaint.id.desc())
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def queue_counts(staff: User) -> dict[str, int]:
    statement = select(Complaint.status, func.count()).join(Merchant, Complaint.merchant_id == Merchant.id)
    if staff.district:
        statement = statement.where(Merchant.district == staff.district)
    counts = dict(db.session.execute(statement.group_by(Complaint.status)).all())
    return {
        "new": counts.get(states.FILED, 0),
        "open": sum(counts.get(s, 0) for s in states.OPEN_STATUSES[1:]),
        "closed": sum(counts.get(s, 0) for s in states.FINAL_STATUSES),
    }


def public_complaints(merchant: Merchant, limit: int = 20) -> list[Complaint]:
    """Accepted complaints against a shop, newest first, as the QR page shows them."""
    return list(db.session.scalars(
        select(Complaint)
        .where(Complaint.merchant_id == merchant.id, Complaint.decided_at.is_not(None),
               Complaint.status != states.REFUSED)
        .order_by(Complaint.decided_at.desc()).limit(limit)
    ))


def public_events(complaints: list[Complaint]) -> dict[int, list[ComplaintEvent]]:
    """The public timeline entries (replies, outcome) of these complaints, in one query."""
    ids = [c.id for c in complaints]
    grouped: dict[int, list[ComplaintEvent]] = {i: [] for i in ids}
    if ids:
        for event in db.session.scalars(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id.in_(ids), ComplaintEvent.is_public.is_(True))
            .order_by(ComplaintEvent.id)
        ):
            grouped[event.complaint_id].append(event)
    return grouped


@dataclass
class ShopFigures:
    accepted: int
    resolved: int
    median_reply_days: float | None
    by_clause: dict[str, int]

    @property
    def resolved_share(self) -> int | None:
        return round(100 * self.resolved / self.accepted) if self.accepted else None


def shop_figures(merchant: Merchant, days: int = 365) -> ShopFigures:
    """The shop's last 12 months: accepted complaints, share resolved, median reply time, per clause."""
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(
        select(Complaint.clause_kind, Complaint.outcome, Complaint.decided_at, Complaint.first_reply_at)
        .where(Complaint.merchant_id == merchant.id, Complaint.decided_at >= since,
               Complaint.status != states.REFUSED)
    ).all()
    by_clause: dict[str, int] = {}
    reply_days = []
    resolved = 0
    for clause, outcome, decided_at, first_reply_at in rows:
        by_clause[clause] = by_clause.get(clause, 0) + 1
        if outcome in (states.AGREED, states.MEDIATED):
            resolved += 1
        if first_reply_at is not None:
            reply_days.append((first_reply_at - decided_at).total_seconds() / 86400)
    return ShopFigures(len(rows), resolved, round(median(reply_days), 1) if reply_days else None, by_clause)
