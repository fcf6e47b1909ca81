"""Read-only queries over the consultations log: the staff list, and counts for reports."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Select, func, select

from registry.auth.access import in_district
from registry.areas.services import district_names
from registry.auth.models import User
from registry.consultations.models import CHANNELS, Consultation
from registry.extensions import db
from registry.clock import CHINA


def _moment(value: date | datetime) -> datetime:
    """A date means that day's 00:00 Beijing time; an aware datetime is used as it is."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime or a date")
        return value
    return datetime.combine(value, time(0, 0), tzinfo=CHINA)


def count_by_channel(start: date | datetime, end: date | datetime, district: str | None = None) -> dict[str, int]:
    """Consultations received in [start, end) per channel (every channel present, 0 when none).

    Dates are Beijing calendar days, so a year's report is count_by_channel(date(2026, 1, 1), date(2027, 1, 1)).
    """
    statement = (select(Consultation.channel, func.count(Consultation.id))
                 .where(Consultation.received_at >= _moment(start), Consultation.received_at < _moment(end))
                 .group_by(Consultation.channel))
    if district:
        statement = statement.where(Consultation.district == district)
    counts = dict.fromkeys(CHANNELS, 0)
    counts.update({channel: count for channel, count in db.session.execute(statement)})
    return counts


def month_range(month: str | None) -> tuple[datetime, datetime] | None:
    """[first day, first day of the next month) for "2026-11", in Beijing time; None if not a month."""
    try:
        year, number = (int(part) for part in (month or "").split("-"))
        first = date(year, number, 1)
    except ValueError:
        return None
    following = date(year + (number == 12), number % 12 + 1, 1)
    return _moment(first), _moment(following)


def consultations_for(staff: User, channel: str | None = None, district: str | None = None,
                      month: str | None = None) -> Select:
    """The consultations `staff` may see, filtered, the most recently received first."""
    statement = in_district(select(Consultation), staff, Consultation.district)
    if district and not staff.district:  # area-wide staff may narrow to one district
        statement = statement.where(Consultation.district == district)
    if channel in CHANNELS:
        statement = statement.where(Consultation.channel == channel)
    span = month_range(month)
    if span is not None:
        statement = statement.where(Consultation.received_at >= span[0], Consultation.received_at < span[1])
    return statement.order_by(Consultation.received_at.desc(), Consultation.id.desc())


def known_districts() -> list[str]:
    """The districts on the managed list, for the filters (consultations, reports) and the form's suggestions."""
    return district_names()
