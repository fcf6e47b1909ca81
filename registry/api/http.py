"""JSON responses of the public API: a strong ETag from the body, 304 on a match, public caching, CORS."""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager

from flask import Response, g, request
from flask_babel import force_locale
from flask_babel import gettext as _

API_CACHE_SECONDS = 60


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def json_response(data, max_age: int = API_CACHE_SECONDS) -> Response:
    """`data` as JSON with a strong ETag (SHA-256 of the body); 304 without a body when If-None-Match matches."""
    body = dumps(data).encode("utf-8")
    response = Response(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    # werkzeug compares If-None-Match weakly (RFC 9110), handles lists of tags, W/ prefixes and "*".
    return response.make_conditional(request)


def error_response(status: int, code: str, message: str, parameter: str | None = None) -> Response:
    error = {"status": status, "code": code, "message": message}
    if parameter is not None:
        error["parameter"] = parameter
    if status >= 500:
        error["request_id"] = g.get("request_id")
    response = Response(dumps({"error": error}), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@contextmanager
def answer_language(lang: str | None):
    """Answer in `lang` when the caller named one (?lang=), else as Accept-Language chose."""
    if lang is None:
        yield
        return
    with force_locale(lang):
        yield


def http_error_words(status: int) -> tuple[str, str]:
    """A machine code and a sentence for an HTTP error status."""
    words = {
        404: ("not_found", _("没有找到请求的资源。")),
        405: ("method_not_allowed", _("此接口只读，只接受 GET 请求。")),
        429: ("rate_limited", _("请求太频繁，请稍后再试。")),
    }
    return words.get(status, (f"http_{status}", _("请求无法处理（HTTP %(status)d）。", status=status)))


def add_cors_headers(response: Response) -> Response:
    """Public, read-only data: any web page may read it (no credentials are ever involved)."""
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = "ETag, X-Request-Id, Retry-After"
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        headers["Access-Control-Allow-Headers"] = "Accept-Language, If-None-Match"
        headers["Access-Control-Max-Age"] = "86400"
    headers.add("Vary", "Accept-Language")
    return response
