"""Time, in one place: the current moment, Beijing calendar dates, month arithmetic and the
formats people read.

Everything stored is an aware UTC datetime; everything people read or type is Beijing time
(Asia/Shanghai, no daylight saving). Every module asks `utcnow()` here, so a test freezes all of
the application's time with one fixture (`tests/clock.py`) instead of patching module by module.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
CHINA_ZONE_NAME = "Asia/Shanghai"


def _system_now() -> datetime:
    return datetime.now(timezone.utc)


_now: Callable[[], datetime] = _system_now


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the only kind stored)."""
    return _now()


def use_time_source(source: Callable[[], datetime] | None) -> Callable[[], datetime]:
    """Make `utcnow()` ask `source` (tests and benchmarks); None goes back to the system clock.
    Returns the source used until now, so a caller can put it back."""
    global _now
    previous, _now = _now, source or _system_now
    return previous


# --- Beijing calendar dates ---------------------------------------------------------------------

def china_date(value: date | datetime) -> date:
    """The calendar date in Beijing; a naive datetime is refused (its zone is unknown)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is needed; pass a date or an aware datetime")
        return value.astimezone(CHINA).date()
    return value


def today_in_china() -> date:
    return utcnow().astimezone(CHINA).date()


def start_of_china_day(day: date) -> datetime:
    """The UTC moment Beijing's `day` begins (00:00 Beijing time)."""
    return datetime.combine(day, time(0), CHINA).astimezone(timezone.utc)


def end_of_china_day(day: date) -> datetime:
    """The UTC moment Beijing's `day` ends (inclusive "until `day`"): the next midnight."""
    return start_of_china_day(day + timedelta(days=1))


# --- month arithmetic ---------------------------------------------------------------------------

def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (the 31st becomes the month's last day)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def first_of_month(day: date, months_later: int = 0) -> date:
    """The first day of the month `months_later` after `day`'s month (0: `day`'s own month)."""
    index = day.year * 12 + day.month - 1 + months_later
    return date(index // 12, index % 12 + 1, 1)


# --- what people read ---------------------------------------------------------------------------

def local_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as Beijing time; consumers and staff all read China time."""
    if value is None:
        return ""
    return value.astimezone(CHINA).strftime(fmt)


def local_date(value: datetime | None) -> str:
    """A stored UTC time as its Beijing date, YYYY-MM-DD ("" for none)."""
    return local_datetime(value, "%Y-%m-%d")


def iso_china_date(value: datetime | None) -> str | None:
    """A stored UTC moment as the Beijing calendar date, YYYY-MM-DD (None for none; the API's form)."""
    return value.astimezone(CHINA).date().isoformat() if value is not None else None


def iso_china_datetime(value: datetime | None) -> str | None:
    """A stored UTC moment as ISO 8601 in Beijing time (+08:00; the API's form)."""
    return value.astimezone(CHINA).isoformat(timespec="seconds") if value is not None else None
