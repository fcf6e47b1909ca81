"""What staff read across every package: the reports (period picker, charts, tables, CSV/XLSX exports,
the printable yearly report) and the audit log (who did what when, and the check of its hash chain).

Exports are reads of aggregates with no personal data in them, so they are not written to the audit
log (the audit log records changes and staff actions on people's cases, not looking at totals).
The audit log's page lives here, on the read side, while `audit` itself sits below `auth` (which
records into it): the page needs the staff wall and the accounts.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from registry.audit import queries
from registry.audit.labels import ACTION_LABELS, ACTION_PREFIXES, CHAIN_PROBLEMS, SUBJECT_LABELS
from registry.audit.presentation import readable_data
from registry.audit.services import verify_chain
from registry.reports.audit_labels import value_labels
from registry.auth.models import Role, User
from registry.clock import start_of_china_day, today_in_china
from registry.consultations.queries import known_districts
from registry.downloads import CSV, XLSX, download
from registry.errors import DomainError, NotFound
from registry.extensions import db
from registry.pagination import ID_MAX, bounded_integer, page_number
from registry.reports import presentation
from registry.reports.figures import Report, build_report, headline_sentence
from registry.reports.forms import AuditFilterForm, PeriodForm, parse_day
from registry.reports.periods import FIRST_YEAR, Period, parse_period, report_district
from registry.walls import staff_area

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
    return download(presentation.csv_bytes(table), CSV, f"{ascii_stem}-{key}.csv", f"{utf8_stem}_{table.title}.csv")


@bp.route("/export.xlsx")
def export_xlsx():
    report = _report_for_export()
    ascii_stem, utf8_stem = presentation.file_stem(report)
    return download(presentation.xlsx_bytes(report), XLSX, f"{ascii_stem}.xlsx", f"{utf8_stem}.xlsx")


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


# --- The audit log --------------------------------------------------------------------------------

audit_log = staff_area(Blueprint("audit_log", __name__, url_prefix="/staff/audit"))

AUDIT_PAGE_SIZE = 50


def _with_current(choices: list[tuple[str, str]], value: str | None, label: str) -> list[tuple[str, str]]:
    """Keep a value given in the URL selectable even when it is not one of the usual choices."""
    if value and value not in {v for v, _label in choices}:
        choices.append((value, label))
    return choices


def _filter_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    actions = [("", _("全部操作"))]
    for prefix, label in ACTION_PREFIXES.items():
        actions.append((prefix, _("%(area)s（全部）", area=label)))
        actions += [(code, f"　{name}") for code, name in ACTION_LABELS.items() if code.startswith(prefix)]
    form.action.choices = _with_current(actions, form.action.data, form.action.data or "")
    staff = db.session.scalars(select(User).where(User.role.in_((Role.STAFF.value, Role.ADMIN.value)))
                               .order_by(User.display_name, User.id)).all()
    actors = [("", _("全部")), (queries.SYSTEM_ACTOR, _("系统（无操作人）"))]
    actors += [(str(u.id), f"{u.display_name}（#{u.id}）") for u in staff]
    form.actor.choices = _with_current(actors, form.actor.data, _("用户 #%(id)s", id=form.actor.data))
    subjects = [("", _("全部"))] + [(code, str(label)) for code, label in SUBJECT_LABELS.items()]
    form.subject_type.choices = _with_current(subjects, form.subject_type.data, form.subject_type.data or "")
    return form


def _criteria(form: AuditFilterForm) -> queries.AuditFilter:
    """The filter the form describes; a field with an error is left out (its message is shown)."""
    form.validate()
    actor: int | str | None = None
    if form.actor.data == queries.SYSTEM_ACTOR:
        actor = queries.SYSTEM_ACTOR
    elif (form.actor.data or "").isdigit():
        # A number no account can have matches nothing (0) rather than reaching the database.
        actor = bounded_integer(form.actor.data, 0, ID_MAX) or 0
    start, end = parse_day(form.date_from.data), parse_day(form.date_to.data)
    return queries.AuditFilter(
        action_prefix=(form.action.data or "")[:64],
        actor=actor,
        subject_type=(form.subject_type.data or "")[:32],
        subject_id=form.number(form.subject_id),
        start=start_of_china_day(start) if start else None,
        end=start_of_china_day(end + timedelta(days=1)) if end else None,  # the end day is included
        until_id=form.number(form.until),
    )


def _log_page(report=None):
    form = _filter_form()
    page = page_number()
    viewer = current_user._get_current_object()
    statement = queries.visible_to(queries.entries_matching(_criteria(form)), viewer)
    entries = db.paginate(statement, page=page, per_page=AUDIT_PAGE_SIZE, error_out=False)
    actor_ids = {e.actor_id for e in entries.items if e.actor_id is not None}
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))} if actor_ids else {}
    return render_template(
        "audit/log.html", form=form, entries=entries, actors=actors, report=report,
        rows=[(entry, readable_data(entry, value_labels(entry.action))) for entry in entries.items],
        action_labels=ACTION_LABELS, subject_labels=SUBJECT_LABELS, chain_problems=CHAIN_PROBLEMS,
        filtered=any(v for k, v in request.args.items() if k != "page"),
        scoped_district=None if viewer.is_admin else viewer.district,
    )


@audit_log.route("")
def log():
    return _log_page()


@audit_log.route("/verify")
def verify():
    """Walk the whole chain now (it reads every entry, so it runs when asked, not on every page view)."""
    return _log_page(report=verify_chain())
