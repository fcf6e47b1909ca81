"""Staff reports: period picker, charts, tables, CSV/XLSX exports and the printable yearly report.

Exports are reads of aggregates with no personal data in them, so they are not written to the audit
log (the audit log records changes and staff actions on people's cases, not looking at totals).
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from registry.walls import staff_area
from registry.consultations.queries import known_districts
from registry.errors import DomainError, NotFound
from registry.pagination import bounded_integer
from registry.reports import presentation
from registry.reports.figures import Report, build_report, headline_sentence
from registry.reports.forms import PeriodForm
from registry.reports.periods import FIRST_YEAR, Period, parse_period, report_district
from registry.clock import today_in_china

bp = staff_area(Blueprint("reports", __name__, url_prefix="/staff/reports"))

YEARS_OFFERED = 10


def _staff():
    return current_user._get_current_object()


def _year_choices(today: date) -> list[tuple[str, str]]:
    first = max(FIRST_YEAR, today.year - YEARS_OFFERED + 1)
    return [(str(year), _("%(year)d年", year=year)) for year in range(today.year, first - 1, -1)]


def _period_form(today: date, districts: list[str]) -> PeriodForm:
    form = PeriodForm(request.args)
    form.year.choices = _year_choices(today)
    asked = request.args.get("year", "")
    if not asked:
        form.year.data = str(today.year)
    elif bounded_integer(asked, FIRST_YEAR, today.year + 1) and asked not in dict(form.year.choices):
        form.year.choices.append((asked, _("%(year)d年", year=int(asked))))  # an older year from a link
    staff = _staff()
    form.district.choices = ([(staff.district, staff.district)] if staff.district
                             else [("", _("全部区县"))] + [(d, d) for d in districts])
    return form


def _requested(args, today: date, districts: list[str]) -> tuple[Period, str | None]:
    """The period and district asked for; DomainError (bad input) or NotPermitted (another district)."""
    period = parse_period(args, today)
    return period, report_district(_staff(), args.get("district"), districts)


def _page_parts(report: Report) -> dict:
    return {
        "report": report,
        "headline": headline_sentence(report),
        "tables": presentation.report_tables(report),
        # Our own SVG: matplotlib escapes every label (see reports.charts).
        "charts": {key: Markup(svg) for key, svg in presentation.report_charts(report).items()},  # noqa: S704
        "definitions": presentation.DEFINITIONS,
        "generated": presentation.generated_text(report),
    }


@bp.route("")
def index():
    today = today_in_china()
    districts = known_districts()
    form = _period_form(today, districts)
    try:
        period, district = _requested(request.args, today, districts)
    except DomainError as error:
        if error.status_code != 400:
            raise
        field = getattr(form, error.field or "kind", form.kind)
        field.errors = [*field.errors, error.message]
        return render_template("reports/index.html", form=form, report=None), 400
    report = build_report(period.start, period.end, district)
    query = {**period.query_args(), "district": district or ""}
    return render_template("reports/index.html", form=form, period=period, query=query,
                           yearly_year=period.start.year, **_page_parts(report))


def _report_for_export() -> Report:
    today = today_in_china()
    period, district = _requested(request.args, today, known_districts())
    return build_report(period.start, period.end, district)


@bp.route("/export/<key>.csv")
def export_csv(key: str):
    report = _report_for_export()
    table = presentation.table_by_key(report, key)
    if table is None:
        raise NotFound(_("没有这张表。"))
    ascii_stem, utf8_stem = presentation.file_stem(report)
    response = Response(presentation.csv_bytes(table), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = presentation.attachment(
        f"{ascii_stem}-{key}.csv", f"{utf8_stem}_{table.title}.csv")
    return response


@bp.route("/export.xlsx")
def export_xlsx():
    report = _report_for_export()
    ascii_stem, utf8_stem = presentation.file_stem(report)
    response = Response(presentation.xlsx_bytes(report),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = presentation.attachment(f"{ascii_stem}.xlsx", f"{utf8_stem}.xlsx")
    return response


@bp.route("/yearly")
def yearly():
    """The yearly report as an A4 document: the headline sentence, charts, tables and definitions."""
    today = today_in_china()
    districts = known_districts()
    args = {"kind": "year", "year": request.args.get("year") or str(today.year)}
    period, district = _requested({**args, "district": request.args.get("district")}, today, districts)
    report = build_report(period.start, period.end, district)
    query = {**period.query_args(), "district": district or ""}
    return render_template("reports/yearly.html", period=period, query=query, **_page_parts(report))
