"""Which district's records a staff member works on: one rule, asked by every service and query.

(The walls around whole blueprints, by role, are in `registry.walls`.)"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select

from registry.auth.models import User
from registry.errors import NotPermitted


# --- District scoping ----------------------------------------------------------------------------
# Staff with a district act on that district's records only; staff without one (and administrators
# without one) cover the whole area. Every service and query asks these two, so the rule has one home.

def covers_district(user: User | None, district: str | None) -> bool:
    """Whether `user` is staff whose area includes records of `district`."""
    return user is not None and user.is_staff and (not user.district or district == user.district)


def require_district(user: User | None, district: str | None, refusal: str) -> None:
    """Refuse with NotPermitted unless `user` is staff covering `district`; `refusal` names the record
    ("这件投诉不在您负责的区县。") and is shown when the user is staff of another district."""
    if user is None or not user.is_staff:
        raise NotPermitted(_("只有工作人员可以处理。"))
    if not covers_district(user, district):
        raise NotPermitted(refusal)


def in_district(statement: Select, user: User, column) -> Select:
    """`statement` limited to rows whose `column` is `user`'s district (unchanged for area-wide staff)."""
    return statement.where(column == user.district) if user.district else statement
