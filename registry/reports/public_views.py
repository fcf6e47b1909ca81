"""The public /stats page: this year's and last year's headline figures and charts, for everyone.

No personal data: the figures are aggregates of the whole area.
"""

from __future__ import annotations

import time
from datetime import date

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup

from registry.clock import today_in_china
from registry.reports import presentation, snapshots
from registry.reports.figures import Report, headline_sentence
from registry.reports.periods import public_year_period
from registry.replica import replica_reads

bp = Blueprint("public_stats", __name__)

STATS_CACHE_SECONDS = 60
STATS_MAX_AGE = 300


def _public_report(year: int, today: date) -> Report:
    """The whole area's report for a year (this year: up to and including today): the one the daily
    job stored (`flask reports snapshot`), else computed; kept a minute per worker either way."""
    cache: dict[tuple, tuple[float, Report]] = current_app.extensions.setdefault("public_stats_cache", {})
    key = (year, today)
    cached = cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    period = public_year_period(year, today)
    report = snapshots.report_for(period.start, period.end, None)
    if len(cache) > 8:
        cache.clear()
    cache[key] = (time.monotonic() + STATS_CACHE_SECONDS, report)
    return report


@bp.route("/stats")
@replica_reads
def stats():
    """Headline figures and charts for this year and last year, for everyone; no personal data."""
    today = today_in_china()
    years = []
    for year in (today.year, today.year - 1):
        report = _public_report(year, today)
        years.append({"year": year, "report": report, "headline": headline_sentence(report),
                      "charts": {key: Markup(svg)  # noqa: S704 — our own SVG, labels escaped by matplotlib
                                 for key, svg in presentation.report_charts(report).items()}})
    response = current_app.make_response(render_template("reports/stats.html", years=years, today=today))
    response.vary.update(("Cookie", "Accept-Language"))
    if not current_user.is_authenticated:
        # A signed-in page carries a CSRF token and the account's menu: the web layer marks it no-store.
        response.headers["Cache-Control"] = f"public, max-age={STATS_MAX_AGE}"
        response.add_etag()
        response.make_conditional(request)
    return response
