"""Filters and globals every template may use."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from flask_babel import get_locale

from registry.merchants.labels import CATEGORY_LABELS, STANDING_EXPLANATIONS, STANDING_LABELS

CHINA = ZoneInfo("Asia/Shanghai")


def local_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as Beijing time; consumers and staff all read China time."""
    if value is None:
        return ""
    return value.astimezone(CHINA).strftime(fmt)


def local_date(value: datetime | None) -> str:
    return local_datetime(value, "%Y-%m-%d")


def install(app: Flask) -> None:
    app.add_template_filter(local_datetime, "datetime")
    app.add_template_filter(local_date, "date")

    # Globals (not context variables) so that imported macros see them too.
    app.jinja_env.globals.update(
        CATEGORY_LABELS=CATEGORY_LABELS,
        STANDING_LABELS=STANDING_LABELS,
        STANDING_EXPLANATIONS=STANDING_EXPLANATIONS,
    )

    @app.context_processor
    def request_globals():
        return {
            "current_locale": str(get_locale() or "zh"),
            "LANGUAGES": current_app.config["LANGUAGES"],
            "request_path": request.full_path.rstrip("?") if request else "/",
        }
