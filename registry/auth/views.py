"""Login, registration, logout and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from registry.auth import services
from registry.auth.forms import LoginForm, RegisterForm
from registry.errors import DomainError
from registry.extensions import db, limiter

bp = Blueprint("auth", __name__)

from registry.i18n import LANGUAGE_COOKIE


def safe_next(default: str) -> str:
    """The `next` target if it stays on this site, else `default` (no open redirects)."""
    target = request.values.get("next", "")
    # No control characters: a CR/LF cannot go into a Location header, and browsers drop tabs and
    # newlines from URLs ("/\t/evil.example" is "//evil.example" to them).
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in target):
        return default
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc \
            and "\\" not in target:
        return target
    return default


def _login_throttle_key() -> str:
    # Per account and address: one attacker cannot lock a shop owner out from everywhere.
    return f"{request.form.get('login', '').strip().lower()}|{get_remote_address()}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("5 per minute", key_func=_login_throttle_key, methods=["POST"],
               error_message=lambda: _("登录尝试过于频繁，请一分钟后再试。"))
def login():
    if current_user.is_authenticated:
        return redirect(url_for("shop_desk.my_shops"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_next(url_for("shop_desk.my_shops")))
        form.password.errors.append(_("手机号/邮箱或密码不正确。"))
    return render_template("auth/login.html", form=form)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("shop_desk.my_shops"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(form.login.data, form.password.data, form.display_name.data)
        except DomainError as error:
            form[error.field or "login"].errors.append(error.message)
        else:
            db.session.commit()
            login_user(user)
            flash(_("注册成功。下一步：登记您的店铺。"), "success")
            return redirect(url_for("merchants.new_shop"))
    return render_template("auth/register.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.end_all_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("lookup.home"))


@bp.route("/lang/<code>")
def set_language(code: str):
    response = redirect(safe_next(url_for("lookup.home")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=60 * 60 * 24 * 365, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    return response
