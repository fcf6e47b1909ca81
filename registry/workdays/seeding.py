"""Seeding the working-day calendar from the chinesecalendar library, which only knows the years the
State Council has published (and raises NotImplementedError for the others)."""

from __future__ import annotations

from datetime import date

import chinese_calendar
from flask_babel import gettext as _
from sqlalchemy import select

from registry.errors import DomainError
from registry.extensions import db
from registry.workdays.calendar import announce_change, forget_cache
from registry.workdays.models import CalendarDay, CalendarSource, CalendarYear, is_weekend

LIBRARY = CalendarSource.LIBRARY.value
STAFF = CalendarSource.STAFF.value


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
    forget_cache()
    if changed or len(year_rows) < len(wanted):
        announce_change(date(wanted[0], 1, 1), date(wanted[-1], 12, 31))
    return changed
