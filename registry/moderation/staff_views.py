"""Moderation in the staff area: the dashboard, flags, shops, sanctions and appeals."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.clock import utcnow
from registry.errors import Conflict, NotPermitted
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.complaints import queries as complaint_queries
from registry.moderation import appeals, flags, queries, sanctions
from registry.moderation.checks import require_scope
from registry.moderation.forms import (ApproveForm, DecideAppealForm, DismissFlagForm, RaiseFlagForm, ReinstateForm,
                                       RejectForm, RevocationForm, SuspensionForm, WarningForm)
from registry.moderation.models import (FLAG_OPEN, FLAG_STATUSES, PROPOSED, REINSTATEMENT, Appeal, AppealPhoto, Flag,
                                        Sanction)
from registry.moderation.sanctions import SanctionInput
from registry.pagination import page_number, record_id
from registry.uploads import private_image_response
from registry.view_helpers import save_form
from registry.walls import staff_area

staff = staff_area(Blueprint("moderation", __name__, url_prefix="/staff"))


def _user():
    return current_user._get_current_object()


def _in_scope(merchant: Merchant) -> Merchant:
    require_scope(merchant, _user())  # NotPermitted → 403 page with the reason
    return merchant


# --- Dashboard and lists ----------------------------------------------------------------------------

@staff.route("/")
def dashboard():
    return render_template("moderation/dashboard.html", board=queries.dashboard(_user()))


@staff.route("/flags", endpoint="flags")
def flag_list():
    status = request.args.get("status", FLAG_OPEN)
    if status not in FLAG_STATUSES:
        status = FLAG_OPEN
    shop = _filtered_shop()
    shop_id = shop.id if shop else None
    return render_template("moderation/flags.html", status=status, shop=shop,
                           flags=queries.flags_page(_user(), status, page_number(), merchant_id=shop_id),
                           counts=queries.flag_counts(_user(), shop_id))


def _filtered_shop() -> Merchant | None:
    """The shop a list is narrowed to (?shop=, from the staff shop page); the district scope still applies."""
    shop_id = record_id("shop")
    return db.session.get(Merchant, shop_id) if shop_id else None


def _flag_page(flag: Flag, form: DismissFlagForm | None = None, status: int = 200):
    numbers = [str(n) for n in flag.source.get("tracking_numbers") or []]
    return render_template("moderation/flag.html", flag=flag, form=form or DismissFlagForm(formdata=None),
                           case_ids=complaint_queries.case_ids(_user(), numbers), tracking_numbers=numbers), status


@staff.route("/flags/<int:flag_id>")
def flag(flag_id: int):
    found = db.get_or_404(Flag, flag_id)
    _in_scope(found.merchant)
    return _flag_page(found)


@staff.route("/flags/<int:flag_id>/dismiss", methods=["POST"])
def dismiss_flag(flag_id: int):
    found = db.get_or_404(Flag, flag_id)
    _in_scope(found.merchant)
    form = DismissFlagForm()
    if form.validate_on_submit():
        saved = save_form(form, lambda: flags.dismiss_flag(found, _user(), form.note.data), done=_("标记已排除。"),
                          then=url_for(".flags"), stale=url_for(".flag", flag_id=flag_id))
        if saved:
            return saved
        found = db.get_or_404(Flag, flag_id)
    return _flag_page(found, form, 400)


@staff.route("/shops")
def shops():
    query = (request.args.get("q") or "").strip()[:50]
    return render_template("moderation/shops.html", query=query,
                           shops=queries.search_shops(_user(), query, page_number()))


# --- One shop: flags, sanctions and the forms to act -----------------------------------------------

def _shop_forms(flag_id: int | None, **submitted) -> dict:
    prefill = {"flag_id": str(flag_id)} if flag_id else {}
    # Prefixes keep the ids of the same-named fields apart (every form is on one page).
    forms = {
        "flag_form": RaiseFlagForm(formdata=None, prefix="flag"),
        "warning_form": WarningForm(formdata=None, prefix="warning", **prefill),
        "suspension_form": SuspensionForm(formdata=None, prefix="suspension", **prefill),
        "revocation_form": RevocationForm(formdata=None, prefix="revocation", **prefill),
        "reinstate_form": ReinstateForm(formdata=None, prefix="reinstate"),
    }
    forms.update(submitted)
    return forms


def _shop_page(shop: Merchant, status: int = 200, flag_id: int | None = None, **submitted):
    acting_on = db.session.get(Flag, flag_id) if flag_id else None
    if acting_on is not None and (acting_on.merchant_id != shop.id or not acting_on.is_open):
        acting_on = None
    complaints, complaint_total = complaint_queries.shop_complaints(_user(), shop.id, queries.SHOP_RECORD_LIST)
    return render_template("moderation/shop.html", shop=shop, record=queries.shop_record(shop), acting_on=acting_on,
                           complaints=complaints, complaint_total=complaint_total,
                           **_shop_forms(acting_on.id if acting_on else None, **submitted)), status


@staff.route("/shops/<int:shop_id>")
def shop(shop_id: int):
    return _shop_page(_in_scope(db.get_or_404(Merchant, shop_id)), flag_id=record_id("flag"))


def _shop_action(shop_id: int, form_name: str, form, apply, done):
    """Validate the form, run one service (`apply(shop, form, flag acted on)`), and go back to the
    shop page, or show the shop page again with the errors. `done`: the message, or a function of
    what the service returned that gives it."""
    shop = _in_scope(db.get_or_404(Merchant, shop_id))
    flag_id = form.flag() if hasattr(form, "flag") else None
    if form.validate_on_submit():
        page = url_for(".shop", shop_id=shop_id)
        saved = save_form(form, lambda: apply(shop, form, db.session.get(Flag, flag_id) if flag_id else None),
                          done=done, then=page, stale=page)
        if saved:
            return saved
        shop = db.get_or_404(Merchant, shop_id)
    return _shop_page(shop, 400, flag_id, **{form_name: form})


@staff.route("/shops/<int:shop_id>/flag", methods=["POST"])
def raise_flag(shop_id: int):
    return _shop_action(shop_id, "flag_form", RaiseFlagForm(prefix="flag"),
                        lambda shop, f, _flag: flags.raise_staff_flag(shop, _user(), f.reason.data),
                        _("已标记这家店铺，可在“标记”中跟进。"))


def _sanction_input(form) -> SanctionInput:
    return SanctionInput(form.clause_kind.data, form.public_reason.data, form.internal_note.data)


@staff.route("/shops/<int:shop_id>/warning", methods=["POST"])
def warn(shop_id: int):
    return _shop_action(shop_id, "warning_form", WarningForm(prefix="warning"),
                        lambda shop, f, flag: sanctions.issue_warning(shop, _user(), _sanction_input(f), flag),
                        _("已发布警示，公示页已更新，并已短信通知商家。"))


@staff.route("/shops/<int:shop_id>/suspension", methods=["POST"])
def suspend(shop_id: int):
    return _shop_action(shop_id, "suspension_form", SuspensionForm(prefix="suspension"),
                        lambda shop, f, flag: sanctions.suspend(shop, _user(), _sanction_input(f), f.until_date(),
                                                                f.ends.data == "rectified", flag),
                        _("已暂停这家店铺的诚信码，公示页已更新，并已短信通知商家。"))


@staff.route("/shops/<int:shop_id>/revocation", methods=["POST"])
def propose_revocation(shop_id: int):
    return _shop_action(shop_id, "revocation_form", RevocationForm(prefix="revocation"),
                        lambda shop, f, flag: sanctions.propose_revocation(shop, _user(), _sanction_input(f), flag),
                        _("已提出撤销。须由另一位工作人员批准后才生效。"))


@staff.route("/shops/<int:shop_id>/reinstatement", methods=["POST"])
def reinstate(shop_id: int):
    return _shop_action(shop_id, "reinstate_form", ReinstateForm(prefix="reinstate"),
                        lambda shop, f, _flag: sanctions.reinstate(shop, _user(), f.public_reason.data,
                                                                   f.internal_note.data),
                        _reinstate_done)


def _reinstate_done(record: Sanction) -> str:
    if record.status == PROPOSED:
        return _("已提出恢复。撤销的恢复须由另一位工作人员批准后才生效。")
    return _("已恢复。商家重新签署现行倡议书后，诚信码即恢复有效。")


# --- Sanctions and appeals --------------------------------------------------------------------------

@staff.route("/sanctions", endpoint="sanctions")
def sanction_list():
    view = request.args.get("view", "proposed")
    if view not in queries.SANCTION_VIEWS:
        view = "proposed"
    shop = _filtered_shop()
    shop_id = shop.id if shop else None
    return render_template("moderation/sanctions.html", view=view, now=utcnow(), shop=shop,
                           sanctions=queries.sanctions_page(_user(), view, page_number(), merchant_id=shop_id),
                           counts=queries.sanction_counts(_user(), shop_id))


def _sanction_page(sanction: Sanction, status: int = 200, **submitted):
    forms = {"approve_form": ApproveForm(formdata=None, prefix="approve"),
             "reject_form": RejectForm(formdata=None, prefix="reject"),
             "decide_form": DecideAppealForm(formdata=None, prefix="decide")}
    forms.update(submitted)
    appeal = sanction.appeal
    return render_template("moderation/sanction.html", sanction=sanction, appeal=appeal, now=utcnow(),
                           can_decide=appeal is not None and appeals.can_decide(appeal, _user()), **forms), status


@staff.route("/sanctions/<int:sanction_id>")
def sanction(sanction_id: int):
    found = db.get_or_404(Sanction, sanction_id)
    _in_scope(found.merchant)
    return _sanction_page(found)


def _not_this_officer(action):
    """A refusal for who is acting (the proposer approving, the issuer deciding the appeal) cannot be
    fixed by retyping: like a conflict, it is flashed on the sanction page."""
    def run():
        try:
            return action()
        except NotPermitted as error:
            raise Conflict(error.message) from error
    return run


def _sanction_action(sanction_id: int, form_name: str, form, apply, done):
    """Like _shop_action, for the sanction page (`apply(sanction, form)`); `done` may be a function of
    the sanction."""
    found = db.get_or_404(Sanction, sanction_id)
    _in_scope(found.merchant)
    if form.validate_on_submit():
        page = url_for(".sanction", sanction_id=sanction_id)
        saved = save_form(form, _not_this_officer(lambda: apply(found, form)), then=page, stale=page,
                          done=lambda _result: done(found) if callable(done) else done)
        if saved:
            return saved
        found = db.get_or_404(Sanction, sanction_id)
    return _sanction_page(found, 400, **{form_name: form})


@staff.route("/sanctions/<int:sanction_id>/approve", methods=["POST"])
def approve(sanction_id: int):
    return _sanction_action(sanction_id, "approve_form", ApproveForm(prefix="approve"),
                            lambda s, _f: sanctions.approve_proposal(s, _user()),
                            lambda s: _("已批准恢复。商家重新签署现行倡议书后，诚信码即恢复有效，已短信通知商家。")
                            if s.kind == REINSTATEMENT else _("已批准撤销。公示页已显示“已撤销”，并已短信通知商家。"))


@staff.route("/sanctions/<int:sanction_id>/reject", methods=["POST"])
def reject(sanction_id: int):
    return _sanction_action(sanction_id, "reject_form", RejectForm(prefix="reject"),
                            lambda s, f: sanctions.reject_proposal(s, _user(), f.note.data),
                            lambda s: _("已不予批准，恢复提议不生效。") if s.kind == REINSTATEMENT
                            else _("已不予批准，撤销提议不生效。"))


@staff.route("/appeals", endpoint="appeals")
def appeal_list():
    view = request.args.get("view", "pending")
    if view not in queries.APPEAL_VIEWS:
        view = "pending"
    return render_template("moderation/appeals.html", view=view,
                           appeals=queries.appeals_page(_user(), view, page_number()),
                           counts=queries.appeal_counts(_user()))


@staff.route("/appeals/<int:appeal_id>/decide", methods=["POST"])
def decide_appeal(appeal_id: int):
    appeal = db.get_or_404(Appeal, appeal_id)
    return _sanction_action(appeal.sanction_id, "decide_form", DecideAppealForm(prefix="decide"),
                            lambda _s, f: appeals.decide_appeal(appeal, _user(), f.decision.data == "grant",
                                                                f.note.data, f.internal_note.data),
                            _("申诉已审理，并已短信通知商家。"))


@staff.route("/appeals/photos/<int:photo_id>")
def appeal_photo(photo_id: int):
    """Appeal photos only through this view: staff in scope, never cached, never sniffed as HTML."""
    photo = db.get_or_404(AppealPhoto, photo_id)
    _in_scope(photo.appeal.merchant)
    return private_image_response(Path(appeals.appeal_directory()), photo.stored_name, photo.content_type)
