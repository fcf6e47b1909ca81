"""Who may do what: access rules applied to whole blueprints (so no route can forget them), and the
one rule for which district's records a staff member works on."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, g
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select

from registry.auth.models import User
from registry.errors import NotPermitted
from registry.extensions import login_manager


def _restricted(bp: Blueprint, allowed: Callable[[User], bool], staff_layout: bool) -> Blueprint:
    """Deny by default: anonymous visitors go to the login page, accounts `allowed` refuses get 403,
    and nothing behind the wall is ever cached (these pages hold personal data)."""

    @bp.before_request
    def _check_access():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not allowed(current_user):
            abort(403)
        g.in_staff_area = staff_layout  # the layout shows the staff navigation
        return None

    @bp.after_request
    def _never_cache(response):
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp


def owner_area(bp: Blueprint) -> Blueprint:
    """Pages for any signed-in account; whether it owns the shop in the URL is decided by the
    service that loads the shop."""
    return _restricted(bp, lambda user: True, staff_layout=False)


def staff_area(bp: Blueprint) -> Blueprint:
    """Staff and administrators; district scoping is decided by the services that load a case."""
    return _restricted(bp, lambda user: user.is_staff, staff_layout=True)


def admin_area(bp: Blueprint) -> Blueprint:
    """Administrators only (accounts, pledge texts, flag rules)."""
    return _restricted(bp, lambda user: user.is_admin, staff_layout=True)


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
