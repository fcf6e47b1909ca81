"""Working-day arithmetic on the Chinese calendar (workdays.calendar): holidays, 调休, years the
library does not know, reading efficiently.

Expected dates are worked out by hand from the State Council's notices:
2025 国庆/中秋 Oct 1–8 off, Sun Sep 28 and Sat Oct 11 worked;
2026 春节 Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import event

from registry.errors import DomainError
from registry.extensions import db
from registry.workdays.calendar import (Deadline, add_working_days, calendar_is_fallback, deadline, forget_cache,
                                        is_working_day, working_days_between)
from registry.workdays.editing import confirm_year, set_day

from .helpers import audit_actions

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


# --- counting ----------------------------------------------------------------------------------


def test_national_day_2025_skips_the_holiday_and_counts_the_make_up_saturday(seeded):
    # Oct 9 Thu, 10 Fri, 11 Sat (调休), 13 Mon, 14 Tue, 15 Wed, 16 Thu.
    assert add_working_days(date(2025, 9, 30), 7) == date(2025, 10, 16)
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)


def test_spring_festival_2026(seeded):
    # Fri Feb 13 filed: Sat Feb 14 is worked, Feb 15–23 off, Sat Feb 28 worked, Sun Mar 1 not.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert add_working_days(date(2026, 2, 13), 7) == date(2026, 3, 2)
    assert add_working_days(date(2026, 2, 13), 10) == date(2026, 3, 5)
    assert deadline(date(2026, 2, 13), 10).uses_fallback is False


def test_a_make_up_saturday_counts_and_a_plain_saturday_does_not(seeded):
    assert is_working_day(date(2025, 10, 11)) is True  # 调休 Saturday
    assert is_working_day(date(2025, 9, 28)) is True  # 调休 Sunday
    assert is_working_day(date(2025, 10, 18)) is False  # plain Saturday
    assert is_working_day(date(2025, 10, 8)) is False  # Wednesday in the holiday
    assert is_working_day(date(2025, 10, 20)) is True  # plain Monday


def test_without_seeding_only_weekends_are_off_and_every_year_is_fallback(app):
    assert is_working_day(date(2025, 10, 1)) is True
    assert add_working_days(date(2025, 9, 30), 7) == date(2025, 10, 9)
    assert calendar_is_fallback(date(2025, 10, 1)) is True
    assert deadline(date(2025, 9, 30), 7).uses_fallback is True


def test_an_aware_datetime_counts_from_its_china_date(seeded):
    # 16:30 UTC on Tue Dec 1 is 00:30 on Wed Dec 2 in Beijing.
    filed = datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc)
    assert add_working_days(filed, 1) == date(2026, 12, 3)
    assert is_working_day(datetime(2025, 9, 30, 17, 0, tzinfo=timezone.utc)) is False  # Oct 1 in China
    with pytest.raises(ValueError):
        add_working_days(datetime(2026, 12, 1, 16, 30), 1)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 12, 1), -1)
    assert add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 28)


def test_working_days_between_is_the_inverse_of_adding(seeded):
    start = date(2025, 9, 25)
    for n in (0, 1, 2, 5, 7, 10, 45, 120):
        assert working_days_between(start, add_working_days(start, n)) == n
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 8)) == 0
    assert working_days_between(date(2025, 10, 16), date(2025, 9, 30)) == -7
    assert working_days_between(date(2025, 10, 16), date(2025, 10, 16)) == 0


# --- years the library does not know -----------------------------------------------------------


def test_45_working_days_from_today_run_into_2027_counted_weekends_only(seeded, staff):
    # Mon Nov 30 + 23 weekdays of December 2026 = 24; then 21 weekdays of 2027 from Fri Jan 1.
    result = deadline(date(2026, 11, 28), 45)
    assert result.due == date(2027, 1, 29)
    assert result.uses_fallback is True
    assert result.fallback_years == (2027,)
    assert result.fallback_note == "2027 年节假日尚未录入，按周末计算"
    assert calendar_is_fallback(date(2027, 1, 1)) is True
    assert calendar_is_fallback(date(2026, 12, 31)) is False

    set_day(date(2027, 1, 1), False, "元旦", staff)
    db.session.commit()

    moved = deadline(date(2026, 11, 28), 45)
    assert moved.due == date(2027, 2, 1)  # Fri Jan 29 → Mon Feb 1: one working day later
    assert moved.uses_fallback is True  # one day entered is not a confirmed year


def test_confirming_a_year_ends_the_fallback(seeded, staff):
    with pytest.raises(DomainError) as refused:
        confirm_year(2027, staff)
    assert refused.value.field == "year"
    assert "2027 年还没有录入" in refused.value.message

    set_day(date(2027, 1, 1), False, "元旦", staff)
    row = confirm_year(2027, staff)
    db.session.commit()

    assert (row.source, row.confirmed, row.updated_by_id) == ("staff", True, staff.id)
    assert deadline(date(2026, 11, 28), 45) == Deadline(date(2027, 2, 1), False, ())
    assert deadline(date(2026, 11, 28), 45).fallback_note is None
    assert audit_actions() == ["calendar.day_set", "calendar.year_confirmed"]


def test_a_short_clock_inside_a_known_year_does_not_warn(seeded):
    result = deadline(date(2026, 12, 1), 7)
    assert result == Deadline(date(2026, 12, 10), False, ())


# --- reading efficiently -----------------------------------------------------------------------


def test_a_long_clock_reads_the_stored_days_in_one_query(seeded):
    statements = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        forget_cache()
        deadline(date(2026, 11, 28), 45)
        working_days_between(date(2026, 11, 28), date(2027, 3, 1))  # same years: served from the request cache
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert sum("calendar_days" in s for s in statements) == 1
    assert sum("calendar_years" in s for s in statements) == 1
