"""Which period and district a report request asks for, and whether this officer may see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from registry.auth.models import User
from registry.errors import DomainError, NotPermitted
from registry.clock import first_of_month
from registry.reports.figures import MAX_PERIOD_DAYS, period_label

KINDS = ("year", "quarter", "month", "range")
FIRST_YEAR = 2000


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)

    @property
    def label(self) -> str:
        return period_label(self.start, self.end)

    def query_args(self) -> dict[str, str]:
        """The period as URL parameters (a range with an inclusive end date, as people type it)."""
        return {"kind": "range", "start": self.start.isoformat(), "end": self.last_day.isoformat()}


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year + 1, 1, 1))


def public_year_period(year: int, today: date) -> Period:
    """The year as /stats and the daily snapshot show it: this year only up to and including today."""
    period = year_period(year)
    return Period(period.start, min(period.end, date.fromordinal(today.toordinal() + 1)))


def _day(text: str | None, field: str, missing: str) -> date:
    text = (text or "").strip()
    if not text:
        raise DomainError(missing, field=field)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(_("请按“2026-03-31”的格式填写日期。"), field=field) from None


def _year(text: str | None, today: date) -> int:
    try:
        year = int((text or "").strip())
    except ValueError:
        raise DomainError(_("请选择年份。"), field="year") from None
    if not FIRST_YEAR <= year <= today.year + 1:
        raise DomainError(_("年份应在 %(first)d 至 %(last)d 之间。", first=FIRST_YEAR, last=today.year + 1),
                          field="year")
    return year


def parse_period(args, today: date) -> Period:
    """The period a report form (or link) asks for; DomainError naming the field to fix otherwise.

    year / quarter / month pick a calendar period; range takes two dates, both included.
    """
    kind = args.get("kind") or "year"
    if kind not in KINDS:
        raise DomainError(_("请选择统计期间的类型。"), field="kind")
    if kind == "year":
        return year_period(_year(args.get("year") or str(today.year), today))
    if kind == "quarter":
        year = _year(args.get("year") or str(today.year), today)
        quarter = (args.get("quarter") or "").strip()
        if quarter not in ("1", "2", "3", "4"):
            raise DomainError(_("请选择季度。"), field="quarter")
        start = date(year, 3 * int(quarter) - 2, 1)
        return Period(start, first_of_month(start, 3))
    if kind == "month":
        text = (args.get("month") or "").strip()
        try:
            year, number = (int(part) for part in text.split("-"))
            start = date(year, number, 1)
        except ValueError:
            raise DomainError(_("请按“2026-03”的格式选择月份。"), field="month") from None
        if not FIRST_YEAR <= year <= today.year + 1:
            raise DomainError(_("年份应在 %(first)d 至 %(last)d 之间。", first=FIRST_YEAR, last=today.year + 1),
                              field="month")
        return Period(start, first_of_month(start, 1))
    start = _day(args.get("start"), "start", _("请填写起始日期。"))
    last = _day(args.get("end"), "end", _("请填写截止日期。"))
    if last < start:
        raise DomainError(_("截止日期不能早于起始日期。"), field="end")
    if (last - start).days >= MAX_PERIOD_DAYS:
        raise DomainError(_("统计期间最长 5 年，请缩短后再试。"), field="end")
    if start.year < FIRST_YEAR:
        raise DomainError(_("起始日期不能早于 %(year)d 年。", year=FIRST_YEAR), field="start")
    return Period(start, date.fromordinal(last.toordinal() + 1))


def report_district(staff: User, requested: str | None, known: list[str]) -> str | None:
    """The district this officer's report covers: their own when they are limited to one, else the
    one asked for (None: the whole area)."""
    requested = (requested or "").strip() or None
    if staff.district:
        if requested and requested != staff.district:
            raise NotPermitted(_("您只能查看%(district)s的报表。", district=staff.district))
        return staff.district
    if requested and requested not in known:
        raise DomainError(_("没有名为“%(district)s”的区县。请从列表中选择。", district=requested), field="district")
    return requested
