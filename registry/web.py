"""HTTP hardening applied to every response: security headers, proxies, trusted hosts, request ids."""

from __future__ import annotations

import uuid

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

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


def install(app: Flask) -> None:
    if app.config["PROXY_COUNT"]:
        # Exactly as many proxies as stand in front; trusting more lets clients forge their IP.
        # The port too: on a port other than 443 the browser's Referer names it, and CSRF's strict
        # https check compares it with the host the app sees.
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    @app.before_request
    def assign_request_id():
        g.request_id = uuid.uuid4().hex[:12]

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if app.config["HSTS_SECONDS"]:
            headers.setdefault("Strict-Transport-Security", f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains")
        # Pages of a signed-in user carry their personal data: never keep them in a shared cache.
        if getattr(g, "_login_user", None) is not None and g._login_user.is_authenticated \
                and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        headers.setdefault("X-Request-Id", g.get("request_id", ""))
        return response
