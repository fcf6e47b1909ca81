"""Read-only queries behind the audit log page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, false, or_, select

from registry.audit.models import AuditEntry
from registry.extensions import db

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


# --- Scope: what a district officer reads ---------------------------------------------------------------

# Rows that belong to a district by themselves (a `district` column) are shops, consultations and import
# batches; accounts have one too, but an officer's district is no place: entries about accounts are
# the administrators' business.
_NOT_A_PLACE = frozenset({"users"})


def _district_tables() -> list[tuple[str, object, str]]:
    """(subject type, table, how) for every model an entry can be about that belongs to a district:
    how = "own" (its `district` column) or "shop" (its `merchant_id`: the shop's district).

    Read from the mapped models, so audit imports none of the packages above it and a new model
    with a merchant_id is scoped without being listed here.
    """
    found = []
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table
        subject_type = mapper.class_.__name__.lower()
        if "id" not in table.c or table.name in _NOT_A_PLACE:
            continue
        if "district" in table.c:
            found.append((subject_type, table, "own"))
        elif "merchant_id" in table.c:
            found.append((subject_type, table, "shop"))
    return sorted(found, key=lambda row: row[0])


def entries_about_district(statement: Select, district: str, viewer_id: int) -> Select:
    """Entries about things of `district` (a shop there, anything of such a shop, a consultation or
    import batch recorded there), plus the viewer's own actions and entries about their own account.

    An entry's district is its subject's district now (the shop's, when the subject is a shop's
    complaint, sanction, badge…): the officer who is responsible for a shop reads its whole history.
    Entries with no district (pledge texts, flag rules, the calendar, accounts) are left out unless
    the viewer made them. Each kind of subject is one uncorrelated `IN (SELECT id …)`, which both
    databases evaluate once per query, not once per entry.
    """
    tables = _district_tables()
    merchants = next((table for _type, table, _how in tables if table.name == "merchants"), None)
    shops = select(merchants.c.id).where(merchants.c.district == district) if merchants is not None else None
    # A complaint about a business not in the registry has no shop yet: it belongs to that business's district.
    unlisted = next((table for _type, table, _how in tables if table.name == "unlisted_businesses"), None)
    businesses = select(unlisted.c.id).where(unlisted.c.district == district) if unlisted is not None else None
    about = [AuditEntry.actor_id == viewer_id,
             and_(AuditEntry.subject_type == "user", AuditEntry.subject_id == viewer_id)]
    for subject_type, table, how in tables:
        if how == "own":
            ids = select(table.c.id).where(table.c.district == district)
        elif shops is not None:
            ids = select(table.c.id).where(table.c.merchant_id.in_(shops))
            if businesses is not None and "business_id" in table.c:
                ids = select(table.c.id).where(or_(table.c.merchant_id.in_(shops),
                                                   and_(table.c.merchant_id.is_(None),
                                                        table.c.business_id.in_(businesses))))
        else:
            continue
        about.append(and_(AuditEntry.subject_type == subject_type, AuditEntry.subject_id.in_(ids)))
    return statement.where(or_(false(), *about))


def visible_to(statement: Select, user) -> Select:
    """Administrators and area-wide staff (no district) read every entry; district staff their district's."""
    if user.is_admin or not user.district:
        return statement
    return entries_about_district(statement, user.district, user.id)
