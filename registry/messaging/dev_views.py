"""The SMS outbox for a developer (`make run`: http://127.0.0.1:5000/dev/outbox).

Registered only when REGISTRY_ENV is "development" (registry/__init__.py): production and tests never
have the route, as the page shows whole phone numbers and live codes. The newest messages first.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from registry.extensions import db
from registry.messaging.catalogue import segments
from registry.messaging.models import OutboxMessage

bp = Blueprint("dev_outbox", __name__)

SHOWN = 200


@bp.route("/dev/outbox")
def outbox():
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(SHOWN)).all()
    return render_template("messaging/dev_outbox.html", messages=messages, segments=segments, shown=SHOWN)


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    return response
