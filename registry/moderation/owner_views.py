"""Moderation in the owner area: appealing a sanction, the shop's statement beside it, applying for
credit repair, and the notice on the shop's page."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.badges.owner_views import owner_shop_page
from registry.database import slow_work
from registry.errors import sends_photos
from registry.extensions import db
from registry.merchants.services import require_owner
from registry.clock import china_date, utcnow
from registry.moderation import appeals, repairs, statements
from registry.moderation.forms import AppealForm, RepairForm, StatementForm
from registry.moderation.models import PROPOSED, REJECTED, SUSPENSION, Sanction
from registry.moderation.notices import owner_notice
from registry.uploads import ImageRejected, UploadLimits, process_image, validate_batch
from registry.view_helpers import ask_for_photos_again, save_form
from registry.walls import owner_area

owner = owner_area(Blueprint("moderation_owner", __name__, url_prefix="/my"))


def _photos(form: AppealForm | RepairForm, limit: int = appeals.MAX_APPEAL_PHOTOS):
    """The photos sent with the form, checked and re-encoded (ImageRejected names the problem)."""
    uploads = validate_batch([f for f in request.files.getlist(form.photos.name) if f and f.filename], limit)
    limits = UploadLimits.from_config()
    with slow_work():  # seconds of Pillow work must not hold the write lock
        return [process_image(f.stream, f.filename, **limits.image_kwargs()) for f in uploads]


@owner.route("/sanctions/<int:sanction_id>/appeal", methods=["GET", "POST"])
@sends_photos
def appeal(sanction_id: int):
    found = db.session.get(Sanction, sanction_id)
    if found is None:
        abort(404)
    user = current_user._get_current_object()
    require_owner(found.merchant, user)
    if not found.is_negative or found.status in (PROPOSED, REJECTED):
        abort(404)  # proposals and rejected proposals never concerned the shop
    if not appeals.can_appeal(found):  # appealed already, or no longer in force: the page says which
        return render_template("moderation/appeal_form.html", sanction=found, form=None)
    form = AppealForm()
    if form.validate_on_submit():
        try:
            photos = _photos(form)
        except ImageRejected as error:
            form.photos.errors.append(error.message)
        else:
            shop_page = url_for("shop_desk.shop_detail", shop_id=found.merchant_id)
            saved = save_form(form, lambda: appeals.submit_appeal(found, user, form.text.data, photos),
                              done=_("申诉已提交。工作人员会尽快审理，结果会短信通知您。"), then=shop_page,
                              stale=shop_page)
            if saved:
                return saved
    if form.is_submitted():
        ask_for_photos_again(form.photos)
    return render_template("moderation/appeal_form.html", sanction=found, form=form), 400 if form.errors else 200


def _own_sanction(sanction_id: int) -> Sanction:
    """A sanction of one of the user's shops that concerned the shop (never a proposal or a rejection)."""
    found = db.session.get(Sanction, sanction_id)
    if found is None:
        abort(404)
    require_owner(found.merchant, current_user._get_current_object())
    if not found.is_negative or found.status in (PROPOSED, REJECTED):
        abort(404)
    return found


@owner.route("/sanctions/<int:sanction_id>/statement", methods=["GET", "POST"])
def statement(sanction_id: int):
    found = _own_sanction(sanction_id)
    current = found.statement
    if not statements.can_state(found, utcnow()) or (current is not None and current.hidden_reason is not None):
        return render_template("moderation/statement_form.html", sanction=found, statement=current, form=None)
    form = StatementForm()
    if not form.is_submitted() and current is not None:
        form.body.data, form.version.data = current.body, str(current.version)
    if form.validate_on_submit():
        shop_page = url_for("shop_desk.shop_detail", shop_id=found.merchant_id)
        saved = save_form(form, lambda: statements.write_statement(found, current_user._get_current_object(),
                                                                   form.body.data, form.expected_version()),
                          done=lambda s: _("说明已提交。其中有个人信息，已遮挡，工作人员审核后公开。") if s.held_for_review
                          else _("说明已发布，消费者会在公示页上看到它。"), then=shop_page, stale=shop_page)
        if saved:
            return saved
    return render_template("moderation/statement_form.html", sanction=found, statement=current,
                           form=form), 400 if form.errors else 200


@owner.route("/sanctions/<int:sanction_id>/repair", methods=["GET", "POST"])
@sends_photos
def repair(sanction_id: int):
    found = _own_sanction(sanction_id)
    refusal = repairs.why_not_repairable(found, utcnow())
    if refusal is not None:  # too early, applied already, no longer shown: the page says which
        return render_template("moderation/repair_form.html", sanction=found, form=None, refusal=refusal)
    form = RepairForm()
    if form.validate_on_submit():
        try:
            photos = _photos(form, repairs.MAX_REPAIR_PHOTOS)
        except ImageRejected as error:
            form.photos.errors.append(error.message)
        else:
            shop_page = url_for("shop_desk.shop_detail", shop_id=found.merchant_id)
            saved = save_form(form, lambda: repairs.apply_for_repair(found, current_user._get_current_object(),
                                                                     form.text.data, photos),
                              done=_("信用修复申请已提交。工作人员审核后会短信通知您结果。"), then=shop_page,
                              stale=shop_page)
            if saved:
                return saved
    if form.is_submitted():
        ask_for_photos_again(form.photos)
    return render_template("moderation/repair_form.html", sanction=found, form=form,
                           refusal=None), 400 if form.errors else 200


@owner_shop_page.connect
def _shop_notice(shop, now, **_extra) -> dict:
    """The owner's shop page shows the sanctions in force and appeal decisions, and the standing as
    consumers see it (sanctions counted), in place of the badge package's own."""
    notice = owner_notice(shop, now)
    return {"notice": notice, "standing": notice.standing.standing, "lapse": notice.standing.lapse,
            "repair_from": _repair_dates(notice.in_force, now), "repair_months": repairs.minimum_months(shop)}


def _repair_dates(in_force: list[Sanction], now) -> dict[int, date | None]:
    """For each suspension in force that credit repair can end: the first day to apply, or None when the
    shop may apply now (a suspension with a repair under review is left out)."""
    dates: dict[int, date | None] = {}
    for sanction in in_force:
        if sanction.kind != SUSPENSION:
            continue
        start = repairs.repairable_from(sanction)
        if now < start:
            dates[sanction.id] = china_date(start)
        elif repairs.why_not_repairable(sanction, now) is None:
            dates[sanction.id] = None
    return dates
