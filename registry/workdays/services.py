"""Working days on the Chinese calendar: legal clocks, seeding from chinesecalendar, staff corrections.

The database is the truth: `calendar_days` holds the days that break the Monday-to-Friday rule
(holidays on weekdays, 调休 weekends) and any day staff decided; `calendar_years` says which
years have been entered. A year without a row falls back to "weekends off" and every deadline
crossing it says so, because chinesecalendar only knows the years the State Council has published
(and raises NotImplementedError for the others).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import chinese_calendar
from flask import g
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from registry.audit import services as audit
from registry.i18n import join_list
from registry.auth.models import User
from registry.clock import utcnow
from registry.errors import Conflict, DomainError, NotPermitted
from registry.extensions import db
from registry.workdays.models import CalendarDay, CalendarSource, CalendarYear, is_weekend
from registry.clock import china_date

ONE_DAY = timedelta(days=1)
# Years staff may edit: wide enough for any clock, narrow enough to catch a typed 2207.
FIRST_YEAR, LAST_YEAR = 2000, 2100
NAME_MAX_LENGTH = 64

LIBRARY = CalendarSource.LIBRARY.value
STAFF = CalendarSource.STAFF.value


# --- dates -------------------------------------------------------------------------------------


# --- the library -------------------------------------------------------------------------------


def library_years() -> list[int]:
    """The years the installed chinesecalendar has schedules for, probed (it raises for others)."""
    listed = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    if not listed:
        return []
    supported = []
    for year in range(min(listed), max(listed) + 1):
        try:
            chinese_calendar.get_holiday_detail(date(year, 1, 1))
            chinese_calendar.get_holiday_detail(date(year, 12, 31))
        except NotImplementedError:
            continue
        supported.append(year)
    return supported


def _holiday_name(english: str | None) -> str:
    if english is None:
        return ""
    try:
        return chinese_calendar.Holiday(english).chinese
    except ValueError:  # a holiday a newer chinesecalendar added without a Chinese name
        return english


def _entry(day: date, on_holiday: bool, english: str | None) -> tuple[bool, str] | None:
    is_workday = not on_holiday
    if is_workday != is_weekend(day):
        return None
    name = _holiday_name(english)
    # Stored data, in Chinese like the State Council's notice (not a UI string).
    return (True, f"调休上班（{name}）" if name else "调休上班") if is_workday else (False, name or "法定节假日")


def library_entry(day: date) -> tuple[bool, str] | None:
    """(is_workday, name) when chinesecalendar says `day` breaks the weekday rule, else None."""
    try:
        on_holiday, english = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    return _entry(day, on_holiday, english)


def _library_days(years: set[int]) -> dict[date, tuple[bool, str]]:
    """Every rule-breaking day of `years`, read from the library's tables in one pass (asking
    get_holiday_detail day by day re-scans them each time). A listed workday wins, as there."""
    days = {}
    for table, on_holiday in ((chinese_calendar.holidays, True), (chinese_calendar.workdays, False)):
        for day, english in table.items():
            if day.year in years:
                entry = _entry(day, on_holiday, english)
                if entry is not None:
                    days[day] = entry
                elif not on_holiday:
                    days.pop(day, None)
    return days


def seed_from_library(years: list[int] | None = None) -> int:
    """Copy chinesecalendar's holidays and make-up workdays into the calendar; returns the days
    inserted, updated or deleted (0 when already in step).

    Rows staff entered are never touched, nor years staff entered by hand; library rows follow the
    library (a newer chinesecalendar may correct a schedule). Flushes, never commits.
    """
    supported = library_years()
    if years is None:
        wanted = supported
    else:
        for year in years:
            if year not in supported:
                raise DomainError(_("chinesecalendar 没有 %(year)s 年的节假日安排。", year=year), field="year")
        wanted = sorted(set(years))
    if not wanted:
        return 0
    year_rows = {row.year: row for row in db.session.scalars(select(CalendarYear).where(CalendarYear.year.in_(wanted)))}
    stored = {
        row.day: row
        for row in db.session.scalars(
            select(CalendarDay).where(CalendarDay.day.between(date(wanted[0], 1, 1), date(wanted[-1], 12, 31)))
        )
    }
    library = _library_days(set(wanted))
    changed = 0
    for year in wanted:
        year_row = year_rows.get(year)
        if year_row is not None and year_row.source == STAFF:
            continue
        if year_row is None:
            db.session.add(CalendarYear(year=year, source=LIBRARY, confirmed=False))
        for day, (is_workday, name) in library.items():
            if day.year != year:
                continue
            row = stored.get(day)
            if row is None:
                db.session.add(CalendarDay(day=day, is_workday=is_workday, name=name, source=LIBRARY))
                changed += 1
            elif row.source == LIBRARY and (row.is_workday, row.name) != (is_workday, name):
                row.is_workday, row.name = is_workday, name
                changed += 1
        for day, row in stored.items():
            if day.year == year and row.source == LIBRARY and day not in library:
                db.session.delete(row)
                changed += 1
    db.session.flush()
    _forget_cache()
    return changed


# --- reading the calendar ----------------------------------------------------------------------


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


def _forget_cache() -> None:
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


# --- staff pages -------------------------------------------------------------------------------


def calendar_years() -> list[CalendarYear]:
    """Every entered year, newest first."""
    return list(db.session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc())))


def calendar_year(year: int) -> CalendarYear | None:
    return db.session.get(CalendarYear, year)


def days_of_year(year: int) -> list[CalendarDay]:
    """The stored days of `year`, in date order."""
    return list(db.session.scalars(
        select(CalendarDay).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))).order_by(CalendarDay.day)
    ))


def stored_day(day: date) -> CalendarDay | None:
    return db.session.get(CalendarDay, day)


def check_year(year: int, field: str = "year") -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(_("请填写 %(first)s 至 %(last)s 年之间的日期。", first=FIRST_YEAR, last=LAST_YEAR), field=field)


def require_calendar_editor(actor: User | None) -> None:
    """Only administrators change the calendar: every district's legal clocks run on it."""
    if actor is None or not actor.is_admin:
        raise NotPermitted(_("只有管理员可以修改工作日历。如发现安排有误，请联系管理员。"))


def _snapshot(row: CalendarDay | None) -> dict | None:
    if row is None:
        return None
    return {"is_workday": row.is_workday, "name": row.name, "source": row.source}


def _flush_or_conflict() -> None:
    try:
        # A savepoint, so two officers saving the same new day (or year) fail this insert alone.
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(_("日历刚被其他工作人员修改，请刷新页面后再试。")) from error


def set_day(day: date, is_workday: bool, name: str, actor: User) -> CalendarDay:
    """Decide how `day` counts (source "staff", kept by every later seeding); admins only, audited."""
    require_calendar_editor(actor)
    check_year(day.year, field="day")
    name = " ".join((name or "").split())
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError(_("名称最多 %(max)s 个字。", max=NAME_MAX_LENGTH), field="name")
    if not name and is_workday == is_weekend(day):
        if is_workday:
            message = _("%(day)s 是周末。设为上班日时请填写名称，例如：调休上班（春节）。", day=day.isoformat())
        else:
            message = _("%(day)s 是工作日。设为放假时请填写节假日名称，例如：国庆节。", day=day.isoformat())
        raise DomainError(message, field="name")
    row = db.session.get(CalendarDay, day)
    before = _snapshot(row)
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    elif (row.source, row.is_workday, row.name) == (STAFF, is_workday, name):
        return row
    row.is_workday, row.name, row.source = is_workday, name, STAFF
    row.updated_at, row.updated_by_id = utcnow(), actor.id
    _flush_or_conflict()
    _forget_cache()
    audit.record("calendar.day_set", row, actor, day=day.isoformat(), is_workday=is_workday, name=name, before=before)
    return row


def remove_day(day: date, actor: User) -> None:
    """Let `day` count by the weekday rule again; admins only, audited.

    If chinesecalendar lists the day, a staff row restating the rule is kept instead of deleting,
    so that the next seeding does not bring the library's entry back.
    """
    require_calendar_editor(actor)
    row = db.session.get(CalendarDay, day)
    kept = library_entry(day) is not None
    if row is None or (kept and row.source == STAFF and row.matches_weekday_rule):
        raise DomainError(_("%(day)s 没有单独录入的安排，已按常规计算。", day=day.isoformat()), field="day")
    before = _snapshot(row)
    if kept:
        row.is_workday, row.name, row.source = not is_weekend(day), "", STAFF
        row.updated_at, row.updated_by_id = utcnow(), actor.id
        _flush_or_conflict()
    audit.record("calendar.day_removed", row, actor, day=day.isoformat(), before=before, kept_as_staff_row=kept)
    if not kept:
        db.session.delete(row)
        db.session.flush()
    _forget_cache()


def confirm_year(year: int, actor: User) -> CalendarYear:
    """Mark `year` as checked against the State Council's schedule, ending the weekend fallback; admins only,
    audited."""
    require_calendar_editor(actor)
    check_year(year)
    has_days = db.session.scalar(
        select(CalendarDay.day).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))).limit(1)
    )
    if has_days is None:
        raise DomainError(_("%(year)s 年还没有录入任何节假日或调休，请先录入，再确认。", year=year), field="year")
    row = db.session.get(CalendarYear, year)
    if row is not None and row.confirmed:
        return row
    if row is None:
        row = CalendarYear(year=year, source=STAFF)
        db.session.add(row)
    row.confirmed, row.updated_at, row.updated_by_id = True, utcnow(), actor.id
    _flush_or_conflict()
    _forget_cache()
    audit.record("calendar.year_confirmed", row, actor, year=year, source=row.source)
    return row
