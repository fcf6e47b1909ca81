"""Domain errors raised by services, turned into responses in one place."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from registry.extensions import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the registry refused an action; the message is shown to the user."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        # The form field the message belongs to, when a form shows it.
        self.field = field


class NotPermitted(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class InvalidTransition(DomainError):
    status_code = 409


class Conflict(DomainError):
    status_code = 409


def register_errorhandlers(app: Flask) -> None:
    """Render HTTP and domain errors as pages (or JSON under /api), never as tracebacks."""

    def wants_json() -> bool:
        return request.path.startswith("/api/")

    def render(status: int, message: str | None = None):
        if wants_json():
            return jsonify(error={"status": status, "message": message}), status
        template = f"errors/{status}.html" if status in {400, 403, 404, 409, 429, 500} else "errors/generic.html"
        try:
            return render_template(template, status=status, message=message), status
        except Exception:  # noqa: BLE001 — e.g. a refused Host header leaves no URL adapter for url_for
            log.warning("error page %s could not be rendered; sent as plain text", status, exc_info=True)
            return Response(f"{status} {message or ''}".strip(), status=status, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        db.session.rollback()
        return render(error.code or 500, error.description if error.code == 429 else None)

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
