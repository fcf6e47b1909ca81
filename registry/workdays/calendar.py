"""Working-day arithmetic on the Chinese calendar: is a day worked, the n-th working day after a date,
working days between two dates, and the legal deadlines built on them.

The database is the truth: `calendar_days` holds the days that break the Monday-to-Friday rule
(holidays on weekdays, 调休 weekends) and any day staff decided; `calendar_years` says which
years have been entered. A year without a row falls back to "weekends off" and every deadline
crossing it says so. Seeding from the library is in workdays.seeding, staff edits in workdays.editing;
both call forget_cache after a change, then send `calendar_changed` so that the packages above that
store deadlines (complaints) recompute the ones the change reaches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from blinker import Namespace
from flask import g
from flask_babel import gettext as _
from sqlalchemy import select

from registry.clock import china_date
from registry.extensions import db
from registry.i18n import join_list
from registry.workdays.models import CalendarDay, CalendarYear, is_weekend

ONE_DAY = timedelta(days=1)

_signals = Namespace()
# Sent after the stored calendar changed between first_day and last_day (inclusive), with the actor
# (None for seeding). Receivers recompute stored deadlines and return counts, e.g.
# {"deadlines_moved": 2}; the editor adds them to its audit entry.
calendar_changed = _signals.signal("calendar-changed")


def announce_change(first_day: date, last_day: date, actor=None) -> dict[str, int]:
    """Tell every package that stores deadlines; returns their counts summed."""
    counts: dict[str, int] = {}
    for _receiver, result in calendar_changed.send(actor, first_day=first_day, last_day=last_day):
        for what, number in (result or {}).items():
            counts[what] = counts.get(what, 0) + number
    return counts


@dataclass
class _LoadedCalendar:
    """What this request (or CLI command) has read so far; kept on `g`, so never shared across
    requests or gunicorn workers. Every edit through this module drops it."""

    overrides: dict[date, bool] = field(default_factory=dict)
    loaded_years: set[int] = field(default_factory=set)
    known_years: set[int] | None = None


def _calendar() -> _LoadedCalendar:
    calendar = g.get("_workdays_calendar")
    if calendar is None:
        calendar = g._workdays_calendar = _LoadedCalendar()
    return calendar


def forget_cache() -> None:
    """Drop what this request read; every change to the stored calendar calls it."""
    g.pop("_workdays_calendar", None)


def _load(calendar: _LoadedCalendar, first_year: int, last_year: int) -> None:
    """Read the stored days of every year in the span not read yet, in one query."""
    missing = [y for y in range(first_year, last_year + 1) if y not in calendar.loaded_years]
    if not missing:
        return
    low, high = min(missing), max(missing)
    rows = db.session.execute(
        select(CalendarDay.day, CalendarDay.is_workday).where(CalendarDay.day.between(date(low, 1, 1), date(high, 12, 31)))
    )
    calendar.overrides.update({day: is_workday for day, is_workday in rows})
    calendar.loaded_years.update(range(low, high + 1))


def _known_years(calendar: _LoadedCalendar) -> set[int]:
    if calendar.known_years is None:
        calendar.known_years = set(db.session.scalars(select(CalendarYear.year)))
    return calendar.known_years


def _is_working_day(calendar: _LoadedCalendar, day: date) -> bool:
    if day.year not in calendar.loaded_years:
        _load(calendar, day.year, day.year)
    stored = calendar.overrides.get(day)
    return stored if stored is not None else not is_weekend(day)


def is_working_day(day: date | datetime) -> bool:
    """Whether offices work on `day` (a China date, or an aware datetime converted to one)."""
    return _is_working_day(_calendar(), china_date(day))


def add_working_days(start: date | datetime, n: int) -> date:
    """The n-th working day after start's date in Asia/Shanghai (n=0 gives that date itself)."""
    if n < 0:
        raise ValueError("add_working_days counts forwards; n must be 0 or more")
    day = china_date(start)
    calendar = _calendar()
    # Five working days a week plus the longest holiday (春节, 9 days) a year: usually one query.
    horizon = day + timedelta(days=n * 7 // 5 + 14 * (n // 250 + 1))
    _load(calendar, day.year, horizon.year)
    remaining = n
    while remaining:
        day += ONE_DAY
        if _is_working_day(calendar, day):
            remaining -= 1
    return day


def working_days_between(a: date | datetime, b: date | datetime) -> int:
    """Working days after a up to and including b, so working_days_between(a, add_working_days(a, n)) == n.

    The same day gives 0, and b before a gives minus the count from b to a: working_days_between(today,
    due) is the working days left, -2 meaning two working days overdue.
    """
    first, last = china_date(a), china_date(b)
    if first == last:
        return 0
    if last < first:
        return -working_days_between(last, first)
    calendar = _calendar()
    _load(calendar, first.year, last.year)
    count = 0
    day = first
    while day < last:
        day += ONE_DAY
        if _is_working_day(calendar, day):
            count += 1
    return count


def calendar_is_fallback(day: date | datetime) -> bool:
    """True when day's year has no entered schedule, so only weekends count as days off."""
    return china_date(day).year not in _known_years(_calendar())


def unknown_years(years) -> list[int]:
    """Those of `years` with no entered schedule, in order."""
    known = _known_years(_calendar())
    return sorted(y for y in set(years) if y not in known)


@dataclass(frozen=True)
class Deadline:
    """When a working-day clock ends, and whether a year it crosses was counted weekends-only."""

    due: date
    uses_fallback: bool
    fallback_years: tuple[int, ...] = ()

    @property
    def fallback_note(self) -> str | None:
        """The sentence to show next to the date when it may move once holidays are entered."""
        if not self.uses_fallback:
            return None
        return _("%(years)s 年节假日尚未录入，按周末计算", years=join_list(self.fallback_years))


def deadline(start: date | datetime, n: int) -> Deadline:
    """The end of an n-working-day clock started at `start` (see add_working_days)."""
    first = china_date(start)
    due = add_working_days(first, n)
    counted_from = min(first + ONE_DAY, due)
    missing = tuple(unknown_years(range(counted_from.year, due.year + 1)))
    return Deadline(due=due, uses_fallback=bool(missing), fallback_years=missing)
