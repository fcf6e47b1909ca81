"""Read-only queries behind the audit log page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from registry.audit.models import AuditEntry

SYSTEM_ACTOR = "system"  # entries written by a job or by a consumer without an account


@dataclass(frozen=True)
class AuditFilter:
    action_prefix: str = ""
    actor: int | str | None = None  # a user id, SYSTEM_ACTOR, or None for everyone
    subject_type: str = ""
    subject_id: int | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    until_id: int | None = None  # entries up to this one (to look at one entry in its context)


def entries_matching(criteria: AuditFilter) -> Select:
    """Entries matching every given criterion, the newest first."""
    statement = select(AuditEntry)
    if criteria.action_prefix:
        statement = statement.where(AuditEntry.action.startswith(criteria.action_prefix, autoescape=True))
    if criteria.actor == SYSTEM_ACTOR:
        statement = statement.where(AuditEntry.actor_id.is_(None))
    elif isinstance(criteria.actor, int):
        statement = statement.where(AuditEntry.actor_id == criteria.actor)
    if criteria.subject_type:
        statement = statement.where(AuditEntry.subject_type == criteria.subject_type)
    if criteria.subject_id is not None:
        statement = statement.where(AuditEntry.subject_id == criteria.subject_id)
    if criteria.start is not None:
        statement = statement.where(AuditEntry.created_at >= criteria.start)
    if criteria.end is not None:
        statement = statement.where(AuditEntry.created_at < criteria.end)
    if criteria.until_id is not None:
        statement = statement.where(AuditEntry.id <= criteria.until_id)
    return statement.order_by(AuditEntry.id.desc())
