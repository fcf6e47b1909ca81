"""Query parameters of the public API: each one checked strictly, so a caller learns which one is wrong and why.

The limits here are the ones the OpenAPI document states (openapi.py reads them from this module), so
whatever the document calls valid is accepted and whatever it calls invalid is answered with a 400.
Parameters the API does not know are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from registry.merchants.models import CATEGORIES, Standing
from registry.reports.figures import MAX_PERIOD_DAYS

QUERY_MAX = 50
DISTRICT_MAX = 64
PER_PAGE_DEFAULT = 20
PER_PAGE_MAX = 50
PAGE_MAX = 100_000
YEAR_MIN, YEAR_MAX = 2000, 2100
# The longest period one statistics request may cover (as the staff report's period picker).
PERIOD_MAX_DAYS = MAX_PERIOD_DAYS
PUBLIC_STANDINGS = tuple(s.value for s in Standing if s is not Standing.PENDING)
# Printable text only: control characters (NUL above all) are refused before they reach the database.
TEXT_PATTERN = r"^[^\u0000-\u001f\u007f]*$"
_TEXT = re.compile(TEXT_PATTERN)
_DIGITS = re.compile(r"[0-9]{1,9}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class InvalidParameter(Exception):
    """A query parameter the API cannot use; answered as 400 naming the parameter."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def _single(args: MultiDict, name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise InvalidParameter(name, _("参数 %(name)s 只能出现一次。", name=name))
    return values[0] if values else None


def _text(args: MultiDict, name: str, limit: int) -> str:
    value = _single(args, name) or ""
    if len(value) > limit:
        raise InvalidParameter(name, _("参数 %(name)s 最长 %(limit)d 个字符。", name=name, limit=limit))
    if not _TEXT.match(value):
        raise InvalidParameter(name, _("参数 %(name)s 含有控制字符。", name=name))
    return value.strip()


def _choice(args: MultiDict, name: str, choices) -> str | None:
    value = _single(args, name)
    if value is None:
        return None
    if value not in choices:
        raise InvalidParameter(name, _("参数 %(name)s 必须是以下之一：%(choices)s。", name=name,
                                       choices=", ".join(choices)))
    return value


def _integer(args: MultiDict, name: str, default: int | None, low: int, high: int) -> int | None:
    value = _single(args, name)
    if value is None:
        return default
    if not _DIGITS.fullmatch(value):
        raise InvalidParameter(name, _("参数 %(name)s 必须是整数。", name=name))
    number = int(value)
    if not low <= number <= high:
        raise InvalidParameter(name, _("参数 %(name)s 必须在 %(low)d 到 %(high)d 之间。", name=name, low=low,
                                       high=high))
    return number


def _date(args: MultiDict, name: str) -> date | None:
    value = _single(args, name)
    if value is None:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        parsed = date.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(name, _("参数 %(name)s 必须是 YYYY-MM-DD 格式的日期。", name=name)) from None
    if not date(YEAR_MIN, 1, 1) <= parsed <= date(YEAR_MAX + 1, 1, 1):
        raise InvalidParameter(name, _("参数 %(name)s 必须在 %(low)s 到 %(high)s 之间。", name=name,
                                       low=f"{YEAR_MIN}-01-01", high=f"{YEAR_MAX + 1}-01-01"))
    return parsed


def language(args: MultiDict) -> str | None:
    """`lang` (zh or en) when given; otherwise the caller's Accept-Language decides."""
    return _choice(args, "lang", tuple(current_app.config["LANGUAGES"]))


@dataclass(frozen=True)
class ShopSearch:
    q: str
    district: str | None
    category: str | None
    standing: str | None
    page: int
    per_page: int


def shop_search(args: MultiDict) -> ShopSearch:
    return ShopSearch(
        q=_text(args, "q", QUERY_MAX),
        district=_text(args, "district", DISTRICT_MAX) or None,
        category=_choice(args, "category", CATEGORIES),
        standing=_choice(args, "standing", PUBLIC_STANDINGS),
        page=_integer(args, "page", 1, 1, PAGE_MAX),
        per_page=_integer(args, "per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX),
    )


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive
    district: str | None


def statistics_period(args: MultiDict, today: date) -> Period:
    """A calendar year (`year`, this year when nothing is given) or `start`…`end` (end exclusive)."""
    year = _integer(args, "year", None, YEAR_MIN, YEAR_MAX)
    start, end = _date(args, "start"), _date(args, "end")
    district = _text(args, "district", DISTRICT_MAX) or None
    if year is not None and (start is not None or end is not None):
        raise InvalidParameter("year", _("参数 year 不能与 start、end 同时使用。"))
    if start is None and end is None:
        year = year or today.year
        return Period(date(year, 1, 1), date(year + 1, 1, 1), district)
    if start is None:
        raise InvalidParameter("start", _("给出 end 时也要给出 start。"))
    if end is None:
        raise InvalidParameter("end", _("给出 start 时也要给出 end。"))
    if end <= start:
        raise InvalidParameter("end", _("end 必须晚于 start（end 当天不计入）。"))
    if (end - start).days > PERIOD_MAX_DAYS:
        raise InvalidParameter("end", _("一次最多查询 %(days)d 天。", days=PERIOD_MAX_DAYS))
    return Period(start, end, district)
