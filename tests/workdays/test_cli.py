"""`flask calendar seed`: seeds through the same service, commits, and says what it did."""

from __future__ import annotations

from sqlalchemy import func, select

from registry.extensions import db
from registry.workdays.cli import calendar_group
from registry.workdays.models import CalendarDay, CalendarYear
from registry.clock import today_in_china
from registry.workdays.seeding import library_years


def test_seed_commits_and_reports_days_and_years(runner):
    first = runner.invoke(calendar_group, ["seed"])

    assert first.exit_code == 0, first.output
    days = db.session.scalar(select(func.count()).select_from(CalendarDay))
    known = library_years()
    years = len(known)
    assert f"Seeded {days} days from chinesecalendar (it knows {years} years: {known[0]}–{known[-1]})." in first.output
    assert f"Calendar now holds {days} days in {years} years." in first.output
    next_year = today_in_china().year + 1
    assert (f"Warning: {next_year} is not entered" in first.output) == (next_year not in library_years())

    again = runner.invoke(calendar_group, ["seed"])
    assert "Seeded 0 days" in again.output
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == years


def test_seed_refuses_a_year_the_library_does_not_know(runner):
    result = runner.invoke(calendar_group, ["seed", "--year", "2101"])
    assert result.exit_code == 1
    assert "chinesecalendar 没有 2101 年的节假日安排。" in result.output
