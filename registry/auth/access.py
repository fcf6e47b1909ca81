"""Access rules applied to whole blueprints, so no route can forget them."""

from __future__ import annotations

from flask import Blueprint
from flask_login import login_required


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
