"""Read-only account lists for the administrators' pages."""

from __future__ import annotations

from sqlalchemy import Select, case, or_, select

from registry.auth.models import Role, User
from registry.extensions import db

_ROLE_ORDER = case((User.role == Role.ADMIN.value, 0), (User.role == Role.STAFF.value, 1), else_=2)


def users_matching(text: str = "", role: str | None = None, district: str | None = None,
                   enabled: bool | None = None) -> Select:
    """Accounts whose login or name contains `text`, administrators and staff first."""
    statement = select(User)
    text = (text or "").strip()[:64]
    if text:
        statement = statement.where(or_(User.login.contains(text.lower(), autoescape=True),
                                        User.display_name.contains(text, autoescape=True)))
    if role:
        statement = statement.where(User.role == role)
    if district:
        statement = statement.where(User.district == district)
    if enabled is not None:
        statement = statement.where(User.is_enabled.is_(enabled))
    return statement.order_by(_ROLE_ORDER, User.display_name, User.id)


def staff_districts() -> list[str]:
    """The districts staff accounts are limited to now (for the filter and the form's suggestions)."""
    return list(db.session.scalars(
        select(User.district).where(User.district.is_not(None)).group_by(User.district).order_by(User.district)
    ))
