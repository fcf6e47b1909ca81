"""Accounts: registration, authentication, sessions that can be ended server-side."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import select, update

from registry.areas import services as areas
from registry.audit import services as audit
from registry.auth.models import Role, User
from registry.errors import Conflict, DomainError
from registry.extensions import db
from registry.merchants.identifiers import InvalidIdentifier, validate_mobile

MIN_PASSWORD_LENGTH = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_login(raw: str) -> str:
    """A login is a mainland mobile number or an e-mail address; return its canonical form."""
    value = unicodedata.normalize("NFKC", raw or "").strip()
    if "@" in value:
        if not _EMAIL.match(value):
            raise DomainError(_("请输入有效的手机号或电子邮箱。"), field="login")
        return value.lower()
    try:
        return validate_mobile(value)
    except InvalidIdentifier as error:
        raise DomainError(error.message, field="login") from error


def check_password_rules(password: str) -> None:
    """Length is what makes a password strong; we impose no composition rules (NIST 800-63B)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_("密码至少需要 %(count)d 个字符。", count=MIN_PASSWORD_LENGTH), field="password")


def user_by_login(login: str) -> User | None:
    return db.session.scalar(select(User).where(User.login == login))


def create_user(login: str, password: str, display_name: str, role: Role = Role.MERCHANT,
                district: str | None = None) -> User:
    """Create an account; refuses a login that is already taken."""
    login = normalize_login(login)
    check_password_rules(password)
    if user_by_login(login) is not None:
        raise Conflict(_("该手机号或邮箱已注册，请直接登录。"), field="login")
    user = User(login=login, display_name=display_name.strip(), role=role.value, district=_clean_district(district))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(login: str, password: str) -> User | None:
    """The user whose login and password match, or None (same answer for every failure)."""
    try:
        user = user_by_login(normalize_login(login))
    except DomainError:
        user = None
    if user is None or not user.is_enabled or not user.check_password(password):
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every signed session cookie this user holds, on every device."""
    user.session_version += 1
    db.session.flush()


def load_user_from_session(session_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session version, so old cookies stop working."""
    user_id, _sep, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_enabled or user.session_version != int(version):
        return None
    return user


# --- Administrators manage accounts ---------------------------------------------------------------

STAFF_ROLES = (Role.STAFF, Role.ADMIN)


def _clean_district(district: str | None) -> str | None:
    """A staff scope is a district on the managed list (its canonical name), or None for the whole area."""
    if not (district or "").strip():
        return None
    return areas.canonical_district(district)


@areas.district_renamed.connect
def _rename_district(district, old: str, new: str) -> dict[str, int]:
    """Staff limited to a renamed district keep it under its new name (same transaction as the rename)."""
    result = db.session.execute(update(User).where(User.district == old).values(district=new)
                                .execution_options(synchronize_session="fetch"))
    return {"staff": result.rowcount}


def create_staff(actor: User, login: str, password: str, display_name: str, role: Role,
                 district: str | None = None) -> User:
    """An administrator creates a staff or administrator account (they never register themselves)."""
    if role not in STAFF_ROLES:
        raise DomainError(_("请选择工作人员或管理员。"), field="role")
    display_name = " ".join((display_name or "").split())
    if not display_name:
        raise DomainError(_("请填写姓名。"), field="display_name")
    if len(display_name) > 64:
        raise DomainError(_("姓名最多 64 个字符。"), field="display_name")
    user = create_user(login, password, display_name, role, _clean_district(district))
    audit.record("user.created", user, actor, role=user.role, district=user.district, display_name=display_name)
    return user


def change_role(user: User, actor: User, role: Role, district: str | None) -> User:
    """Change what an account may do, and the district a staff account is limited to."""
    district = _clean_district(district) if role in STAFF_ROLES else None
    if user.id == actor.id and role != Role.ADMIN:
        raise DomainError(_("不能取消自己的管理员权限。请让另一位管理员操作。"), field="role")
    old_role, old_district = user.role, user.district
    if (old_role, old_district) == (role.value, district):
        return user
    user.role, user.district = role.value, district
    db.session.flush()
    if old_role != role.value:
        audit.record("user.role_changed", user, actor, old=old_role, new=role.value)
    if old_district != district:
        audit.record("user.district_changed", user, actor, old=old_district, new=district)
    return user


def set_enabled(user: User, actor: User, enabled: bool) -> User:
    """Disable (every open session ends at once) or re-enable an account."""
    if user.id == actor.id and not enabled:
        raise DomainError(_("不能停用自己的账户。请让另一位管理员操作。"))
    if user.is_enabled == enabled:
        return user
    user.is_enabled = enabled
    if not enabled:
        end_all_sessions(user)
    db.session.flush()
    audit.record("user.enabled" if enabled else "user.disabled", user, actor)
    return user
