"""Access walls put around whole blueprints, so no route can forget them.

They ask only what the signed-in account says of itself (`is_staff`, `is_admin`, through
Flask-Login's `current_user`), so every package can put its pages behind one, however low it sits.
Which district's records a staff member may touch is decided by `auth.access`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, g
from flask_login import current_user

from registry.extensions import login_manager


def _restricted(bp: Blueprint, allowed: Callable[[Any], bool], staff_layout: bool) -> Blueprint:
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
