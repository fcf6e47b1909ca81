"""HTTP hardening applied to every response: security headers, proxies, trusted hosts, request ids;
and the registry's public address (`public_base_url`)."""

from __future__ import annotations

import os
import re
import uuid

from flask import Flask, abort, current_app, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from registry.pagination import ID_MAX

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])


# Text no page may receive: NUL (PostgreSQL text cannot hold it) and the other C0 control characters
# but tab, line feed and carriage return (XML cannot hold them, so neither can the XLSX exports).
# No one types them; they only come from tools probing for errors.
UNUSABLE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def public_base_url() -> str:
    """The registry's address, without a trailing slash, as QR codes, posters, invitation letters, texts,
    the API's examples and links, and the open data print it: every reader asks here.

    PUBLIC_BASE_URL when set; production refuses to start without it (config.py), because what is printed
    on a poster must not depend on who asked. In development without it, the address the request came to,
    so a phone on the LAN that opened http://192.168.1.20:5106 gets QR codes it can scan; outside a request
    (a command-line job), the address `flask run` serves: 127.0.0.1 and FLASK_RUN_PORT (5000 by default).
    """
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return f"http://127.0.0.1:{os.environ.get('FLASK_RUN_PORT') or 5000}"


class RecordIdConverter(IntegerConverter):
    """`<int:…>` in every route: a number no id column can hold (≥ 2³¹) matches no route (404) instead of
    reaching the database, where SQLite and PostgreSQL refuse it with an error."""

    def __init__(self, map, fixed_digits=0, min=None, max=ID_MAX, signed=False):  # noqa: A002 — werkzeug's names
        super().__init__(map, fixed_digits, min, max, signed)


def install_converters(app: Flask) -> None:
    """Before any blueprint adds its routes: `int` is the bounded record-id converter."""
    app.url_map.converters["int"] = RecordIdConverter


class UnusableText(BadRequest):
    """A query parameter, or a form field no one types, carrying text no page may receive; `parameter` names it."""

    def __init__(self, parameter: str):
        super().__init__()
        self.parameter = parameter


def refuse_unusable_text() -> None:
    """One guard for what no form reads, before any view or query: such a path names nothing (404); such a
    query-string parameter is refused with the usual 400 page (the API answers it in its own shape, naming
    it). Posted forms are not checked here: the form filter (registry/forms.py) puts its message next to
    the field and keeps what was typed."""
    if UNUSABLE_TEXT.search(request.path):
        abort(404)
    for name, values in request.args.lists():
        if UNUSABLE_TEXT.search(name) or any(UNUSABLE_TEXT.search(value) for value in values):
            raise UnusableText(name)


def security_header_items(config) -> list[tuple[str, str]]:
    """The headers every response carries (a response may set its own first); also what the page
    cache's fast path sends (lookup/page_cache.py), so both answer alike."""
    items = [("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Content-Type-Options", "nosniff"),
             ("Referrer-Policy", "strict-origin-when-cross-origin"), ("X-Frame-Options", "DENY")]
    if config["HSTS_SECONDS"]:
        items.append(("Strict-Transport-Security", f"max-age={config['HSTS_SECONDS']}; includeSubDomains"))
    return items


def new_request_id() -> str:
    return uuid.uuid4().hex[:12]


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the signing serializer for a request that
    carries no session cookie (most public reads): an empty session at once."""

    def open_session(self, app, request_):
        if app.secret_key and not request_.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request_)


def install(app: Flask) -> None:
    app.session_interface = CookieSessions()
    if app.config["PROXY_COUNT"]:
        # Exactly as many proxies as stand in front; trusting more lets clients forge their IP.
        # The port too: on a port other than 443 the browser's Referer names it, and CSRF's strict
        # https check compares it with the host the app sees.
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    @app.before_request
    def assign_request_id():
        g.request_id = new_request_id()

    app.before_request(refuse_unusable_text)

    @app.after_request
    def security_headers(response):
        headers = response.headers
        for name, value in security_header_items(app.config):
            headers.setdefault(name, value)
        # Pages of a signed-in user carry their personal data: never keep them in a shared cache.
        if getattr(g, "_login_user", None) is not None and g._login_user.is_authenticated \
                and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        headers.setdefault("X-Request-Id", g.get("request_id", ""))
        return response
