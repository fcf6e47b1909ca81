"""Moderation pages: the staff dashboard, flags, shops, sanctions and appeals (staff area), the
appeal form (owner area), the consumer's misused-badge report (public) and the flag rules (admin)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.walls import admin_area, owner_area, staff_area
from registry.uploads import (UploadLimits, ImageRejected, private_image_response,
                                         process_image, validate_batch)
from registry.database import slow_work
from registry.clock import utcnow
from registry.errors import DomainError
from registry.extensions import db, limiter
from registry.merchants.models import Merchant
from registry.merchants.services import merchant_by_public_code, require_owner
from registry.view_helpers import show_form_error
from registry.moderation import labels, queries, services
from registry.moderation.forms import (ApproveForm, AppealForm, DecideAppealForm, DismissFlagForm, FlagRuleForm,
                                       RaiseFlagForm, ReinstateForm, RejectForm, ReportForm, RevocationForm,
                                       SuspensionForm, WarningForm, whole_number)
from registry.moderation.models import (FLAG_OPEN, FLAG_STATUSES, PROPOSED, REINSTATEMENT, REJECTED, RULE_CODES,
                                        Appeal, AppealPhoto, Flag, Sanction)
from registry.moderation.services import SanctionInput
from registry.pagination import page_number, record_id

staff = staff_area(Blueprint("moderation", __name__, url_prefix="/staff"))
owner = owner_area(Blueprint("moderation_owner", __name__, url_prefix="/my"))
public = Blueprint("moderation_public", __name__)
admin = admin_area(Blueprint("moderation_admin", __name__, url_prefix="/admin/flag-rules"))


@staff.record_once
def _install_labels(state) -> None:
    # Globals (not context variables) so that imported macros see them too, as in registry.templating.
    state.app.jinja_env.globals.update(
        FLAG_KIND_LABELS=labels.FLAG_KIND_LABELS, FLAG_STATUS_LABELS=labels.FLAG_STATUS_LABELS,
        RULE_LABELS=labels.RULE_LABELS, RULE_EXPLANATIONS=labels.RULE_EXPLANATIONS,
        SANCTION_KIND_LABELS=labels.SANCTION_KIND_LABELS, SANCTION_STATUS_LABELS=labels.SANCTION_STATUS_LABELS,
        END_REASON_LABELS=labels.END_REASON_LABELS, APPEAL_STATUS_LABELS=labels.APPEAL_STATUS_LABELS,
    )


def _user():
    return current_user._get_current_object()


def _page() -> int:
    return page_number()


def _get(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def _in_scope(merchant: Merchant) -> Merchant:
    services.require_scope(merchant, _user())  # NotPermitted → 403 page with the reason
    return merchant


# --- Dashboard and lists ----------------------------------------------------------------------------

@staff.route("/")
def dashboard():
    return render_template("moderation/dashboard.html", board=queries.dashboard(_user()))


@staff.route("/flags")
def flags():
    status = request.args.get("status", FLAG_OPEN)
    if status not in FLAG_STATUSES:
        status = FLAG_OPEN
    return render_template("moderation/flags.html", status=status, flags=queries.flags_page(_user(), status, _page()),
                           counts=queries.flag_counts(_user()))


def _flag_page(flag: Flag, form: DismissFlagForm | None = None, status: int = 200):
    return render_template("moderation/flag.html", flag=flag, form=form or DismissFlagForm(formdata=None)), status


@staff.route("/flags/<int:flag_id>")
def flag(flag_id: int):
    found = _get(Flag, flag_id)
    _in_scope(found.merchant)
    return _flag_page(found)


@staff.route("/flags/<int:flag_id>/dismiss", methods=["POST"])
def dismiss_flag(flag_id: int):
    found = _get(Flag, flag_id)
    _in_scope(found.merchant)
    form = DismissFlagForm()
    if form.validate_on_submit():
        try:
            services.dismiss_flag(found, _user(), form.note.data)
        except DomainError as error:
            db.session.rollback()
            if error.status_code == 409:
                flash(error.message, "error")
                return redirect(url_for(".flag", flag_id=flag_id))
            show_form_error(form, error)
            found = _get(Flag, flag_id)
        else:
            db.session.commit()
            flash(_("标记已排除。"), "success")
            return redirect(url_for(".flags"))
    return _flag_page(found, form, 400)


@staff.route("/shops")
def shops():
    query = (request.args.get("q") or "").strip()[:50]
    return render_template("moderation/shops.html", query=query, shops=queries.search_shops(_user(), query, _page()))


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
    return render_template("moderation/shop.html", shop=shop, record=queries.shop_record(shop), acting_on=acting_on,
                           **_shop_forms(acting_on.id if acting_on else None, **submitted)), status


@staff.route("/shops/<int:shop_id>")
def shop(shop_id: int):
    return _shop_page(_in_scope(_get(Merchant, shop_id)), flag_id=record_id("flag"))


def _shop_action(shop_id: int, form_name: str, form, apply, done):
    """Validate the form, run one service, commit, and go back to the shop page (or show the errors).

    `done`: the message, or a function of what the service returned that gives it."""
    shop = _in_scope(_get(Merchant, shop_id))
    flag_id = form.flag() if hasattr(form, "flag") else None
    if form.validate_on_submit():
        try:
            result = apply(shop, form, db.session.get(Flag, flag_id) if flag_id else None)
        except DomainError as error:
            db.session.rollback()
            if error.status_code == 409:
                flash(error.message, "error")
                return redirect(url_for(".shop", shop_id=shop_id))
            show_form_error(form, error)
            shop = _get(Merchant, shop_id)
        else:
            db.session.commit()
            flash(done(result) if callable(done) else done, "success")
            return redirect(url_for(".shop", shop_id=shop_id))
    return _shop_page(shop, 400, flag_id, **{form_name: form})


@staff.route("/shops/<int:shop_id>/flag", methods=["POST"])
def raise_flag(shop_id: int):
    return _shop_action(shop_id, "flag_form", RaiseFlagForm(prefix="flag"),
                        lambda shop, f, _flag: services.raise_staff_flag(shop, _user(), f.reason.data),
                        _("已标记这家店铺，可在“标记”中跟进。"))


def _sanction_input(form) -> SanctionInput:
    return SanctionInput(form.clause_kind.data, form.public_reason.data, form.internal_note.data)


@staff.route("/shops/<int:shop_id>/warning", methods=["POST"])
def warn(shop_id: int):
    return _shop_action(shop_id, "warning_form", WarningForm(prefix="warning"),
                        lambda shop, f, flag: services.issue_warning(shop, _user(), _sanction_input(f), flag),
                        _("已发布警示，公示页已更新，并已短信通知商家。"))


@staff.route("/shops/<int:shop_id>/suspension", methods=["POST"])
def suspend(shop_id: int):
    return _shop_action(shop_id, "suspension_form", SuspensionForm(prefix="suspension"),
                        lambda shop, f, flag: services.suspend(shop, _user(), _sanction_input(f), f.until_date(),
                                                               f.ends.data == "rectified", flag),
                        _("已暂停这家店铺的诚信码，公示页已更新，并已短信通知商家。"))


@staff.route("/shops/<int:shop_id>/revocation", methods=["POST"])
def propose_revocation(shop_id: int):
    return _shop_action(shop_id, "revocation_form", RevocationForm(prefix="revocation"),
                        lambda shop, f, flag: services.propose_revocation(shop, _user(), _sanction_input(f), flag),
                        _("已提出撤销。须由另一位工作人员批准后才生效。"))


@staff.route("/shops/<int:shop_id>/reinstatement", methods=["POST"])
def reinstate(shop_id: int):
    return _shop_action(shop_id, "reinstate_form", ReinstateForm(prefix="reinstate"),
                        lambda shop, f, _flag: services.reinstate(shop, _user(), f.public_reason.data,
                                                                  f.internal_note.data),
                        _reinstate_done)


def _reinstate_done(record: Sanction) -> str:
    if record.status == PROPOSED:
        return _("已提出恢复。撤销的恢复须由另一位工作人员批准后才生效。")
    return _("已恢复。商家重新签署现行倡议书后，诚信码即恢复有效。")


# --- Sanctions and appeals --------------------------------------------------------------------------

@staff.route("/sanctions")
def sanctions():
    view = request.args.get("view", "proposed")
    if view not in queries.SANCTION_VIEWS:
        view = "proposed"
    return render_template("moderation/sanctions.html", view=view, now=utcnow(),
                           sanctions=queries.sanctions_page(_user(), view, _page()),
                           counts=queries.sanction_counts(_user()))


def _sanction_page(sanction: Sanction, status: int = 200, **submitted):
    forms = {"approve_form": ApproveForm(formdata=None, prefix="approve"),
             "reject_form": RejectForm(formdata=None, prefix="reject"),
             "decide_form": DecideAppealForm(formdata=None, prefix="decide")}
    forms.update(submitted)
    appeal = sanction.appeal
    return render_template("moderation/sanction.html", sanction=sanction, appeal=appeal, now=utcnow(),
                           can_decide=appeal is not None and services.can_decide(appeal, _user()), **forms), status


@staff.route("/sanctions/<int:sanction_id>")
def sanction(sanction_id: int):
    found = _get(Sanction, sanction_id)
    _in_scope(found.merchant)
    return _sanction_page(found)


def _sanction_action(sanction_id: int, form_name: str, form, apply, done):
    """Like _shop_action, for the sanction page; `done` may be a function of the sanction."""
    found = _get(Sanction, sanction_id)
    _in_scope(found.merchant)
    if form.validate_on_submit():
        try:
            apply(found, form)
        except DomainError as error:
            db.session.rollback()
            if error.status_code in (403, 409):
                flash(error.message, "error")
                return redirect(url_for(".sanction", sanction_id=sanction_id))
            show_form_error(form, error)
            found = _get(Sanction, sanction_id)
        else:
            db.session.commit()
            flash(done(found) if callable(done) else done, "success")
            return redirect(url_for(".sanction", sanction_id=sanction_id))
    return _sanction_page(found, 400, **{form_name: form})


@staff.route("/sanctions/<int:sanction_id>/approve", methods=["POST"])
def approve(sanction_id: int):
    return _sanction_action(sanction_id, "approve_form", ApproveForm(prefix="approve"),
                            lambda s, _f: services.approve_proposal(s, _user()),
                            lambda s: _("已批准恢复。商家重新签署现行倡议书后，诚信码即恢复有效，已短信通知商家。")
                            if s.kind == REINSTATEMENT else _("已批准撤销。公示页已显示“已撤销”，并已短信通知商家。"))


@staff.route("/sanctions/<int:sanction_id>/reject", methods=["POST"])
def reject(sanction_id: int):
    return _sanction_action(sanction_id, "reject_form", RejectForm(prefix="reject"),
                            lambda s, f: services.reject_proposal(s, _user(), f.note.data),
                            lambda s: _("已不予批准，恢复提议不生效。") if s.kind == REINSTATEMENT
                            else _("已不予批准，撤销提议不生效。"))


@staff.route("/appeals")
def appeals():
    view = request.args.get("view", "pending")
    if view not in queries.APPEAL_VIEWS:
        view = "pending"
    return render_template("moderation/appeals.html", view=view, appeals=queries.appeals_page(_user(), view, _page()),
                           counts=queries.appeal_counts(_user()))


@staff.route("/appeals/<int:appeal_id>/decide", methods=["POST"])
def decide_appeal(appeal_id: int):
    appeal = _get(Appeal, appeal_id)
    return _sanction_action(appeal.sanction_id, "decide_form", DecideAppealForm(prefix="decide"),
                            lambda _s, f: services.decide_appeal(appeal, _user(), f.decision.data == "grant",
                                                                 f.note.data),
                            _("申诉已审理，并已短信通知商家。"))


@staff.route("/appeals/photos/<int:photo_id>")
def appeal_photo(photo_id: int):
    """Appeal photos only through this view: staff in scope, never cached, never sniffed as HTML."""
    photo = _get(AppealPhoto, photo_id)
    _in_scope(photo.appeal.merchant)
    return private_image_response(Path(services.appeal_directory()), photo.stored_name, photo.content_type)


# --- The shop owner: appeal, and the notice on the shop page ---------------------------------------

@owner.route("/sanctions/<int:sanction_id>/appeal", methods=["GET", "POST"])
def appeal(sanction_id: int):
    found = _get(Sanction, sanction_id)
    require_owner(found.merchant, _user())
    if not found.is_negative or found.status in (PROPOSED, REJECTED):
        abort(404)  # proposals and rejected proposals never concerned the shop
    if not services.can_appeal(found):  # appealed already, or no longer in force: the page says which
        return render_template("moderation/appeal_form.html", sanction=found, form=None)
    form = AppealForm()
    if form.validate_on_submit():
        try:
            uploads = validate_batch([f for f in request.files.getlist(form.photos.name) if f and f.filename],
                                     services.MAX_APPEAL_PHOTOS)
            limits = UploadLimits.from_config()
            with slow_work():  # seconds of Pillow work must not hold the write lock
                photos = [process_image(f.stream, f.filename, **limits.image_kwargs()) for f in uploads]
            services.submit_appeal(found, _user(), form.text.data, photos)
        except ImageRejected as error:
            db.session.rollback()
            form.photos.errors.append(error.message)
        except DomainError as error:
            db.session.rollback()
            if error.status_code == 409:
                flash(error.message, "error")
                return redirect(url_for("shop_desk.shop_detail", shop_id=found.merchant_id))
            show_form_error(form, error)
        else:
            db.session.commit()
            flash(_("申诉已提交。工作人员会尽快审理，结果会短信通知您。"), "success")
            return redirect(url_for("shop_desk.shop_detail", shop_id=found.merchant_id))
    if form.is_submitted() and request.files.getlist(form.photos.name) and not form.photos.errors:
        form.photos.errors.append(_("出于安全原因，浏览器不会保留已选的照片，请重新选择。"))
    return render_template("moderation/appeal_form.html", sanction=found, form=form), 400 if form.errors else 200


@owner.app_template_global("moderation_notice")
def moderation_notice(shop: Merchant):
    """The sanctions in force and appeal decisions, for the owner's shop page (templates/badges)."""
    return queries.owner_notice(shop)


# --- The consumer's report on the QR page ----------------------------------------------------------

@public.route("/m/<code>/report", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"], error_message=lambda: _("提交过于频繁，请稍后再试。"))
def report(code: str):
    """A page of its own, so the QR page itself needs no form token and sets no cookie."""
    merchant = merchant_by_public_code(code)
    if merchant is None:
        abort(404)
    form = ReportForm()
    if not form.is_submitted():
        form.serial.data = (request.args.get("s") or "")[:24]
    if form.validate_on_submit():
        try:
            services.report_misused_badge(merchant, form.note.data, form.serial.data)
        except DomainError as error:
            show_form_error(form, error)
        else:
            db.session.commit()
            flash(_("谢谢您的报告！消费者协会会核实这家店铺的诚信码是否被冒用。"), "success")
            return redirect(url_for("lookup.shop", code=merchant.public_code,
                                    **({"s": form.serial.data} if form.serial.data else {})))
    return render_template("moderation/report.html", merchant=merchant, form=form), 400 if form.errors else 200


# --- Administrators: the flag rules -----------------------------------------------------------------

def _rules_page(submitted: dict | None = None, status: int = 200):
    forms = {}
    for rule in services.all_rules():
        forms[rule.code] = (submitted or {}).get(rule.code) or FlagRuleForm(
            formdata=None, prefix=rule.code, enabled=rule.enabled, threshold=str(rule.threshold),
            window_days=str(rule.window_days))
    return render_template("moderation/rules.html", rules=services.all_rules(), forms=forms), status


@admin.route("")
def rules():
    return _rules_page()


@admin.route("/<code>", methods=["POST"])
def update_rule(code: str):
    if code not in RULE_CODES:
        abort(404)
    form = FlagRuleForm(prefix=code)
    if form.validate_on_submit():
        try:
            services.update_rule(code, _user(), form.enabled.data, whole_number(form.threshold.data),
                                 whole_number(form.window_days.data))
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        else:
            db.session.commit()
            flash(_("标记规则已保存，新提交和新受理的投诉将按新规则判断。"), "success")
            return redirect(url_for(".rules"))
    return _rules_page({code: form}, 400)
