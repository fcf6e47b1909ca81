"""Seeding the calendar from chinesecalendar (workdays.seeding): only rule-breaking days, in step with
the library, staff entries kept."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from registry.errors import DomainError
from registry.extensions import db
from registry.workdays import seeding
from registry.workdays.calendar import is_working_day
from registry.workdays.editing import confirm_year, remove_day, set_day
from registry.workdays.models import CalendarDay, CalendarYear
from registry.workdays.seeding import seed_from_library

from .helpers import YEARS_OF_1_11, day_count

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


# --- seeding -----------------------------------------------------------------------------------


def test_seeding_stores_only_the_days_that_break_the_weekday_rule(app):
    inserted = seed_from_library()
    db.session.commit()

    assert inserted == day_count() > 0
    rows = db.session.scalars(select(CalendarDay)).all()
    assert all(row.source == "library" and not row.matches_weekday_rule for row in rows)
    national_day = db.session.get(CalendarDay, date(2025, 10, 1))
    assert (national_day.is_workday, national_day.name) == (False, "国庆节")
    make_up = db.session.get(CalendarDay, date(2025, 10, 11))
    assert (make_up.is_workday, make_up.name) == (True, "调休上班（国庆节）")
    assert db.session.get(CalendarDay, date(2025, 10, 4)) is None  # a Saturday in the holiday: weekend anyway
    years = db.session.scalars(select(CalendarYear.year).order_by(CalendarYear.year)).all()
    assert years == seeding.library_years()
    assert set(YEARS_OF_1_11) <= set(years)
    assert db.session.get(CalendarYear, 2026).source == "library"


def test_seeding_agrees_with_the_library_day_by_day():
    years = seeding.library_years()
    seeded_days = seeding._library_days(set(years))
    day = date(years[0], 1, 1)
    while day.year <= years[-1]:
        assert seeded_days.get(day) == seeding.library_entry(day), day
        day = date.fromordinal(day.toordinal() + 1)
    assert seeding.library_entry(date(2027, 1, 1)) is None  # unsupported year: no entry, no exception


def test_seeding_twice_changes_nothing(app):
    seed_from_library()
    db.session.commit()
    rows_before = day_count()
    assert seed_from_library() == 0
    db.session.commit()
    assert day_count() == rows_before
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == len(seeding.library_years())


def test_seeding_one_year_and_refusing_an_unknown_one(app):
    # Weekday holidays: Jan 1; Jan 28–31, Feb 3–4; Apr 4; May 1, 2, 5; Jun 2; Oct 1–3, 6–8 (18).
    # Weekend workdays: Jan 26, Feb 8, Apr 27, Sep 28, Oct 11 (5).
    assert seed_from_library([2025]) == 23
    db.session.commit()
    assert db.session.scalars(select(CalendarYear.year)).all() == [2025]
    with pytest.raises(DomainError) as refused:
        seed_from_library([2101])
    assert refused.value.message == "chinesecalendar 没有 2101 年的节假日安排。"


def test_staff_overrides_survive_reseeding(seeded, staff):
    set_day(date(2025, 10, 11), False, "临时闭馆", staff)
    remove_day(date(2025, 10, 8), staff)
    db.session.commit()

    seed_from_library()
    db.session.commit()

    overridden = db.session.get(CalendarDay, date(2025, 10, 11))
    assert (overridden.source, overridden.is_workday, overridden.name) == ("staff", False, "临时闭馆")
    restored = db.session.get(CalendarDay, date(2025, 10, 8))
    assert (restored.source, restored.is_workday) == ("staff", True)
    assert is_working_day(date(2025, 10, 8)) is True
    assert is_working_day(date(2025, 10, 11)) is False


def test_seeding_skips_a_year_staff_entered_by_hand(app, make_user):
    staff = make_user(role="admin")
    set_day(date(2026, 1, 1), False, "元旦", staff)
    confirm_year(2026, staff)
    db.session.commit()

    seed_from_library()
    db.session.commit()

    assert db.session.get(CalendarYear, 2026).source == "staff"
    assert db.session.get(CalendarDay, date(2026, 2, 16)) is None  # 春节 not added over staff's year
    assert db.session.get(CalendarDay, date(2025, 10, 1)) is not None
