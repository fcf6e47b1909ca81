"""The SQL building blocks every figure is counted with (reports.figures and its parts): the counted
complaints (never a duplicate) of a district, a period's bounds, Beijing calendar days, shop counts."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Date, and_, cast, func, select

from registry.complaints import states
from registry.complaints.models import Complaint
from registry.complaints.queries import PLACE_DISTRICT, with_place
from registry.extensions import db
from registry.merchants.models import Merchant

# 办结: the outcomes that conclude an accepted complaint (withdrawn and refused cases are not among them).
FINISHED_OUTCOMES = (states.AGREED, states.MEDIATED, states.FAILED)


def one_decimal(value: float | Decimal) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def counted_complaints(district: str | None, *columns, join: bool = False):
    """SELECT columns FROM the counted complaints (never a duplicate), joined to their shop or unlisted
    business when a district narrows it (or `join`)."""
    statement = select(*columns).select_from(Complaint).where(Complaint.status != states.DUPLICATE)
    if district or join:
        statement = with_place(statement)
    return statement.where(PLACE_DISTRICT == district) if district else statement


def within(column, lower: datetime, upper: datetime):
    return and_(column >= lower, column < upper)


def grouped(statement) -> dict:
    return {key: int(count) for key, count in db.session.execute(statement)}


def beijing_day(column):
    """The Beijing calendar day of a stored UTC time, as a number two of which subtract to whole days.

    China has kept UTC+8 all year since 1991, so on SQLite (which stores UTC text) +8 hours is exact.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("Asia/Shanghai", column), Date)
    return func.julianday(func.date(column, "+8 hours"))


def beijing_date(column):
    """The Beijing calendar date of a stored UTC time, read back as a date on both databases."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("Asia/Shanghai", column), Date)
    return func.date(column, "+8 hours", type_=Date)


def count_shops(statement, district: str | None) -> int:
    if district:
        statement = statement.where(Merchant.district == district)
    return int(db.session.scalar(statement) or 0)


def for_district(statement, merchant_column, district: str | None):
    if not district:
        return statement
    return statement.join(Merchant, merchant_column == Merchant.id).where(Merchant.district == district)
