"""Fixtures of the working-day suites: a calendar seeded as chinesecalendar 1.11 has it, a staff member."""

from __future__ import annotations

import pytest

from registry.extensions import db
from registry.workdays.seeding import library_years, seed_from_library

from .helpers import YEARS_OF_1_11


@pytest.fixture
def seeded(app):
    seed_from_library([y for y in library_years() if y in YEARS_OF_1_11])
    db.session.commit()


@pytest.fixture
def staff(make_user):
    """The one who edits the calendar: an administrator (district staff only read it)."""
    return make_user(role="admin", name="值班员")
