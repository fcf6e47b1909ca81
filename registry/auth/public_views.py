"""Login, registration, passwords (change, reset by SMS), logout and the language switch."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from registry.auth import services
from registry.auth.forms import (ChangePasswordForm, ForgotPasswordForm, LoginForm, RegisterConfirmForm,
                                 RegisterForm, ResetPasswordForm)
from registry.auth.models import User
from registry.clock import utcnow
from registry.errors import DomainError
from registry.view_helpers import save_form, show_field_errors, show_form_error
from registry.extensions import db, limiter
from registry.i18n import LANGUAGE_COOKIE
from registry.phones import InvalidIdentifier, mask_mobile, normalize_mobile
from registry.messaging.outbox import undelivered_in_last_commit
from registry.messaging.verification import CODE_LIFETIME, TooSoon

bp = Blueprint("auth", __name__)

# Login limits (deploy/DEPLOY.md): per account from one address, per account from anywhere, per address.
LOGIN_LIMIT_ACCOUNT_AND_ADDRESS = "5 per minute;20 per hour"
LOGIN_LIMIT_ACCOUNT = "100 per hour"
LOGIN_LIMIT_ADDRESS = "30 per minute;300 per hour"
# Session keys: the registration in progress, the phone a reset code went to, and "must change password".
PENDING_REGISTRATION = "pending_registration"
RESET_PHONE = "password_reset_phone"
MUST_CHANGE_PASSWORD = "must_change_password"
# What a signed-in account that must change its password may still open.
_OPEN_WHILE_PASSWORD_MUST_CHANGE = frozenset({"auth.change_password", "auth.logout", "auth.set_language", "static"})


def local_target(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default` (no open redirects)."""
    target = target or ""
    # No control characters: a CR/LF cannot go into a Location header, and browsers drop tabs and
    # newlines from URLs ("/\t/evil.example" is "//evil.example" to them).
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in target):
        return default
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc \
            and "\\" not in target:
        return target
    return default


def safe_next(default: str) -> str:
    """The `next` target if it stays on this site, else `default`."""
    return local_target(request.values.get("next"), default)


def _next_to_keep() -> str | None:
    """The `next` a sign-in or sign-up page passes on to the next step (an invitation letter's claim page
    must survive login → register → confirm), or None."""
    return safe_next("") or None


def _login_account() -> str:
    return services.login_throttle_key(request.form.get("login", ""))


def _login_account_and_address() -> str:
    # Per account and address: one address cannot try more than a few passwords on one account.
    return f"{_login_account()}|{get_remote_address()}"


def _form_phone_key() -> str:
    try:
        return "phone:" + normalize_mobile(request.form.get("phone", ""))[:32]
    except InvalidIdentifier:
        return "phone:invalid|" + get_remote_address()


def _session_phone_key(name: str):
    def key() -> str:
        record = session.get(name) or {}
        return "phone:" + str(record.get("phone") or get_remote_address())
    return key


def _too_many_logins() -> str:
    return _("登录尝试过于频繁，请稍后再试。")


def release_write_lock() -> None:
    """End the transaction that loading the signed-in user began, before slow password work.

    On SQLite a POST takes the write lock at its first statement (registry/database.py); scrypt
    inside it would make every other writer wait. Nothing has been written yet, so nothing is lost."""
    db.session.rollback()


@bp.before_app_request
def _require_password_change():
    """An account given a temporary password may open nothing but the change-password page (and logout)."""
    if session.get(MUST_CHANGE_PASSWORD) and request.endpoint not in _OPEN_WHILE_PASSWORD_MUST_CHANGE:
        if current_user.is_authenticated:
            flash(_("管理员为您设置了临时密码。请先设置您自己的新密码。"), "info")
            return redirect(url_for("auth.change_password"))
        session.pop(MUST_CHANGE_PASSWORD, None)
    return None


def _log_in(user: User) -> None:
    login_user(user)
    # Checked on every request from the session, so enforcing it costs no query.
    if user.must_change_password:
        session[MUST_CHANGE_PASSWORD] = True
    else:
        session.pop(MUST_CHANGE_PASSWORD, None)


def _home(user: User) -> str:
    """Where an account lands after signing in: staff and administrators on the staff dashboard (the
    administrators' pages are linked from there), shop owners on their shops."""
    return url_for("moderation.dashboard") if user.is_staff else url_for("shop_desk.my_shops")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT_ACCOUNT_AND_ADDRESS, key_func=_login_account_and_address, methods=["POST"],
               error_message=_too_many_logins)
@limiter.limit(LOGIN_LIMIT_ACCOUNT, key_func=_login_account, methods=["POST"], error_message=_too_many_logins)
@limiter.limit(LOGIN_LIMIT_ADDRESS, methods=["POST"], error_message=_too_many_logins)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(_home(current_user)))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.account_for_login(form.login.data)
        stored_hash = user.password_hash if user is not None else None
        release_write_lock()
        if services.password_is_right(stored_hash, form.password.data):
            _log_in(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(_home(user)))
        form.password.errors.append(_("手机号/邮箱或密码不正确。"))
    return render_template("auth/login.html", form=form, next=_next_to_keep())


# --- Registration: name and phone → SMS code → password -----------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@limiter.limit("5 per hour", key_func=_form_phone_key, methods=["POST"],
               error_message=lambda: _("这个手机号获取验证码过于频繁，请一小时后再试。"))
def register():
    if current_user.is_authenticated:
        return redirect(safe_next(_home(current_user)))
    pending = session.get(PENDING_REGISTRATION) or {}
    form = RegisterForm(data={"display_name": pending.get("name"), "phone": pending.get("phone")})
    then = _next_to_keep() or pending.get("next")
    if form.validate_on_submit():
        try:
            phone = services.start_registration(form.phone.data)
        except TooSoon as error:
            phone = normalize_mobile(form.phone.data)  # a code is already on its way: go and type it
            flash(error.message, "info")
        except DomainError as error:
            show_form_error(form, error)
            return render_template("auth/register.html", form=form, next=then)
        else:
            db.session.commit()  # the code is stored; only now is the SMS handed to the gateway
            if undelivered_in_last_commit(phone):
                # The gateway refused it: say so here rather than send them to wait for a code that never
                # comes (a new request is allowed at once, the resend wait does not apply).
                form.phone.errors.append(_("短信发送失败，请稍后再试。"))
                return render_template("auth/register.html", form=form, next=then)
        # Where to go once signed up (the claim page of an invitation letter) rides in the session.
        session[PENDING_REGISTRATION] = {"phone": phone, "name": " ".join(form.display_name.data.split()),
                                         "at": utcnow().isoformat(), "next": then}
        return redirect(url_for("auth.register_confirm"))
    if form.is_submitted() and form.phone.data and not form.phone.errors:
        # The name was missing: say now, too, whether the number will do (nothing is sent).
        try:
            services.check_registration_phone(form.phone.data)
        except DomainError as error:
            show_form_error(form, error)
    return render_template("auth/register.html", form=form, next=then)


def _pending_registration() -> dict | None:
    pending = session.get(PENDING_REGISTRATION)
    if not pending or utcnow() - datetime.fromisoformat(pending["at"]) > CODE_LIFETIME + timedelta(minutes=20):
        return None
    return pending


@bp.route("/register/confirm", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
@limiter.limit("10 per hour", key_func=_session_phone_key(PENDING_REGISTRATION), methods=["POST"])
def register_confirm():
    if current_user.is_authenticated:
        return redirect(_home(current_user))
    pending = _pending_registration()
    if pending is None:
        flash(_("请先填写姓名和手机号，获取短信验证码。"), "info")
        return redirect(url_for("auth.register"))
    form = RegisterConfirmForm()
    if form.validate_on_submit():
        def signed_up(user: User) -> None:
            session.pop(PENDING_REGISTRATION, None)
            _log_in(user)

        # Checked again: the session only ever holds what local_target let through, but it is read back here.
        then = local_target(pending.get("next"), "")
        # A wrong code is counted even though a refusal is rolled back (see messaging.verification).
        saved = save_form(form, lambda: services.complete_registration(pending["phone"], form.code.data,
                                                                         pending["name"], form.password.data),
                          after=signed_up,
                          done=_("注册成功。") if then else _("注册成功。下一步：登记您的店铺。"),
                          then=then or url_for("merchants.new_shop"))
        if saved:
            return saved
    elif form.is_submitted():
        # The form's own checks failed (say, the passwords differ): the password rules and the code are
        # checked as well, so one submit names every problem.
        show_field_errors(form, services.registration_problems(pending["phone"], form.code.data, pending["name"],
                                                               form.password.data))
    return render_template("auth/register_confirm.html", form=form, masked_phone=mask_mobile(pending["phone"]))


# --- Passwords ---------------------------------------------------------------------------------------------


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", key_func=lambda: "user:" + str(session.get("_user_id", "")).partition(":")[0],
               methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        stored_hash, login = user.password_hash, user.login
        release_write_lock()

        def change() -> None:
            new = services.verify_password_change(stored_hash, login, form.current_password.data, form.password.data)
            services.change_password(user, new, stored_hash)

        # Every other session ended with the old session version; this one goes on (after=).
        saved = save_form(form, change, after=lambda _none: _log_in(user),
                          done=_("密码已修改。其他设备上的登录已全部退出。"), then=lambda _none: _home(user))
        if saved:
            return saved
    return render_template("auth/change_password.html", form=form,
                           must_change=bool(session.get(MUST_CHANGE_PASSWORD)))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@limiter.limit("5 per hour", key_func=_form_phone_key, methods=["POST"],
               error_message=lambda: _("这个手机号获取验证码过于频繁，请一小时后再试。"))
def forgot_password():
    if current_user.is_authenticated:
        return redirect(url_for("auth.change_password"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        def remember(phone: str) -> None:
            session[RESET_PHONE] = {"phone": phone, "at": utcnow().isoformat()}

        saved = save_form(form, lambda: services.request_password_reset(form.phone.data), after=remember,
                          then=url_for("auth.reset_password"))
        if saved:
            return saved
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
@limiter.limit("10 per hour", key_func=_session_phone_key(RESET_PHONE), methods=["POST"])
def reset_password():
    record = session.get(RESET_PHONE)
    if not record or utcnow() - datetime.fromisoformat(record["at"]) > CODE_LIFETIME + timedelta(minutes=20):
        flash(_("请先填写手机号，获取短信验证码。"), "info")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        def signed_out(_none) -> None:
            session.pop(RESET_PHONE, None)
            if current_user.is_authenticated:
                logout_user()

        saved = save_form(form, lambda: services.reset_password_with_code(record["phone"], form.code.data,
                                                                           form.password.data),
                          after=signed_out, done=_("密码已重设，所有设备上的登录都已退出。请用新密码登录。"),
                          then=url_for("auth.login"))
        if saved:
            return saved
    return render_template("auth/reset_password.html", form=form, masked_phone=mask_mobile(record["phone"]))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.end_all_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.pop(MUST_CHANGE_PASSWORD, None)
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("lookup.home"))


@bp.route("/lang/<code>")
def set_language(code: str):
    response = redirect(safe_next(url_for("lookup.home")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=60 * 60 * 24 * 365, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    return response
