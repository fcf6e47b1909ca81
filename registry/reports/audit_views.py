"""Staff: the audit log — who did what when — and the check of its hash chain.

A read-side page like the reports: it reads entries about every package, and it sits above auth
(it needs the staff wall and the accounts), while audit itself sits below auth, which records into it."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.audit import queries
from registry.reports.audit_forms import AuditFilterForm, parse_day
from registry.audit.labels import ACTION_LABELS, ACTION_PREFIXES, CHAIN_PROBLEMS, SUBJECT_LABELS
from registry.audit.presentation import readable_data
from registry.audit.services import verify_chain
from registry.walls import staff_area
from registry.auth.models import Role, User
from registry.extensions import db
from registry.pagination import ID_MAX, bounded_integer, page_number
from registry.clock import start_of_china_day

bp = staff_area(Blueprint("audit_log", __name__, url_prefix="/staff/audit"))

PAGE_SIZE = 50


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
    entries = db.paginate(statement, page=page, per_page=PAGE_SIZE, error_out=False)
    actor_ids = {e.actor_id for e in entries.items if e.actor_id is not None}
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))} if actor_ids else {}
    return render_template(
        "audit/log.html", form=form, entries=entries, actors=actors, report=report,
        rows=[(entry, readable_data(entry)) for entry in entries.items],
        action_labels=ACTION_LABELS, subject_labels=SUBJECT_LABELS, chain_problems=CHAIN_PROBLEMS,
        filtered=any(v for k, v in request.args.items() if k != "page"),
        scoped_district=None if viewer.is_admin else viewer.district,
    )


@bp.route("")
def log():
    return _log_page()


@bp.route("/verify")
def verify():
    """Walk the whole chain now (it reads every entry, so it runs when asked, not on every page view)."""
    return _log_page(report=verify_chain())
