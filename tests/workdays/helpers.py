"""Shared pieces of the working-day suites."""

from __future__ import annotations

from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.extensions import db
from registry.workdays.models import CalendarDay

# The calendar as chinesecalendar 1.11 has it (up to 2026), so 2027 stays unknown after an upgrade.
YEARS_OF_1_11 = range(2004, 2027)


def day_count() -> int:
    return db.session.scalar(select(func.count()).select_from(CalendarDay))


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
