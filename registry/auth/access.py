"""Access rules applied to whole blueprints, so no route can forget them."""

from __future__ import annotations

from flask import Blueprint, abort, g
from flask_login import current_user, login_required

from registry.extensions import login_manager


def owner_area(bp: Blueprint) -> Blueprint:
    """Pages for a signed-in account: login required, and never cached (they hold personal data).

    Whether the account owns the shop in the URL is decided by the service that loads it.
    """

    @bp.before_request
    @login_required
    def _require_login():
        return None

    @bp.after_request
    def _never_cache(response):
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp


def staff_area(bp: Blueprint) -> Blueprint:
    """Staff pages, deny by default: anonymous users go to login, everyone but staff and admins gets 403.

    District scoping (staff limited to one district) is decided by the services that load a case.
    """

    @bp.before_request
    def _require_staff():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_staff:
            abort(403)
        g.in_staff_area = True  # the layout shows the staff navigation
        return None

    @bp.after_request
    def _never_cache(response):
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp


def admin_area(bp: Blueprint) -> Blueprint:
    """Administrator pages (accounts, pledge texts, rules): staff who are not admins get 403."""

    @bp.before_request
    def _require_admin():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        g.in_staff_area = True
        return None

    @bp.after_request
    def _never_cache(response):
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp
