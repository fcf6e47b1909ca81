"""Consumers: confirm the phone, file a complaint, and follow the case through its secret link."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from registry.complaints import services
from registry.complaints.evidence import EvidenceRejected, process_evidence, validate_batch
from registry.complaints.forms import (AddInformationForm, CodeForm, ComplaintForm, FollowupForm, PhoneForm,
                                       RespondToOfferForm, WithdrawForm, to_cents)
from registry.complaints.models import Complaint
from registry.messaging.verification import SmsUnavailable, TooSoon, confirm_code, send_code
from registry.database import slow_work, utcnow
from registry.errors import DomainError
from registry.extensions import db, limiter
from registry.merchants.identifiers import InvalidIdentifier, normalize_mobile
from registry.merchants.models import Merchant
from registry.merchants.services import merchant_by_public_code
from registry.merchants.views import show_form_error
from registry.messaging.outbox import undelivered_in_last_commit

bp = Blueprint("complaints", __name__)

VERIFIED_PHONE = "verified_phone"
VERIFIED_FOR = timedelta(minutes=30)


def _form_phone_key() -> str:
    try:
        return "phone:" + normalize_mobile(request.form.get("phone", ""))
    except InvalidIdentifier:
        return "phone:invalid|" + get_remote_address()


def _verified_phone() -> str | None:
    record = session.get(VERIFIED_PHONE)
    if not record:
        return None
    if utcnow() - datetime.fromisoformat(record["at"]) > VERIFIED_FOR:
        session.pop(VERIFIED_PHONE, None)
        return None
    return record["phone"]


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
@limiter.limit("20 per hour", methods=["POST"])
@limiter.limit("5 per hour", key_func=_form_phone_key, methods=["POST"], exempt_when=lambda: "send" not in request.form,
               error_message=lambda: _("这个手机号获取验证码过于频繁，请一小时后再试。"))
def verify_phone(code: str):
    merchant = _public_merchant(code)
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
                confirm_code(code_form.phone.data, code_form.code.data)
            except DomainError as error:
                code_form.code.errors.append(error.message)
                db.session.commit()  # the failed attempt is counted
            else:
                db.session.commit()
                session[VERIFIED_PHONE] = {"phone": normalize_mobile(code_form.phone.data),
                                           "at": utcnow().isoformat()}
                return redirect(url_for("complaints.file_complaint", code=merchant.public_code))
        return render_template("complaints/verify_phone.html", merchant=merchant, phone_form=phone_form,
                               code_form=code_form, code_sent_to=code_form.phone.data)
    return render_template("complaints/verify_phone.html", merchant=merchant, phone_form=phone_form,
                           code_form=None, code_sent_to=None)


@bp.route("/m/<code>/complain/details", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@limiter.limit("5 per day", key_func=_verified_phone_key, methods=["POST"],
               error_message=lambda: _("同一手机号每天最多提交 5 件投诉。"))
def file_complaint(code: str):
    merchant = _public_merchant(code)
    phone = _verified_phone()
    if phone is None:
        flash(_("请先用短信验证码确认您的手机号。"), "info")
        return redirect(url_for("complaints.verify_phone", code=merchant.public_code))
    form = ComplaintForm()
    if not form.is_submitted():
        form.submission_key.data = secrets.token_urlsafe(24)
    if form.validate_on_submit():
        try:
            uploads = [f for f in request.files.getlist(form.photos.name) if f and f.filename]
            validate_batch(uploads)
            with slow_work():  # seconds of Pillow work must not hold the write lock
                photos = [process_evidence(f.stream, f.filename) for f in uploads]
            complaint, token = services.file_complaint(merchant, services.ComplaintInput(
                clause_kind=form.clause_kind.data, description=form.description.data,
                purchase_date=form.purchase_date.data, amount_cents=to_cents(form.amount.data),
                demands=form.demands.data or [], consumer_name=form.consumer_name.data, consumer_phone=phone,
                privacy_consent=form.privacy_consent.data, share_phone_consent=form.share_phone_consent.data,
            ), photos, phone, form.submission_key.data)
        except EvidenceRejected as error:
            form.photos.errors.append(error.message)
        except DomainError as error:
            show_form_error(form, error)
        else:
            db.session.commit()
            session.pop(VERIFIED_PHONE, None)
            flash(_("投诉已提交，编号 %(number)s。请收藏本页链接，凭它查看进展。", number=complaint.tracking_number),
                  "success")
            return redirect(url_for("complaints.case", token=token))
        if request.files.getlist(form.photos.name):
            form.photos.errors.append(_("出于安全原因，浏览器不会保留已选的照片，请重新选择。"))
    return render_template("complaints/file.html", merchant=merchant, form=form, phone=phone,
                           retention_months=current_app.config["COMPLAINANT_PHONE_RETENTION_MONTHS"])


def _case_or_404(token: str) -> Complaint:
    complaint = services.complaint_by_token(token)
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
                           offer=services.latest_offer(complaint),
                           events=services.visible_events(complaint, "consumer"), **forms)


def _case_action(token: str, form_name: str, form, apply):
    """Run one consumer action from the case page; on a refusal show the page again with the message."""
    complaint = _case_or_404(token)
    if form.validate_on_submit():
        try:
            apply(complaint, form)
        except DomainError as error:
            if error.status_code == 409:
                # The case moved on (e.g. in another tab): the form may no longer be on the page,
                # so say it at the top of the fresh page, as the staff case page does.
                db.session.rollback()
                flash(error.message, "error")
                return redirect(url_for("complaints.case", token=token))
            show_form_error(form, error)
        else:
            db.session.commit()
            flash(_("已提交。"), "success")
            return redirect(url_for("complaints.case", token=token))
    return _case_page(complaint, token, **{form_name: form}), 400


@bp.route("/c/<token>/information", methods=["POST"])
def add_information(token: str):
    return _case_action(token, "info_form", AddInformationForm(), lambda c, f: services.add_information(c, f.body.data))


@bp.route("/c/<token>/respond", methods=["POST"])
def respond(token: str):
    return _case_action(token, "respond_form", RespondToOfferForm(),
                        lambda c, f: services.respond_to_offer(c, f.decision.data == "accept", f.comment.data))


@bp.route("/c/<token>/withdraw", methods=["POST"])
def withdraw(token: str):
    return _case_action(token, "withdraw_form", WithdrawForm(), lambda c, f: services.withdraw_complaint(c, f.reason.data))


@bp.route("/c/<token>/followup", methods=["POST"])
def followup(token: str):
    return _case_action(token, "followup_form", FollowupForm(), lambda c, f: services.answer_followup(
        c, {"yes": True, "no": False}.get(f.resolved.data), f.satisfaction.data, f.comment.data))
