"""Consumers: confirm the phone, file a complaint, and follow the case through its secret link."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _
from flask_limiter.util import get_remote_address

from registry.clock import utcnow
from registry.complaints import filing, handling, letters, timeline
from registry.complaints.forms import (AddInformationForm, CodeForm, ComplaintForm, FollowupForm, PhoneForm,
                                       RespondToOfferForm, WithdrawForm, to_cents)
from registry.complaints.models import Complaint
from registry.complaints.verification import VerificationSpent, VerifiedPhone, verified_phone
from registry.database import slow_work
from registry.errors import DomainError, sends_photos
from registry.extensions import db, limiter
from registry.merchants.models import Merchant
from registry.merchants.services import merchant_by_public_code
from registry.messaging.outbox import undelivered_in_last_commit
from registry.messaging.verification import SmsUnavailable, TooSoon, confirm_code, send_code
from registry.phones import InvalidIdentifier, normalize_mobile
from registry.uploads import ImageRejected, ProcessedImage, process_image, validate_batch
from registry.view_helpers import ask_for_photos_again, save_form, show_field_errors, show_form_error

bp = Blueprint("complaints", __name__)

VERIFIED_PHONE = "verified_phone"

# Abuse limits (numbers in deploy/DEPLOY.md). Consumers come from phone networks behind carrier-grade
# NAT, where one address is shared by thousands: the limits that matter are per phone number, and
# the per-address ones only stop one machine hammering the forms.
CODES_PER_PHONE = "5 per hour;10 per day"
CODES_PER_ADDRESS = "300 per hour"
CONFIRMATIONS_PER_ADDRESS = "600 per hour"
FILINGS_PER_ADDRESS = "300 per hour"
COMPLAINTS_PER_PHONE = "5 per day"


def _form_phone_key() -> str:
    try:
        return "phone:" + normalize_mobile(request.form.get("phone", ""))
    except InvalidIdentifier:
        return "phone:invalid|" + get_remote_address()


def _sending() -> bool:
    return "send" in request.form


def _verified() -> VerifiedPhone | None:
    verified = VerifiedPhone.from_session(session.get(VERIFIED_PHONE), utcnow())
    if verified is None:
        session.pop(VERIFIED_PHONE, None)
    return verified


def _verified_phone() -> str | None:
    verified = _verified()
    return verified.phone if verified else None


def _verified_phone_key() -> str:
    return "complainant:" + (_verified_phone() or get_remote_address())


def _public_merchant(code: str) -> Merchant:
    merchant = merchant_by_public_code(code)
    if merchant is None:
        abort(404)
    return merchant


@bp.after_request
def _private(response):
    # Phone numbers and case details: never cached. The secret case link never leaks to another
    # site as a referrer, yet the browser still sends it on our own form posts: Flask-WTF's strict
    # https check refuses a POST without a same-origin Referer (no-referrer broke every consumer form).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.route("/m/<code>/complain", methods=["GET", "POST"])
@limiter.limit(CODES_PER_ADDRESS, methods=["POST"], exempt_when=lambda: not _sending())
@limiter.limit(CONFIRMATIONS_PER_ADDRESS, methods=["POST"], exempt_when=_sending)
@limiter.limit(CODES_PER_PHONE, key_func=_form_phone_key, methods=["POST"], exempt_when=lambda: not _sending(),
               error_message=lambda: _("这个手机号获取验证码过于频繁，请稍后再试。"))
def verify_phone(code: str):
    merchant = _public_merchant(code)
    if request.method == "GET" and _verified() is not None:
        # Going on with a verification on purpose (another shop, right after filing): no new code needed.
        return redirect(url_for("complaints.file_complaint", code=merchant.public_code))
    phone_form, code_form = PhoneForm(), CodeForm()
    if "send" in request.form:
        if phone_form.validate_on_submit():
            try:
                verification = send_code(phone_form.phone.data)
            except TooSoon as error:
                # A code is already on its way: let the consumer type it rather than wait.
                code_form.phone.data = normalize_mobile(phone_form.phone.data)
                code_form.code.errors = [error.message]
                return render_template("complaints/verify_phone.html", merchant=merchant, phone_form=phone_form,
                                       code_form=code_form, code_sent_to=code_form.phone.data)
            except DomainError as error:
                phone_form.phone.errors.append(error.message)
            else:
                db.session.commit()  # the code is stored; only now is the SMS handed to the gateway
                if undelivered_in_last_commit(verification.phone):
                    # The code stays valid but never arrived: ask again (the resend wait does not apply).
                    phone_form.phone.errors.append(SmsUnavailable(_("短信发送失败，请稍后再试。")).message)
                    return render_template("complaints/verify_phone.html", merchant=merchant,
                                           phone_form=phone_form, code_form=None, code_sent_to=None)
                code_form.phone.data = verification.phone
                return render_template("complaints/verify_phone.html", merchant=merchant, phone_form=phone_form,
                                       code_form=code_form, code_sent_to=verification.phone)
    elif "confirm" in request.form:
        if code_form.validate_on_submit():
            try:
                verification = confirm_code(code_form.phone.data, code_form.code.data)
            except DomainError as error:
                code_form.code.errors.append(error.message)
                db.session.commit()  # the failed attempt is counted
            else:
                db.session.commit()
                session[VERIFIED_PHONE] = verified_phone(verification).to_session()
                return redirect(url_for("complaints.file_complaint", code=merchant.public_code))
        return render_template("complaints/verify_phone.html", merchant=merchant, phone_form=phone_form,
                               code_form=code_form, code_sent_to=code_form.phone.data)
    return render_template("complaints/verify_phone.html", merchant=merchant, phone_form=phone_form,
                           code_form=None, code_sent_to=None)


@bp.route("/m/<code>/complain/details", methods=["GET", "POST"])
@limiter.limit(FILINGS_PER_ADDRESS, methods=["POST"])
@limiter.limit(COMPLAINTS_PER_PHONE, key_func=_verified_phone_key, methods=["POST"],
               error_message=lambda: _("同一手机号每天最多提交 5 件投诉。"))
@sends_photos
def file_complaint(code: str):
    merchant = _public_merchant(code)
    verified = _verified()
    if verified is None:
        flash(_("请先用短信验证码确认您的手机号。"), "info")
        return redirect(url_for("complaints.verify_phone", code=merchant.public_code))
    form = ComplaintForm()
    form.offer_clauses(filing.pledge_cited(merchant), english=str(get_locale()) == "en")
    if not form.is_submitted():
        form.submission_key.data = secrets.token_urlsafe(24)
    if form.validate_on_submit():
        filed = _file(merchant, form, verified)
        if filed is not None:
            return filed
    elif form.is_submitted():
        # The form's own checks failed: the filing rules run as well, so one submit names every problem.
        show_field_errors(form, filing.complaint_problems(merchant, _typed(form, verified.phone), utcnow()))
    if form.is_submitted():
        ask_for_photos_again(form.photos)
    return render_template("complaints/file.html", merchant=merchant, form=form, phone=verified.phone,
                           retention_months=current_app.config["COMPLAINANT_PHONE_RETENTION_MONTHS"])


def _photos(form: ComplaintForm) -> list[ProcessedImage]:
    """The evidence photos posted with the form, checked and re-encoded (raises ImageRejected)."""
    uploads = [f for f in request.files.getlist(form.photos.name) if f and f.filename]
    validate_batch(uploads)
    with slow_work():  # seconds of Pillow work must not hold the write lock
        return [process_image(f.stream, f.filename) for f in uploads]


def _typed(form: ComplaintForm, phone: str) -> filing.ComplaintInput:
    return filing.ComplaintInput(
        clause=form.clause.data, description=form.description.data, purchase_date=form.purchase_date.data,
        amount_cents=to_cents(form.amount.data), demands=form.demands.data or [],
        consumer_name=form.consumer_name.data, consumer_phone=phone, privacy_consent=form.privacy_consent.data,
        share_phone_consent=form.share_phone_consent.data)


def _file(merchant: Merchant, form: ComplaintForm, verified: VerifiedPhone):
    """File the posted complaint and go to its case page; None when refused (the reason is on the form).

    Not save_form: photos are refused before anything is stored, a spent verification sends the
    consumer back for a new code, and the session must change after the commit.
    """
    try:
        photos = _photos(form)
    except ImageRejected as error:
        form.photos.errors.append(error.message)
        return None
    try:
        complaint, token, following = filing.file_verified_complaint(
            merchant, _typed(form, verified.phone), photos, verified, form.submission_key.data)
    except VerificationSpent as error:
        db.session.rollback()
        session.pop(VERIFIED_PHONE, None)
        flash(error.message, "info")
        return redirect(url_for("complaints.verify_phone", code=merchant.public_code))
    except DomainError as error:
        db.session.rollback()  # nothing half-done is kept, the verification's use included
        show_form_error(form, error)
        return None
    # Read before the commit: after it the complaint is expired, and reloading it would open a new
    # write transaction (a POST) that can wait behind other writers once the case is already stored.
    number = complaint.tracking_number
    db.session.commit()
    # One verification, one complaint: the session keeps only the right to file the next one
    # on purpose (complaints.verification.spend_verification), or nothing.
    if following is None:
        session.pop(VERIFIED_PHONE, None)
    else:
        session[VERIFIED_PHONE] = following.to_session()
    flash(_("投诉已提交，编号 %(number)s。请收藏本页链接，凭它查看进展。", number=number), "success")
    return redirect(url_for("complaints.case", token=token))


def _case_or_404(token: str) -> Complaint:
    complaint = filing.complaint_by_token(token)
    if complaint is None:
        abort(404)
    return complaint


@bp.route("/c/<token>")
def case(token: str):
    return _case_page(_case_or_404(token), token)


def _case_page(complaint: Complaint, token: str, **submitted):
    forms = {"info_form": AddInformationForm(formdata=None), "respond_form": RespondToOfferForm(formdata=None),
             "withdraw_form": WithdrawForm(formdata=None), "followup_form": FollowupForm(formdata=None)}
    forms.update(submitted)
    return render_template("complaints/case.html", complaint=complaint, token=token,
                           letter_kind=letters.letter_kind(complaint), letter_titles=letters.TITLES,
                           offer=timeline.latest_offer(complaint), another_complaint=_verified(),
                           events=timeline.visible_events(complaint, "consumer"), **forms)


def _case_action(token: str, form_name: str, form, apply):
    """Run one consumer action from the case page; on a refusal show the page again with the message.

    A conflict (the case moved on, e.g. in another tab) is said at the top of the fresh page instead,
    as the form may no longer be on it.
    """
    complaint = _case_or_404(token)
    here = url_for("complaints.case", token=token)
    if form.validate_on_submit():
        saved = save_form(form, lambda: apply(complaint, form), then=here, done=_("已提交。"), stale=here)
        if saved is not None:
            return saved
    return _case_page(complaint, token, **{form_name: form}), 400


@bp.route("/c/<token>/information", methods=["POST"])
def add_information(token: str):
    return _case_action(token, "info_form", AddInformationForm(), lambda c, f: handling.add_information(c, f.body.data))


@bp.route("/c/<token>/respond", methods=["POST"])
def respond(token: str):
    return _case_action(token, "respond_form", RespondToOfferForm(),
                        lambda c, f: handling.respond_to_offer(c, f.decision.data == "accept", f.comment.data))


@bp.route("/c/<token>/withdraw", methods=["POST"])
def withdraw(token: str):
    return _case_action(token, "withdraw_form", WithdrawForm(), lambda c, f: handling.withdraw_complaint(c, f.reason.data))


@bp.route("/c/<token>/followup", methods=["POST"])
def followup(token: str):
    return _case_action(token, "followup_form", FollowupForm(), lambda c, f: handling.answer_followup(
        c, {"yes": True, "no": False}.get(f.resolved.data), f.satisfaction.data, f.comment.data))


@bp.route("/c/<token>/letter.pdf")
def letter(token: str):
    """The closing letter (不予受理告知书 / 调解终结书) of a refused case or a failed mediation."""
    return letters.letter_response(_case_or_404(token))
