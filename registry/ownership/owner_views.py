"""The claimant's side: filing an ownership claim, and what the owner area says about claims."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.badges.owner_views import owner_shops_page
from registry.database import slow_work
from registry.errors import DomainError, sends_photos
from registry.extensions import db, limiter
from registry.messaging.outbox import undelivered_in_last_commit
from registry.messaging.verification import send_code
from registry.ownership import claims, queries
from registry.ownership.forms import ClaimForm
from registry.uploads import ImageRejected, UploadLimits, process_image
from registry.view_helpers import ask_for_photos_again, save_form, show_form_error
from registry.walls import owner_area

owner = owner_area(Blueprint("ownership", __name__, url_prefix="/my"))


def _sending() -> bool:
    return "send_code" in request.form


def _account_key() -> str:
    return f"ownership-claim|{current_user.get_id()}"


def _licence(form: ClaimForm):
    """The licence photo, checked and re-encoded (ImageRejected names the problem); None when none was sent."""
    upload = request.files.get(form.licence.name)
    if upload is None or not upload.filename:
        return None
    limits = UploadLimits.from_config()
    with slow_work():  # seconds of Pillow work must not hold the write lock
        return process_image(upload.stream, upload.filename, **limits.image_kwargs())


def _send_code(form: ClaimForm) -> str | None:
    """Text a code to the typed phone; the masked number it went to, or None (the error is on the form)."""
    try:
        verification = send_code(form.phone.data, claims.VERIFICATION_PURPOSE)
    except DomainError as error:
        db.session.rollback()
        show_form_error(form, error)
        return None
    db.session.commit()  # the code is stored; only now is the SMS handed to the gateway
    if undelivered_in_last_commit(verification.phone):
        form.phone.errors.append(_("短信发送失败，请稍后再试。"))
        return None
    return verification.phone


@owner.route("/ownership-claim", methods=["GET", "POST"])
@sends_photos
@limiter.limit("10 per hour", key_func=_account_key, methods=["POST"],
               error_message=lambda: _("提交过于频繁，请一小时后再试。"))
def claim():
    form = ClaimForm()
    user = current_user._get_current_object()
    if not form.is_submitted():
        form.credit_code.data = (request.args.get("credit_code") or "")[:40]
    code_sent_to = None
    if form.is_submitted() and _sending():
        if form.validate():
            code_sent_to = _send_code(form)
    elif form.validate_on_submit():
        try:
            licence = _licence(form)
        except ImageRejected as error:
            form.licence.errors.append(error.message)
        else:
            saved = save_form(form, lambda: claims.file_claim(user, form.credit_code.data, form.name.data,
                                                              form.phone.data, form.code.data, form.statement.data,
                                                              licence),
                              done=_("认领申请已提交。消费者协会工作人员核实营业执照后，会短信通知您结果。"),
                              then=url_for(".claims_list"))
            if saved:
                return saved
    if form.is_submitted():
        ask_for_photos_again(form.licence)
    status = 400 if form.errors and not code_sent_to else 200
    return render_template("ownership/claim_form.html", form=form, code_sent_to=code_sent_to), status


@owner.route("/ownership-claims")
def claims_list():
    return render_template("ownership/my_claims.html",
                           claims=queries.claims_of(current_user._get_current_object()))


@owner_shops_page.connect
def _my_shops_notices(user, now, **_extra) -> dict:
    """The owner's shop list says which shops moved to their real owner, and how claims stand."""
    return {"moved_away": queries.moved_away(user, now), "my_claims": queries.claims_of(user)}
