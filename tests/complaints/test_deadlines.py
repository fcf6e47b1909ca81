"""Stored due dates follow calendar edits (complaints.deadlines): entering or correcting holidays, confirming
a year or seeding one recomputes the open cases the change reaches, drops their "weekends only" mark, and
audits each move; the calendar entry counts them."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from registry.audit.models import AuditEntry
from registry.audit.services import verify_chain
from registry.complaints import deadlines
from registry.extensions import db
from registry.workdays.editing import confirm_year, remove_day, set_day
from registry.workdays.seeding import seed_from_library

from .helpers import china, do, file

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


@pytest.fixture
def unscheduled_case(world, frozen):
    """Filed Tue 2025-09-30 with no 2025 schedule entered: Oct 1 counts as a Wednesday, due Oct 9, weekends only."""
    frozen.set(china(2025, 9, 30, 10))
    complaint, _ = file(world.shop)
    assert (complaint.due_date, complaint.due_uses_fallback) == (date(2025, 10, 9), True)
    return complaint


def test_entering_a_holiday_the_clock_crosses_moves_the_due_date(world, unscheduled_case):
    set_day(date(2025, 10, 1), False, "国庆节", world.admin)
    db.session.commit()

    assert unscheduled_case.due_date == date(2025, 10, 10)
    assert unscheduled_case.due_uses_fallback is True  # the year is still not confirmed
    moved = entries("complaint.due_recomputed")
    assert [(e.subject_type, e.subject_id, e.actor_id) for e in moved] == [("complaint", unscheduled_case.id, world.admin.id)]
    recorded = json.loads(moved[0].data)
    assert (recorded["old_due"], recorded["new_due"], recorded["tracking_number"]) == \
        ("2025-10-09", "2025-10-10", unscheduled_case.tracking_number)
    data = json.loads(entries("calendar.day_set")[0].data)
    assert (data["deadlines_checked"], data["deadlines_moved"]) == (1, 1)
    assert verify_chain().ok


def test_confirming_the_year_drops_the_weekends_only_mark(world, unscheduled_case):
    set_day(date(2025, 10, 1), False, "国庆节", world.admin)
    confirm_year(2025, world.admin)
    db.session.commit()

    assert (unscheduled_case.due_date, unscheduled_case.due_uses_fallback) == (date(2025, 10, 10), False)
    assert json.loads(entries("calendar.year_confirmed")[0].data)["deadlines_moved"] == 1
    assert json.loads(entries("complaint.due_recomputed")[-1].data)["new_weekends_only"] is False


def test_removing_the_holiday_moves_it_back(world, unscheduled_case):
    set_day(date(2025, 10, 1), False, "国庆节", world.admin)
    remove_day(date(2025, 10, 1), world.admin)
    db.session.commit()

    assert unscheduled_case.due_date == date(2025, 10, 9)
    assert json.loads(entries("calendar.day_removed")[0].data)["deadlines_moved"] == 1


def test_seeding_the_year_recomputes_every_clock_it_reaches(world, unscheduled_case, frozen):
    frozen.set(china(2025, 9, 30, 15))
    accepted, _ = file(world.shop)
    do("accept", accepted, world)
    db.session.commit()
    assert accepted.due_uses_fallback is True

    seed_from_library([2025])
    db.session.commit()

    # The State Council's schedule: Oct 1–8 off, Sat Oct 11 worked (see test_handling.py).
    assert (unscheduled_case.due_date, unscheduled_case.due_uses_fallback) == (date(2025, 10, 16), False)
    assert (accepted.due_date, accepted.due_uses_fallback) == (date(2025, 10, 21), False)
    assert {e.subject_id for e in entries("complaint.due_recomputed")} == {unscheduled_case.id, accepted.id}


def test_closed_cases_and_changes_after_the_due_date_move_nothing(world, unscheduled_case, frozen):
    frozen.set(china(2025, 9, 30, 11))
    withdrawn, _ = file(world.shop)
    do("withdraw", withdrawn, world)
    db.session.commit()

    set_day(date(2025, 10, 20), False, "测试放假", world.admin)  # after Oct 9: no clock reaches it
    db.session.commit()

    assert unscheduled_case.due_date == date(2025, 10, 9) and withdrawn.due_date is None
    assert entries("complaint.due_recomputed") == []
    assert deadlines.running_clock(withdrawn) is None
