"""A shop's complaint figures for the last 12 months, as the QR page shows them.

The window is the 365 days before now, by the day each case was accepted (made public). Of those
cases: accepted (all of them, refused and duplicate ones never count), concluded (closed with any
outcome: agreed, mediated or failed; a withdrawn case has no outcome), resolved (closed by agreement
or successful mediation). The share resolved is resolved ÷ concluded, the same 口径 as the reports'
调解成功率 (reports/figures.py): a case still open cannot be counted as unresolved, and with no
concluded case there is no share to show. The QR page lists the cases of the window under its
12-month heading and older ones under their own (`in_window`).

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

from sqlalchemy import delete, select

from registry.complaints import states
from registry.complaints.models import Complaint, ShopComplaintFigures
from registry.clock import utcnow
from registry.extensions import db
from registry.merchants.models import Merchant

WINDOW = timedelta(days=365)
BATCH = 1000  # shops per statement in bulk refreshes (keeps IN lists and memory bounded)


@dataclass
class ShopFigures:
    accepted: int = 0  # cases accepted (made public) in the window; refused ones never count
    resolved: int = 0  # of those, settled by agreement or mediation
    concluded: int = 0  # of those, closed with any outcome (agreed, mediated, failed)
    median_reply_days: float | None = None  # acceptance → the shop's first reply
    by_clause: dict[str, int] = field(default_factory=dict)
    computed_at: datetime | None = None

    @property
    def resolved_share(self) -> int | None:
        """Percent of the concluded cases that were resolved; None while none has concluded."""
        return round(100 * self.resolved / self.concluded) if self.concluded else None

    @classmethod
    def from_row(cls, row: ShopComplaintFigures | None) -> ShopFigures:
        if row is None:
            return cls()
        return cls(row.accepted, row.resolved, row.concluded, row.median_reply_days,
                   json.loads(row.by_clause or "{}"), row.computed_at)


def in_window(decided_at: datetime | None, now: datetime) -> bool:
    """Whether a case accepted at `decided_at` counts in the figures of the 12 months before `now`."""
    return decided_at is not None and decided_at >= now - WINDOW


def compute(merchant_ids: list[int], now: datetime | None = None) -> dict[int, ShopFigures]:
    """Figures of these shops from their cases, in one query (shops with no counted case: absent)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Complaint.merchant_id, Complaint.clause_kind, Complaint.status, Complaint.outcome,
               Complaint.decided_at, Complaint.first_reply_at)
        .where(Complaint.merchant_id.in_(merchant_ids), Complaint.decided_at >= now - WINDOW,
               Complaint.status.not_in(states.UNCOUNTED_STATUSES))
    )
    reply_days: dict[int, list[float]] = {}
    figures: dict[int, ShopFigures] = {}
    for merchant_id, clause, status, outcome, decided_at, first_reply_at in rows:
        shop = figures.setdefault(merchant_id, ShopFigures(computed_at=now))
        shop.accepted += 1
        shop.by_clause[clause] = shop.by_clause.get(clause, 0) + 1
        if status == states.CLOSED and outcome is not None:
            shop.concluded += 1
        if outcome in (states.AGREED, states.MEDIATED):
            shop.resolved += 1
        if first_reply_at is not None:
            reply_days.setdefault(merchant_id, []).append((first_reply_at - decided_at).total_seconds() / 86400)
    for merchant_id, days in reply_days.items():
        figures[merchant_id].median_reply_days = round(median(days), 1)
    return figures


def refresh(merchant_ids: list[int], now: datetime | None = None) -> None:
    """Recompute and store the figures of these shops (in the caller's transaction).

    Two cases of one shop may move at the same moment: the shops' rows are locked first (PostgreSQL;
    SQLite's write transaction already excludes other writers), so the second refresh counts after
    the first has committed and neither overwrites the other with an older count.
    """
    now = now or utcnow()
    for start in range(0, len(merchant_ids), BATCH):
        batch = sorted(merchant_ids[start:start + BATCH])  # one lock order for every caller
        db.session.execute(select(Merchant.id).where(Merchant.id.in_(batch)).order_by(Merchant.id)
                           .with_for_update())
        computed = compute(batch, now)
        gone = [merchant_id for merchant_id in batch if merchant_id not in computed]
        if gone:
            db.session.execute(delete(ShopComplaintFigures).where(ShopComplaintFigures.merchant_id.in_(gone)))
        if computed:
            _upsert([{"merchant_id": merchant_id, "accepted": f.accepted, "resolved": f.resolved,
                      "concluded": f.concluded, "median_reply_days": f.median_reply_days, "computed_at": now,
                      "by_clause": json.dumps(f.by_clause, sort_keys=True)}
                     for merchant_id, f in computed.items()])


def _upsert(rows: list[dict]) -> None:
    """INSERT … ON CONFLICT (merchant_id) DO UPDATE, in the dialect's own words (both have it)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    statement = dialect_insert(ShopComplaintFigures)
    columns = ("accepted", "resolved", "concluded", "median_reply_days", "by_clause", "computed_at")
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[ShopComplaintFigures.merchant_id],
        set_={column: statement.excluded[column] for column in columns}), rows)


def refresh_all(now: datetime | None = None, commit_every_batch: bool = True) -> int:
    """The daily job: every shop with a stored row (its window moved on) or a case decided in the
    window (a row missing, e.g. after an import). Commits per batch so the write lock is short."""
    now = now or utcnow()
    ids = set(db.session.scalars(select(ShopComplaintFigures.merchant_id)))
    ids.update(db.session.scalars(select(Complaint.merchant_id).where(Complaint.decided_at >= now - WINDOW,
                                                                      Complaint.merchant_id.is_not(None)).distinct()))
    ordered = sorted(ids)
    for start in range(0, len(ordered), BATCH):
        refresh(ordered[start:start + BATCH], now)
        if commit_every_batch:
            db.session.commit()
    return len(ordered)
