"""The public read-only JSON API, /api/v1 (documented at /api/v1/openapi.json), and its human page /api.

Thin: parse the parameters (params), read through the public pages' own queries, turn the records into
the QR page's data (serializers), answer with an ETag (http). No session, no cookies, no personal data.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from registry.api import http, openapi, params, queries, serializers
from registry.complaints.queries import public_complaints_with_replies
from registry.clock import utcnow
from registry.extensions import db, limiter
from registry.lookup.queries import load_shop_page, result_standings
from registry.merchants.services import merchant_by_public_code
from registry.reports import snapshots
from registry.replica import replica_reads
from registry.web import UnusableText
from registry.clock import today_in_china
from registry.web import public_base_url

log = logging.getLogger(__name__)
STATISTICS_CACHE_SECONDS = 300
DEFAULT_RATE_LIMIT = "120 per minute"

bp = Blueprint("api", __name__)
# Per client address, shared by every worker when RATELIMIT_STORAGE_URI points at Redis.
limiter.limit(lambda: current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT))(bp)
bp.after_request(http.add_cors_headers)


UNNAMED_PARAMETER = "(unnamed)"


@bp.errorhandler(params.InvalidParameter)
def invalid_parameter(error: params.InvalidParameter):
    return http.error_response(400, "invalid_parameter", error.message, error.parameter)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    db.session.rollback()
    if isinstance(error, UnusableText):  # refused before the view by the site-wide guard
        # "?=%1F" carries a parameter with no name: name it so, not "" (a caller could not tell which).
        name = error.parameter or UNNAMED_PARAMETER
        return http.error_response(400, "invalid_parameter", _("参数 %(name)s 含有控制字符。", name=name), name)
    status = error.code or 500
    code, message = http.http_error_words(status)
    return http.error_response(status, code, message)


@bp.errorhandler(Exception)
def unexpected_error(error: Exception):
    db.session.rollback()
    log.exception("unhandled API error, request id %s", g.get("request_id"))
    return http.error_response(500, "internal_error", _("服务器出错了，请稍后再试。"))


@bp.after_app_request
def routing_errors_in_api_shape(response):
    """A path or method no API route matches is refused before any blueprint is chosen, so the site's
    error page handler answers it; under /api/v1 it gets the API's error shape, CORS and (405) Allow."""
    error = request.routing_exception
    if not isinstance(error, HTTPException) or (error.code or 0) < 400 or not request.path.startswith("/api/v1/"):
        return response
    code, message = http.http_error_words(error.code)
    answer = http.error_response(error.code, code, message)
    if getattr(error, "valid_methods", None):
        answer.headers["Allow"] = ", ".join(error.valid_methods)
    for name in ("X-Request-Id", "Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                 "X-Frame-Options", "Strict-Transport-Security"):
        if name in response.headers:
            answer.headers[name] = response.headers[name]
    return http.add_cors_headers(answer)


def _not_found(message: str):
    return http.error_response(404, "not_found", message)


def curl_examples(base: str) -> list[tuple[str, str]]:
    """The /api page's examples as (what it does, the command). Each must work as printed in a shell:
    Chinese parameters go through curl's own encoding (-G --data-urlencode) or are percent-encoded,
    since curl sends a URL's bytes as they are (tests/api/test_examples.py runs every one)."""
    search = {"q": "超市", "district": "西湖区", "per_page": "10"}
    return [
        (_("搜索西湖区的超市（curl 负责把中文编码）："),
         f"curl -G '{base}/api/v1/shops' --data-urlencode 'q={search['q']}' "
         f"--data-urlencode 'district={search['district']}' -d per_page={search['per_page']}"),
        (_("同一个搜索，地址已编码，可直接在浏览器或任何工具里打开："),
         f"curl '{base}/api/v1/shops?{urlencode(search)}'"),
        (_("%(year)d 年的统计数字（英文说明）：", year=today_in_china().year),
         f"curl -H 'Accept-Language: en' '{base}/api/v1/statistics?year={today_in_china().year}'"),
    ]


@bp.get("/api")
@replica_reads
def index():
    """A short page for people: what the API offers, with examples that work as printed."""
    return render_template("api/index.html", examples=curl_examples(public_base_url()))


@bp.get("/api/v1/openapi.json")
@replica_reads
def openapi_document():
    with http.answer_language(params.language(request.args)):
        return http.json_response(openapi.document(), max_age=STATISTICS_CACHE_SECONDS)


@bp.get("/api/v1/shops")
@replica_reads
def shops():
    with http.answer_language(params.language(request.args)):
        search = params.shop_search(request.args)
        results = queries.search_shops(search.q, search.district, search.category, search.standing, search.page,
                                       search.per_page)
        standings = result_standings(results, utcnow())
        return http.json_response({
            "items": [serializers.shop_summary(m, standings[m.id].standing, standings[m.id].repaired_at)
                      for m in results.items],
            "page": results.page,
            "per_page": results.per_page,
            "total": results.total,
            "total_capped": results.total_capped,
            "pages": results.pages,
            "links": {
                "self": _page_url(results.page),
                "prev": _page_url(results.prev_num) if results.has_prev else None,
                "next": _page_url(results.next_num) if results.has_next else None,
            },
        })


def _page_url(page: int) -> str:
    """This search with another page number (only the parameters the API knows are carried)."""
    known = {name: request.args[name] for name in ("q", "district", "category", "standing", "per_page", "lang")
             if request.args.get(name)}
    return url_for("api.shops", **known, page=page)


@bp.get("/api/v1/shops/<code>")
@replica_reads
def shop(code: str):
    with http.answer_language(params.language(request.args)):
        now = utcnow()
        page = load_shop_page(code, None, now)
        if page is None:
            return _not_found(_("没有找到这个店铺代码。"))
        return http.json_response(serializers.shop_detail(page, now))


@bp.get("/api/v1/shops/<code>/complaints")
@replica_reads
def shop_complaints(code: str):
    with http.answer_language(params.language(request.args)):
        merchant = merchant_by_public_code(code)
        if merchant is None or not merchant.is_public:
            return _not_found(_("没有找到这个店铺代码。"))
        complaints, replies = public_complaints_with_replies(merchant.id)
        return http.json_response({
            "shop": merchant.public_code,
            "limit": 20,
            "items": [serializers.public_complaint(c, replies[c.id]) for c in complaints],
        })


@bp.get("/api/v1/statistics")
@replica_reads
def statistics():
    with http.answer_language(params.language(request.args)):
        period = params.statistics_period(request.args, today_in_china())
        report = snapshots.report_for(period.start, period.end, period.district)
        return http.json_response(report.public_summary(), max_age=STATISTICS_CACHE_SECONDS)
