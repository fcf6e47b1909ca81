"""我的投诉: a consumer who lost the case link confirms the phone by SMS code and sees every case filed
with it, each with its tracking page.

Before the code is confirmed the page says the same thing for every number (a code is sent to any
valid mobile), so it never tells whether a phone has complaints. The confirmed phone is kept in the
signed session for half an hour; the code requests and tries are limited like the filing flow's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from registry.clock import utcnow
from registry.complaints.filing import case_token_of
from registry.complaints.forms import CodeForm, LeaveForm, PhoneForm
from registry.complaints.public_views import (CODES_PER_ADDRESS, CODES_PER_PHONE, CONFIRMATIONS_PER_ADDRESS,
                                              _form_phone_key)
from registry.complaints.queries import cases_filed_with
from registry.errors import DomainError
from registry.extensions import db, limiter
from registry.messaging.outbox import undelivered_in_last_commit
from registry.messaging.verification import SmsUnavailable, TooSoon, confirm_code, send_code
from registry.phones import normalize_mobile

bp = Blueprint("my_complaints", __name__)

PURPOSE = "my_cases"
SESSION_KEY = "my_cases"
SHOWN_FOR = timedelta(minutes=30)


def _sending() -> bool:
    return "send" in request.form


def _confirmed_phone() -> str | None:
    """The phone confirmed on this page in the last half hour, or None."""
    value = session.get(SESSION_KEY)
    try:
        phone, until = str(value["phone"]), datetime.fromisoformat(value["until"])
    except (TypeError, KeyError, ValueError):
        session.pop(SESSION_KEY, None)
        return None
    if until <= utcnow():
        session.pop(SESSION_KEY, None)
        return None
    return phone


@bp.after_request
def _private(response):
    # Case links on the page: never cached, never sent to another site as a referrer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _page(phone_form, code_form=None, code_sent_to=None, status=200):
    return render_template("complaints/my_cases.html", phone_form=phone_form, code_form=code_form,
                           code_sent_to=code_sent_to), status


@bp.route("/my-complaints", methods=["GET", "POST"])
@limiter.limit(CODES_PER_ADDRESS, methods=["POST"], exempt_when=lambda: not _sending())
@limiter.limit(CONFIRMATIONS_PER_ADDRESS, methods=["POST"], exempt_when=_sending)
@limiter.limit(CODES_PER_PHONE, key_func=_form_phone_key, methods=["POST"], exempt_when=lambda: not _sending(),
               error_message=lambda: _("这个手机号获取验证码过于频繁，请稍后再试。"))
def my_complaints():
    phone = _confirmed_phone()
    if phone is not None and request.method == "GET":
        cases = cases_filed_with(phone)
        return render_template("complaints/my_cases_list.html", cases=cases, leave_form=LeaveForm(),
                               tokens={c.id: case_token_of(c) for c in cases})
    phone_form, code_form = PhoneForm(), CodeForm()
    if _sending():
        if not phone_form.validate_on_submit():
            return _page(phone_form, status=400)
        try:
            verification = send_code(phone_form.phone.data, PURPOSE)
        except TooSoon as error:
            # A code is already on its way: let the consumer type it rather than wait.
            code_form.phone.data = normalize_mobile(phone_form.phone.data)
            code_form.code.errors = [error.message]
            return _page(phone_form, code_form, code_form.phone.data)
        except DomainError as error:
            phone_form.phone.errors.append(error.message)
            return _page(phone_form, status=400)
        db.session.commit()  # the code is stored; only now is the SMS handed to the gateway
        if undelivered_in_last_commit(verification.phone):
            phone_form.phone.errors.append(SmsUnavailable(_("短信发送失败，请稍后再试。")).message)
            return _page(phone_form, status=503)
        code_form.phone.data = verification.phone
        return _page(phone_form, code_form, verification.phone)
    if "confirm" in request.form:
        if code_form.validate_on_submit():
            try:
                verification = confirm_code(code_form.phone.data, code_form.code.data, PURPOSE)
            except DomainError as error:
                code_form.code.errors.append(error.message)
                db.session.commit()  # the failed try is counted
            else:
                db.session.commit()
                session[SESSION_KEY] = {"phone": verification.phone, "until": (utcnow() + SHOWN_FOR).isoformat()}
                return redirect(url_for("my_complaints.my_complaints"))
        return _page(phone_form, code_form, code_form.phone.data, status=400)
    return _page(phone_form)


@bp.route("/my-complaints/leave", methods=["POST"])
def leave():
    """Forget the confirmed phone (a shared phone or computer)."""
    if LeaveForm().validate_on_submit():
        session.pop(SESSION_KEY, None)
    return redirect(url_for("my_complaints.my_complaints"))
