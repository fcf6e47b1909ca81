"""Administrators' calendar edits (workdays.editing): upserts, names, removal, audit, who may edit."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.errors import DomainError, NotPermitted
from registry.extensions import db
from registry.workdays import editing
from registry.workdays.calendar import is_working_day
from registry.workdays.editing import confirm_year, remove_day, set_day
from registry.workdays.models import CalendarDay

from .helpers import day_count

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


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
    assert day_count() == before and editing.stored_day(date(2025, 10, 8)) is not None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
