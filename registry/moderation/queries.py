"""Read-only queries for staff: lists, one shop's record and the dashboard, each scoped to the
officer's district. Nothing here changes data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import case, func, or_, select

from registry.auth.access import in_district
from registry.auth.models import User
from registry.complaints import queries as complaint_queries, states as complaint_states
from registry.complaints.models import Complaint
from registry.clock import CHINA, china_date, utcnow
from registry.extensions import db
from registry.merchants.models import Merchant, Standing
from registry.merchants.services import normalize_search_text
from registry.moderation.models import (ACTIVE, APPEAL_PENDING, FLAG_OPEN, FLAG_STATUSES, NEGATIVE_KINDS, PROPOSED,
                                        REPAIR_PENDING, REPAIR_PROPOSED, Appeal, CreditRepair, Flag,
                                        Sanction, SanctionStatement)
from registry.moderation.standings import ShopStanding, shop_standing
from registry.pledges.models import Signature

DASHBOARD_LIST = 10
LAPSE_WARNING_DAYS = 30


def _scoped(statement, staff: User):
    """Limit a statement to the officer's district (it must already join Merchant)."""
    statement = in_district(statement, staff, Merchant.district)
    return statement


# --- Staff lists ------------------------------------------------------------------------------------

def flags_page(staff: User, status: str, page: int, per_page: int = 30, merchant_id: int | None = None):
    status = status if status in FLAG_STATUSES else FLAG_OPEN
    statement = _scoped(select(Flag).join(Merchant, Flag.merchant_id == Merchant.id).where(Flag.status == status),
                        staff)
    if merchant_id is not None:
        statement = statement.where(Flag.merchant_id == merchant_id)
    order = (Flag.raised_at.desc(), Flag.id.desc()) if status == FLAG_OPEN else (Flag.resolved_at.desc(), Flag.id.desc())
    return db.paginate(statement.order_by(*order), page=page, per_page=per_page, error_out=False)


def flag_counts(staff: User, merchant_id: int | None = None) -> dict[str, int]:
    statement = _scoped(select(Flag.status, func.count()).join(Merchant, Flag.merchant_id == Merchant.id), staff)
    if merchant_id is not None:
        statement = statement.where(Flag.merchant_id == merchant_id)
    counts = dict(db.session.execute(statement.group_by(Flag.status)).all())
    return {status: counts.get(status, 0) for status in FLAG_STATUSES}


SANCTION_VIEWS = ("proposed", "active", "all")


def sanctions_page(staff: User, view: str, page: int, per_page: int = 30, merchant_id: int | None = None):
    statement = _scoped(select(Sanction).join(Merchant, Sanction.merchant_id == Merchant.id), staff)
    if merchant_id is not None:
        statement = statement.where(Sanction.merchant_id == merchant_id)
    if view == "proposed":
        statement = statement.where(Sanction.status == PROPOSED)
    elif view == "active":
        statement = statement.where(Sanction.status == ACTIVE, Sanction.kind.in_(NEGATIVE_KINDS))
    return db.paginate(statement.order_by(Sanction.issued_at.desc(), Sanction.id.desc()), page=page,
                       per_page=per_page, error_out=False)


def sanction_counts(staff: User, merchant_id: int | None = None) -> dict[str, int]:
    base = _scoped(select(func.count()).select_from(Sanction).join(Merchant, Sanction.merchant_id == Merchant.id),
                   staff)
    if merchant_id is not None:
        base = base.where(Sanction.merchant_id == merchant_id)
    return {
        "proposed": db.session.scalar(base.where(Sanction.status == PROPOSED)),
        "active": db.session.scalar(base.where(Sanction.status == ACTIVE, Sanction.kind.in_(NEGATIVE_KINDS))),
        "all": db.session.scalar(base),
    }


APPEAL_VIEWS = ("pending", "decided")


def appeals_page(staff: User, view: str, page: int, per_page: int = 30):
    statement = _scoped(select(Appeal).join(Merchant, Appeal.merchant_id == Merchant.id), staff)
    if view == "pending":
        statement = statement.where(Appeal.status == APPEAL_PENDING).order_by(Appeal.submitted_at, Appeal.id)
    else:
        statement = statement.where(Appeal.status != APPEAL_PENDING).order_by(Appeal.decided_at.desc(),
                                                                               Appeal.id.desc())
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def appeal_counts(staff: User) -> dict[str, int]:
    base = _scoped(select(func.count()).select_from(Appeal).join(Merchant, Appeal.merchant_id == Merchant.id), staff)
    return {"pending": db.session.scalar(base.where(Appeal.status == APPEAL_PENDING)),
            "decided": db.session.scalar(base.where(Appeal.status != APPEAL_PENDING))}


REPAIR_VIEWS = ("pending", "proposed", "decided")


def _repairs(staff: User):
    return _scoped(select(CreditRepair).join(Merchant, CreditRepair.merchant_id == Merchant.id), staff)


def repairs_page(staff: User, view: str, page: int, per_page: int = 30):
    """Credit repair applications: waiting for a first decision, for a second officer, or decided."""
    statement = _repairs(staff)
    if view in (REPAIR_PENDING, REPAIR_PROPOSED):
        statement = statement.where(CreditRepair.status == view).order_by(CreditRepair.submitted_at, CreditRepair.id)
    else:
        statement = statement.where(CreditRepair.status.not_in((REPAIR_PENDING, REPAIR_PROPOSED))).order_by(
            CreditRepair.decided_at.desc(), CreditRepair.id.desc())
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def repair_counts(staff: User) -> dict[str, int]:
    base = _scoped(select(CreditRepair.status, func.count()).join(Merchant, CreditRepair.merchant_id == Merchant.id),
                   staff)
    counts = dict(db.session.execute(base.group_by(CreditRepair.status)).all())
    return {"pending": counts.get(REPAIR_PENDING, 0), "proposed": counts.get(REPAIR_PROPOSED, 0),
            "decided": sum(n for status, n in counts.items() if status not in (REPAIR_PENDING, REPAIR_PROPOSED))}


STATEMENT_VIEWS = ("held", "published", "hidden")


def statements_page(staff: User, view: str, page: int, per_page: int = 30):
    """The shops' statements beside sanctions: held for review first (they wait for an officer)."""
    statement = _scoped(select(SanctionStatement).join(Merchant, SanctionStatement.merchant_id == Merchant.id), staff)
    if view == "held":
        statement = statement.where(SanctionStatement.held_for_review.is_(True))
    elif view == "hidden":
        statement = statement.where(SanctionStatement.hidden_reason.is_not(None))
    else:
        statement = statement.where(SanctionStatement.held_for_review.is_(False),
                                    SanctionStatement.hidden_reason.is_(None))
    return db.paginate(statement.order_by(SanctionStatement.updated_at.desc(), SanctionStatement.id.desc()),
                       page=page, per_page=per_page, error_out=False)


def held_statement_count(staff: User) -> int:
    return db.session.scalar(_scoped(select(func.count()).select_from(SanctionStatement)
                                     .join(Merchant, SanctionStatement.merchant_id == Merchant.id), staff)
                             .where(SanctionStatement.held_for_review.is_(True)))


def search_shops(staff: User, query: str, page: int, per_page: int = 30):
    """Every shop in the officer's district (pending ones too), by name or credit code."""
    statement = _scoped(select(Merchant), staff)
    text = normalize_search_text(query or "")[:50]
    if text:
        statement = statement.where(or_(Merchant.search_name.contains(text, autoescape=True),
                                        Merchant.credit_code.startswith(text.upper(), autoescape=True)))
    return db.paginate(statement.order_by(Merchant.name, Merchant.id), page=page, per_page=per_page,
                       error_out=False)


# The staff shop page lists this many of each; a link opens the full list filtered to the shop.
SHOP_RECORD_LIST = 10


@dataclass
class ShopRecord:
    """Everything the staff shop page shows about moderation: the newest flags and sanctions (their
    totals say whether to link to the full lists) and every open flag (a decision may answer one)."""

    flags: list[Flag]
    sanctions: list[Sanction]
    appeals: dict[int, Appeal]
    standing: ShopStanding
    now: datetime
    open_flags: list[Flag] = field(default_factory=list)
    flag_total: int = 0
    sanction_total: int = 0


def _newest(statement, limit: int) -> tuple[list, int]:
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    return list(db.session.scalars(statement.limit(limit))), total or 0


def shop_record(merchant: Merchant, now: datetime | None = None) -> ShopRecord:
    now = now or utcnow()
    flags, flag_total = _newest(select(Flag).where(Flag.merchant_id == merchant.id)
                                .order_by(Flag.raised_at.desc(), Flag.id.desc()), SHOP_RECORD_LIST)
    sanctions, sanction_total = _newest(select(Sanction).where(Sanction.merchant_id == merchant.id)
                                        .order_by(Sanction.issued_at.desc(), Sanction.id.desc()), SHOP_RECORD_LIST)
    open_flags = list(db.session.scalars(select(Flag).where(Flag.merchant_id == merchant.id, Flag.status == FLAG_OPEN)
                                         .order_by(Flag.raised_at.desc(), Flag.id.desc())))
    appeals = {a.sanction_id: a for a in db.session.scalars(
        select(Appeal).where(Appeal.merchant_id == merchant.id, Appeal.sanction_id.in_([s.id for s in sanctions])))}
    return ShopRecord(flags, sanctions, appeals, shop_standing(merchant, now), now, open_flags, flag_total,
                      sanction_total)


# --- Dashboard --------------------------------------------------------------------------------------

# The legal clocks of DESIGN §4 and the complaint statuses each one runs in.
CLOCKS = (
    ("decision", (complaint_states.FILED,)),
    ("reply", (complaint_states.ACCEPTED,)),
    ("mediation", (complaint_states.REPLIED, complaint_states.DISPUTED, complaint_states.MEDIATING)),
)


@dataclass
class ClockRow:
    clock: str
    total: int
    overdue: int


@dataclass
class MonthFigures:
    received: int
    accepted: int
    closed: int
    recovered_cents: int


@dataclass
class Dashboard:
    today: date
    clocks: list[ClockRow]
    urgent: list[Complaint]
    open_flags: list[Flag]
    open_flag_count: int
    proposals: list[Sanction]
    appeals: list[Appeal]
    lapsing: list[tuple[Merchant, datetime]]
    lapsing_count: int
    month: MonthFigures
    month_start: date


def _complaints(staff: User):
    return complaint_queries.scoped(select(Complaint), staff)


def clock_rows(staff: User, today: date) -> list[ClockRow]:
    overdue = func.sum(case((Complaint.due_date < today, 1), else_=0))
    statement = complaint_queries.scoped(select(Complaint.status, func.count(), overdue).select_from(Complaint)
                                         .where(Complaint.status.in_(complaint_states.OPEN_STATUSES)), staff)
    by_status = {status: (total, late or 0) for status, total, late in db.session.execute(statement.group_by(Complaint.status))}
    return [ClockRow(clock, sum(by_status.get(s, (0, 0))[0] for s in statuses),
                     sum(by_status.get(s, (0, 0))[1] for s in statuses)) for clock, statuses in CLOCKS]


def urgent_complaints(staff: User, limit: int = DASHBOARD_LIST) -> list[Complaint]:
    """Open complaints whose legal clock ends first (overdue ones lead)."""
    return list(db.session.scalars(
        _complaints(staff).where(Complaint.status.in_(complaint_states.OPEN_STATUSES), Complaint.due_date.is_not(None))
        .order_by(Complaint.due_date, Complaint.id).limit(limit)
    ))


def lapsing_shops(staff: User, now: datetime, days: int = LAPSE_WARNING_DAYS, limit: int = DASHBOARD_LIST):
    """Shops in good standing whose latest signature expires within `days`, soonest first."""
    latest = (select(Signature.merchant_id, func.max(Signature.expires_at).label("expires_at"))
              .group_by(Signature.merchant_id).subquery())
    statement = _scoped(
        select(Merchant, latest.c.expires_at).join(latest, latest.c.merchant_id == Merchant.id)
        .where(latest.c.expires_at > now, latest.c.expires_at <= now + timedelta(days=days),
               Merchant.standing.in_((Standing.ACTIVE.value, Standing.WARNED.value))), staff)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = [(m, expires) for m, expires in db.session.execute(statement.order_by(latest.c.expires_at, Merchant.id)
                                                               .limit(limit))]
    return rows, total


def _china_month_bounds(today: date) -> tuple[datetime, datetime]:
    start = datetime(today.year, today.month, 1, tzinfo=CHINA)
    end = datetime(today.year + (today.month == 12), today.month % 12 + 1, 1, tzinfo=CHINA)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def month_figures(staff: User, today: date) -> MonthFigures:
    """This month (Beijing time): complaints received, accepted, closed, and money recovered."""
    start, end = _china_month_bounds(today)
    base = complaint_queries.scoped(select(func.count()).select_from(Complaint), staff)
    closed = (Complaint.status == complaint_states.CLOSED, Complaint.closed_at >= start, Complaint.closed_at < end)
    recovered = complaint_queries.scoped(select(func.coalesce(func.sum(Complaint.amount_recovered_cents), 0))
                                         .select_from(Complaint).where(*closed), staff)
    return MonthFigures(
        received=db.session.scalar(base.where(Complaint.received_on >= today.replace(day=1),
                                              Complaint.received_on < china_date(end),
                                              Complaint.status != complaint_states.DUPLICATE)),
        accepted=db.session.scalar(base.where(Complaint.decided_at >= start, Complaint.decided_at < end,
                                              Complaint.refusal_ground.is_(None),
                                              Complaint.status != complaint_states.DUPLICATE)),
        closed=db.session.scalar(base.where(*closed)),
        recovered_cents=int(db.session.scalar(recovered) or 0),
    )


def dashboard(staff: User, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    today = china_date(now)
    flags = _scoped(select(Flag).join(Merchant, Flag.merchant_id == Merchant.id).where(Flag.status == FLAG_OPEN),
                    staff)
    lapsing, lapsing_count = lapsing_shops(staff, now)
    return Dashboard(
        today=today,
        clocks=clock_rows(staff, today),
        urgent=urgent_complaints(staff),
        open_flags=list(db.session.scalars(flags.order_by(Flag.raised_at.desc(), Flag.id.desc()).limit(DASHBOARD_LIST))),
        open_flag_count=db.session.scalar(select(func.count()).select_from(flags.subquery())),
        proposals=list(db.session.scalars(
            _scoped(select(Sanction).join(Merchant, Sanction.merchant_id == Merchant.id), staff)
            .where(Sanction.status == PROPOSED).order_by(Sanction.issued_at, Sanction.id))),
        appeals=list(db.session.scalars(
            _scoped(select(Appeal).join(Merchant, Appeal.merchant_id == Merchant.id), staff)
            .where(Appeal.status == APPEAL_PENDING).order_by(Appeal.submitted_at, Appeal.id))),
        lapsing=lapsing,
        lapsing_count=lapsing_count,
        month=month_figures(staff, today),
        month_start=today.replace(day=1),
    )
