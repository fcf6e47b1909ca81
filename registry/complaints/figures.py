"""A shop's complaint figures for the last 12 months, as the QR page shows them.

Computing them means reading every counted case of the shop; the most-complained shops have
hundreds. So they are computed when a case moves (complaint services) and once a day for the
window moving on (`flask complaints refresh-figures`), and stored one row per shop
(ShopComplaintFigures); the QR page reads that row in the same query as the shop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import delete, insert, select

from registry.complaints import states
from registry.complaints.models import Complaint, ShopComplaintFigures
from registry.database import utcnow
from registry.extensions import db

WINDOW = timedelta(days=365)
BATCH = 1000  # shops per statement in bulk refreshes (keeps IN lists and memory bounded)


@dataclass
class ShopFigures:
    accepted: int = 0  # cases accepted (made public) in the window; refused ones never count
    resolved: int = 0  # of those, settled by agreement or mediation
    median_reply_days: float | None = None  # acceptance → the shop's first reply
    by_clause: dict[str, int] = field(default_factory=dict)
    computed_at: datetime | None = None

    @property
    def resolved_share(self) -> int | None:
        return round(100 * self.resolved / self.accepted) if self.accepted else None

    @classmethod
    def from_row(cls, row: ShopComplaintFigures | None) -> ShopFigures:
        if row is None:
            return cls()
        return cls(row.accepted, row.resolved, row.median_reply_days, json.loads(row.by_clause or "{}"),
                   row.computed_at)


def compute(merchant_ids: list[int], now: datetime | None = None) -> dict[int, ShopFigures]:
    """Figures of these shops from their cases, in one query (shops with no counted case: absent)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Complaint.merchant_id, Complaint.clause_kind, Complaint.outcome, Complaint.decided_at,
               Complaint.first_reply_at)
        .where(Complaint.merchant_id.in_(merchant_ids), Complaint.decided_at >= now - WINDOW,
               Complaint.status != states.REFUSED)
    )
    reply_days: dict[int, list[float]] = {}
    figures: dict[int, ShopFigures] = {}
    for merchant_id, clause, outcome, decided_at, first_reply_at in rows:
        shop = figures.setdefault(merchant_id, ShopFigures(computed_at=now))
        shop.accepted += 1
        shop.by_clause[clause] = shop.by_clause.get(clause, 0) + 1
        if outcome in (states.AGREED, states.MEDIATED):
            shop.resolved += 1
        if first_reply_at is not None:
            reply_days.setdefault(merchant_id, []).append((first_reply_at - decided_at).total_seconds() / 86400)
    for merchant_id, days in reply_days.items():
        figures[merchant_id].median_reply_days = round(median(days), 1)
    return figures


def refresh(merchant_ids: list[int], now: datetime | None = None) -> None:
    """Recompute and store the figures of these shops (in the caller's transaction)."""
    now = now or utcnow()
    for start in range(0, len(merchant_ids), BATCH):
        batch = merchant_ids[start:start + BATCH]
        computed = compute(batch, now)
        db.session.execute(delete(ShopComplaintFigures).where(ShopComplaintFigures.merchant_id.in_(batch)))
        if computed:
            db.session.execute(insert(ShopComplaintFigures), [
                {"merchant_id": merchant_id, "accepted": f.accepted, "resolved": f.resolved,
                 "median_reply_days": f.median_reply_days, "computed_at": now,
                 "by_clause": json.dumps(f.by_clause, sort_keys=True)}
                for merchant_id, f in computed.items()
            ])


def refresh_all(now: datetime | None = None, commit_every_batch: bool = True) -> int:
    """The daily job: every shop with a stored row (its window moved on) or a case decided in the
    window (a row missing, e.g. after an import). Commits per batch so the write lock is short."""
    now = now or utcnow()
    ids = set(db.session.scalars(select(ShopComplaintFigures.merchant_id)))
    ids.update(db.session.scalars(select(Complaint.merchant_id).where(Complaint.decided_at >= now - WINDOW).distinct()))
    ordered = sorted(ids)
    for start in range(0, len(ordered), BATCH):
        refresh(ordered[start:start + BATCH], now)
        if commit_every_batch:
            db.session.commit()
    return len(ordered)
