"""Working-day clocks on the Chinese calendar: holidays, 调休, years the library does not know, staff edits.

Expected dates are worked out by hand from the State Council's notices:
2025 国庆/中秋 Oct 1–8 off, Sun Sep 28 and Sat Oct 11 worked;
2026 春节 Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import event, func, select

from registry.audit.models import AuditEntry
from registry.errors import DomainError, NotPermitted
from registry.extensions import db
from registry.workdays import services
from registry.workdays.models import CalendarDay, CalendarYear
from registry.workdays.services import (
    add_working_days,
    calendar_is_fallback,
    confirm_year,
    deadline,
    is_working_day,
    remove_day,
    seed_from_library,
    set_day,
    working_days_between,
)

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


# The calendar as chinesecalendar 1.11 has it (up to 2026), so 2027 stays unknown after an upgrade.
YEARS_OF_1_11 = range(2004, 2027)


@pytest.fixture
def seeded(app):
    seed_from_library([y for y in services.library_years() if y in YEARS_OF_1_11])
    db.session.commit()


@pytest.fixture
def staff(make_user):
    """The one who edits the calendar: an administrator (district staff only read it)."""
    return make_user(role="admin", name="值班员")


def day_count() -> int:
    return db.session.scalar(select(func.count()).select_from(CalendarDay))


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


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
    assert deadline(date(2026, 11, 28), 45) == services.Deadline(date(2027, 2, 1), False, ())
    assert deadline(date(2026, 11, 28), 45).fallback_note is None
    assert audit_actions() == ["calendar.day_set", "calendar.year_confirmed"]


def test_a_short_clock_inside_a_known_year_does_not_warn(seeded):
    result = deadline(date(2026, 12, 1), 7)
    assert result == services.Deadline(date(2026, 12, 10), False, ())


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
    assert years == services.library_years()
    assert set(YEARS_OF_1_11) <= set(years)
    assert db.session.get(CalendarYear, 2026).source == "library"


def test_seeding_agrees_with_the_library_day_by_day():
    years = services.library_years()
    seeded_days = services._library_days(set(years))
    day = date(years[0], 1, 1)
    while day.year <= years[-1]:
        assert seeded_days.get(day) == services.library_entry(day), day
        day = date.fromordinal(day.toordinal() + 1)
    assert services.library_entry(date(2027, 1, 1)) is None  # unsupported year: no entry, no exception


def test_seeding_twice_changes_nothing(app):
    seed_from_library()
    db.session.commit()
    rows_before = day_count()
    assert seed_from_library() == 0
    db.session.commit()
    assert day_count() == rows_before
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == len(services.library_years())


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


# --- staff edits -------------------------------------------------------------------------------


def test_set_day_upserts_and_writes_an_audit_entry(seeded, staff):
    row = set_day(date(2027, 10, 1), False, "  国庆节 ", staff)
    db.session.commit()
    assert (row.source, row.is_workday, row.name, row.updated_by_id) == ("staff", False, "国庆节", staff.id)

    set_day(date(2027, 10, 1), False, "国庆节", staff)  # unchanged: no new entry
    set_day(date(2025, 10, 1), False, "国庆节（核对）", staff)  # over a library row
    db.session.commit()

    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["calendar.day_set", "calendar.day_set"]
    assert (entries[0].actor_id, entries[0].subject_type, entries[0].subject_id) == (staff.id, "calendarday", 20271001)
    data = json.loads(entries[1].data)
    assert data["before"] == {"is_workday": False, "name": "国庆节", "source": "library"}
    assert data["name"] == "国庆节（核对）"


@pytest.mark.parametrize(("day", "is_workday", "message"), [
    (date(2027, 2, 8), False, "2027-02-08 是工作日。设为放假时请填写节假日名称，例如：国庆节。"),
    (date(2027, 2, 6), True, "2027-02-06 是周末。设为上班日时请填写名称，例如：调休上班（春节）。"),
])
def test_a_name_is_required_when_a_day_breaks_the_weekday_rule(app, staff, day, is_workday, message):
    with pytest.raises(DomainError) as refused:
        set_day(day, is_workday, "   ", staff)
    assert (refused.value.field, refused.value.message) == ("name", message)
    assert day_count() == 0


def test_restating_the_weekday_rule_needs_no_name(app, staff):
    row = set_day(date(2027, 2, 8), True, "", staff)
    assert row.matches_weekday_rule


def test_set_day_refuses_a_mistyped_year_and_an_overlong_name(app, staff):
    with pytest.raises(DomainError) as refused:
        set_day(date(2207, 1, 1), False, "元旦", staff)
    assert refused.value.field == "day"
    with pytest.raises(DomainError) as refused:
        set_day(date(2027, 1, 1), False, "节" * 65, staff)
    assert refused.value.field == "name"
    assert day_count() == 0


def test_remove_day_returns_to_the_weekday_rule(seeded, staff):
    set_day(date(2027, 1, 1), False, "元旦", staff)
    remove_day(date(2027, 1, 1), staff)
    db.session.commit()

    assert db.session.get(CalendarDay, date(2027, 1, 1)) is None
    assert is_working_day(date(2027, 1, 1)) is True
    removed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "calendar.day_removed")).one()
    assert json.loads(removed.data)["before"] == {"is_workday": False, "name": "元旦", "source": "staff"}

    with pytest.raises(DomainError) as refused:
        remove_day(date(2027, 1, 1), staff)
    assert refused.value.field == "day"


def test_a_removed_library_day_cannot_be_removed_twice(seeded, staff):
    remove_day(date(2025, 10, 8), staff)
    with pytest.raises(DomainError):
        remove_day(date(2025, 10, 8), staff)


# --- reading efficiently -----------------------------------------------------------------------


def test_a_long_clock_reads_the_stored_days_in_one_query(seeded):
    statements = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        services._forget_cache()
        deadline(date(2026, 11, 28), 45)
        working_days_between(date(2026, 11, 28), date(2027, 3, 1))  # same years: served from the request cache
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert sum("calendar_days" in s for s in statements) == 1
    assert sum("calendar_years" in s for s in statements) == 1


def test_only_administrators_change_the_calendar(make_user, seeded):
    """The calendar runs every district's legal clocks, so district staff read it but cannot change it."""
    officer = make_user(role="staff", name="西湖区工作人员", district="西湖区")
    before = day_count()
    for change in (lambda: set_day(date(2027, 1, 1), False, "元旦", officer),
                   lambda: remove_day(date(2025, 10, 8), officer),
                   lambda: confirm_year(2025, officer)):
        with pytest.raises(NotPermitted):
            change()
        db.session.rollback()
    assert day_count() == before and services.stored_day(date(2025, 10, 8)) is not None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
