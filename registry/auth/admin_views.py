"""Administrators manage accounts: find users, create staff, change role and district, disable and enable,
and give an account a temporary password."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry.areas.forms import district_choices
from registry.areas.services import load_areas
from registry.audit.labels import ACTION_LABELS
from registry.audit.models import AuditEntry
from registry.audit.presentation import readable_data
from registry.auth import queries, services
from registry.walls import admin_area
from registry.auth.forms import ROLE_LABELS, ActionForm, RoleForm, StaffForm, TemporaryPasswordForm, UserSearchForm
from registry.auth.models import Role, User
from registry.auth.public_views import release_write_lock
from registry.errors import DomainError
from registry.view_helpers import run_action, save_form
from registry.extensions import db
from registry.pagination import page_number

bp = admin_area(Blueprint("user_admin", __name__, url_prefix="/admin/users"))

PAGE_SIZE = 30


def _admin() -> User:
    return current_user._get_current_object()


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _role(value: str | None) -> Role:
    try:
        return Role(value or "")
    except ValueError:
        raise DomainError(_("请选择角色。"), field="role") from None


@bp.route("")
def index():
    form = UserSearchForm(request.args)
    districts = queries.staff_districts()
    form.district.choices = [("", _("全部区县"))] + [(d, d) for d in districts]
    enabled = {"yes": True, "no": False}.get(form.enabled.data or "")
    statement = queries.users_matching(form.q.data or "", form.role.data or None, form.district.data or None, enabled)
    page = page_number()
    users = db.paginate(statement, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template("auth/admin_users.html", form=form, users=users, role_labels=ROLE_LABELS)


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = StaffForm()
    form.district.choices = district_choices(load_areas(), blank=_("全部区县"))
    if form.validate_on_submit():
        release_write_lock()  # create_staff hashes the password first
        saved = save_form(form, lambda: services.create_staff(_admin(), form.login.data, form.password.data,
                                                              form.display_name.data, _role(form.role.data),
                                                              form.district.data),
                          done=lambda user: _("已创建账户“%(name)s”。请把登录名和初始密码告知本人。", name=user.display_name),
                          then=lambda user: url_for(".detail", user_id=user.id))
        if saved:
            return saved
    return render_template("auth/admin_user_form.html", form=form, districts=queries.staff_districts())


def _detail_page(user: User, role_form: RoleForm | None = None, status: int = 200,
                 password_form: TemporaryPasswordForm | None = None):
    if role_form is None:
        role_form = RoleForm(formdata=None, role=user.role, district=user.district)
    role_form.district.choices = district_choices(load_areas(), keep=user.district, blank=_("全部区县"))
    history = db.session.scalars(
        select(AuditEntry).where(AuditEntry.subject_type == "user", AuditEntry.subject_id == user.id)
        .order_by(AuditEntry.id.desc()).limit(20)
    ).all()
    return render_template("auth/admin_user.html", user=user, role_form=role_form, action_form=ActionForm(),
                           password_form=password_form or TemporaryPasswordForm(formdata=None),
                           role_labels=ROLE_LABELS, districts=queries.staff_districts(),
                           history=[(entry, readable_data(entry)) for entry in history], action_labels=ACTION_LABELS,
                           is_self=user.id == _admin().id), status


@bp.route("/<int:user_id>")
def detail(user_id: int):
    return _detail_page(_user(user_id))


@bp.route("/<int:user_id>/role", methods=["POST"])
def change_role(user_id: int):
    user = _user(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        saved = save_form(form, lambda: services.change_role(user, _admin(), _role(form.role.data), form.district.data),
                          done=_("已保存角色和区县。"), then=url_for(".detail", user_id=user.id))
        if saved:
            return saved
    return _detail_page(_user(user_id), form, 400)


def _set_enabled(user_id: int, enabled: bool, done: str):
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        flash(_("页面已过期，请重新提交。"), "error")
        return redirect(url_for(".detail", user_id=user_id))
    return run_action(lambda: services.set_enabled(user, _admin(), enabled), done=done,
                      then=url_for(".detail", user_id=user_id))


@bp.route("/<int:user_id>/disable", methods=["POST"])
def disable(user_id: int):
    return _set_enabled(user_id, False, _("账户已停用，已登录的会话已全部结束。"))


@bp.route("/<int:user_id>/enable", methods=["POST"])
def enable(user_id: int):
    return _set_enabled(user_id, True, _("账户已恢复，可以重新登录。"))


@bp.route("/<int:user_id>/password", methods=["POST"])
def set_temporary_password(user_id: int):
    user = _user(user_id)
    form = TemporaryPasswordForm()
    if form.validate_on_submit():
        login, name = user.login, user.display_name
        release_write_lock()  # from here the password is hashed: read nothing more until the service runs

        def set_temporary() -> None:
            password = services.new_password(form.password.data, login)
            services.set_temporary_password(user, _admin(), password)

        saved = save_form(form, set_temporary,
                          done=_("已为“%(name)s”设置临时密码，其登录已全部退出。请当面或电话告知本人；本人下次登录时必须改成自己的密码。",
                                 name=name),
                          then=url_for(".detail", user_id=user_id))
        if saved:
            return saved
    return _detail_page(_user(user_id), status=400, password_form=form)
