"""Domain errors raised by services, turned into responses in one place."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from registry.extensions import db
from registry.uploads import format_bytes

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the registry refused an action; the message is shown to the user."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        # The form field the message belongs to, when a form shows it.
        self.field = field


class InvalidFields(DomainError):
    """Several fields are wrong at once; `errors` maps each field to its message, so a form shows every
    problem after one submit (the first is also the error's own message and field)."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = dict(errors)


class NotPermitted(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class InvalidTransition(DomainError):
    status_code = 409


class Conflict(DomainError):
    status_code = 409


def sends_photos(view):
    """Marks a view whose form uploads photos: a request over the size cap is answered in those words."""
    view.sends_photos = True
    return view


def register_errorhandlers(app: Flask) -> None:
    """Render HTTP and domain errors as pages (or JSON under /api), never as tracebacks."""

    def wants_json() -> bool:
        return request.path.startswith("/api/")

    def render(status: int, message: str | None = None, back: str | None = None):
        if wants_json():
            return jsonify(error={"status": status, "message": message}), status
        template = f"errors/{status}.html" if status in {400, 403, 404, 409, 413, 429, 500} else "errors/generic.html"
        try:
            return render_template(template, status=status, message=message, back=back), status
        except Exception:  # noqa: BLE001 — e.g. a refused Host header leaves no URL adapter for url_for
            log.warning("error page %s could not be rendered; sent as plain text", status, exc_info=True)
            return Response(f"{status} {message or ''}".strip(), status=status, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        db.session.rollback()
        return render(error.code or 500, error.description if error.code == 429 else None)

    @app.errorhandler(RequestEntityTooLarge)
    def upload_too_large(error: RequestEntityTooLarge):
        """Over MAX_CONTENT_LENGTH the body is never read, so the form cannot be shown again: the page says
        what to do and leads back to the form."""
        db.session.rollback()
        limit = format_bytes(app.config["MAX_CONTENT_LENGTH"] or 0)
        if getattr(app.view_functions.get(request.endpoint), "sends_photos", False):
            message = _("照片总大小超过 %(limit)s，请少选几张或缩小后再上传。", limit=limit)
        else:
            message = _("上传的文件总大小超过 %(limit)s，请缩小后再上传。", limit=limit)
        back = request.path if request.url_rule is not None and "GET" in request.url_rule.methods else None
        return render(413, message, back)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        return render(error.status_code, error.message)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        g.request_id = getattr(g, "request_id", None) or uuid.uuid4().hex[:12]
        log.exception("unhandled error, request id %s", g.request_id)
        return render(500)
