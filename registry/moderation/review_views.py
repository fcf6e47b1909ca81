"""Staff review what shops send about their sanctions: credit repair applications (信用修复) and the
public statements beside the sanctions."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.errors import Conflict, NotPermitted
from registry.extensions import db
from registry.moderation import queries, repairs, statements
from registry.moderation.checks import require_scope
from registry.moderation.forms import ApproveRepairForm, ApproveStatementForm, DecideRepairForm, HideStatementForm
from registry.moderation.models import REPAIR_PROPOSED, CreditRepair, CreditRepairPhoto, SanctionStatement
from registry.pagination import page_number
from registry.uploads import private_image_response
from registry.view_helpers import run_action, save_form
from registry.walls import staff_area

review = staff_area(Blueprint("moderation_review", __name__, url_prefix="/staff"))


def _user():
    return current_user._get_current_object()


def _repair(repair_id: int) -> CreditRepair:
    found = db.get_or_404(CreditRepair, repair_id)
    require_scope(found.merchant, _user())  # NotPermitted → 403 page with the reason
    return found


# --- Credit repair ----------------------------------------------------------------------------------

@review.route("/repairs", endpoint="repairs")
def repair_list():
    view = request.args.get("view", "pending")
    if view not in queries.REPAIR_VIEWS:
        view = "pending"
    return render_template("moderation/repairs.html", view=view,
                           repairs=queries.repairs_page(_user(), view, page_number()),
                           counts=queries.repair_counts(_user()))


def _repair_page(found: CreditRepair, status: int = 200, **submitted):
    forms = {"decide_form": DecideRepairForm(formdata=None, prefix="decide"),
             "approve_form": ApproveRepairForm(formdata=None, prefix="approve")}
    forms.update(submitted)
    return render_template("moderation/repair.html", repair=found, sanction=found.sanction,
                           two_person=repairs.needs_second_officer(found), **forms), status


@review.route("/repairs/<int:repair_id>")
def repair(repair_id: int):
    return _repair_page(_repair(repair_id))


def _grant_done(found: CreditRepair) -> str:
    if found.status == REPAIR_PROPOSED:
        return _("已同意修复。撤销承诺的信用修复须由另一位工作人员批准后才生效。")
    return _("已准予信用修复：这项处理提前结束，公示页已更新，并已短信通知商家。")


@review.route("/repairs/<int:repair_id>/decide", methods=["POST"])
def decide_repair(repair_id: int):
    found = _repair(repair_id)
    form = DecideRepairForm(prefix="decide")
    if form.validate_on_submit():
        page = url_for(".repair", repair_id=repair_id)
        grant = form.decision.data == "grant"
        decide = repairs.grant_repair if grant else repairs.refuse_repair
        saved = save_form(form, lambda: decide(found, _user(), form.note.data, form.internal_note.data), then=page,
                          stale=page, done=_grant_done if grant else _("已不予修复，并已短信通知商家。"))
        if saved:
            return saved
        found = _repair(repair_id)
    return _repair_page(found, 400, decide_form=form)


def _refused_as_conflict(action):
    """The proposer approving is not fixed by retyping: flashed on the page like a conflict."""
    def run():
        try:
            return action()
        except NotPermitted as error:
            raise Conflict(error.message) from error
    return run


@review.route("/repairs/<int:repair_id>/approve", methods=["POST"])
def approve_repair(repair_id: int):
    found = _repair(repair_id)
    form = ApproveRepairForm(prefix="approve")
    if form.validate_on_submit():
        page = url_for(".repair", repair_id=repair_id)
        saved = save_form(form, _refused_as_conflict(lambda: repairs.approve_repair(found, _user())), then=page,
                          stale=page, done=_("已批准信用修复。商家重新签署倡议书后诚信码即恢复有效，已短信通知商家。"))
        if saved:
            return saved
        found = _repair(repair_id)
    return _repair_page(found, 400, approve_form=form)


@review.route("/repairs/photos/<int:photo_id>")
def repair_photo(photo_id: int):
    """Rectification photos only through this view: staff in scope, never cached, never sniffed as HTML."""
    photo = db.get_or_404(CreditRepairPhoto, photo_id)
    require_scope(photo.repair.merchant, _user())
    return private_image_response(repairs.repair_directory(), photo.stored_name, photo.content_type)


# --- Statements beside sanctions --------------------------------------------------------------------

def _view() -> str:
    view = request.args.get("view", "held")
    return view if view in queries.STATEMENT_VIEWS else "held"


@review.route("/statements", endpoint="statements")
def statement_list():
    return _statements_page(_view())


def _statements_page(view: str, hide_form: HideStatementForm | None = None, hiding: int | None = None,
                     status: int = 200):
    return render_template("moderation/statements.html", view=view,
                           statements=queries.statements_page(_user(), view, page_number()),
                           held=queries.held_statement_count(_user()), approve_form=ApproveStatementForm(),
                           hide_form=hide_form or HideStatementForm(formdata=None), hiding=hiding), status


def _statement(statement_id: int) -> SanctionStatement:
    found = db.get_or_404(SanctionStatement, statement_id)
    require_scope(found.merchant, _user())
    return found


@review.route("/statements/<int:statement_id>/approve", methods=["POST"])
def approve_statement(statement_id: int):
    found = _statement(statement_id)
    back = url_for(".statements", view="held")
    if not ApproveStatementForm().validate_on_submit():
        abort(400)
    return run_action(lambda: statements.approve_statement(found, _user()), then=back,
                      done=_("说明已公开。"))


@review.route("/statements/<int:statement_id>/hide", methods=["POST"])
def hide_statement(statement_id: int):
    found = _statement(statement_id)
    form = HideStatementForm()
    if form.validate_on_submit():
        back = url_for(".statements", view="hidden")
        saved = save_form(form, lambda: statements.hide_statement(found, _user(), form.reason.data), then=back,
                          stale=back, done=_("说明已隐藏，公示页显示隐藏原因。"))
        if saved:
            return saved
    return _statements_page(_view(), form, statement_id, 400)
