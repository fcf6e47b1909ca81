"""Accounts: registration, authentication, passwords, sessions that can be ended server-side.

Hashing and checking a password (scrypt) takes ~0.1 s. On SQLite a POST holds the database write lock
from its first statement (registry/database.py), so every function here hashes before its first query,
and the views end the transaction that loading the signed-in user began before they call one.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update

from registry.areas import services as areas
from registry.audit import services as audit
from registry.auth.models import Role, User, hash_password, password_matches
from registry.auth.passwords import check_password_rules
from registry.clock import utcnow
from registry.errors import Conflict, DomainError, InvalidFields
from registry.extensions import db
from registry.phones import InvalidIdentifier, validate_mobile
from registry.messaging.verification import TooSoon, confirm_code, send_code

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REGISTER_PURPOSE = "register"
RESET_PURPOSE = "password_reset"


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


_INVISIBLE_OR_SEPARATOR = re.compile(r"[\s\-_.()+/]")


def login_throttle_key(raw: str) -> str:
    """What the login throttle counts for a typed login: the account every spelling of it reaches, or
    (for text that reaches no account) a folded form, so trivial variants of one text count together."""
    folded = unicodedata.normalize("NFKC", raw or "").casefold()
    folded = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")  # zero-width and the like
    folded = _INVISIBLE_OR_SEPARATOR.sub("", folded)
    # The folded text too: "139.1234.5678" reaches no account, but counts as guessing at 13912345678.
    for candidate in (raw, folded):
        try:
            return "account:" + normalize_login(candidate)
        except DomainError:
            pass
    # Hashed: the key lives in the limiter's storage, and the text may be long or a mistyped password.
    return "text:" + hashlib.sha256(folded.encode()).hexdigest()[:32]


def user_by_login(login: str) -> User | None:
    return db.session.scalar(select(User).where(User.login == login))


@dataclass(frozen=True)
class NewPassword:
    """A password that passed the policy, already hashed (so no write transaction waits for scrypt)."""

    password_hash: str


def new_password(password: str, login: str | None = None) -> NewPassword:
    """Check `password` against the policy for the account `login` and hash it; runs no query."""
    check_password_rules(password or "", login)
    return NewPassword(hash_password(password))


def create_user(login: str, password: str | NewPassword, display_name: str, role: Role = Role.MERCHANT,
                district: str | None = None, phone_verified: bool = False) -> User:
    """Create an account; refuses a login that is already taken."""
    login = normalize_login(login)
    if not isinstance(password, NewPassword):
        password = new_password(password, login)  # before the first query: see the module docstring
    if user_by_login(login) is not None:
        raise Conflict(_("该手机号或邮箱已注册，请直接登录。"), field="login")
    user = User(login=login, display_name=display_name.strip(), role=role.value, district=_clean_district(district),
                password_hash=password.password_hash, phone_verified_at=utcnow() if phone_verified else None)
    db.session.add(user)
    db.session.flush()
    return user


@functools.cache
def _dummy_hash() -> str:
    # Made like every stored hash, so checking it costs the same as checking a real one.
    return hash_password(secrets.token_urlsafe(16))


def account_for_login(login: str) -> User | None:
    """The enabled account a typed login reaches, or None (the first half of authenticate)."""
    try:
        user = user_by_login(normalize_login(login))
    except DomainError:
        return None
    return user if user is not None and user.is_enabled else None


def password_is_right(stored_hash: str | None, password: str) -> bool:
    """Check `password` against an account's stored hash, or against a dummy one when there is no
    account, so both take the same time (the second half of authenticate; runs no query)."""
    if stored_hash is None:
        # Without this an unknown account answers in 5 ms and a wrong password in 100 ms.
        password_matches(_dummy_hash(), password or "")
        return False
    return password_matches(stored_hash, password or "")


def authenticate(login: str, password: str) -> User | None:
    """The user whose login and password match, or None (same answer, and the same time, for every failure).

    The login page calls the two halves itself, to end its read transaction in between."""
    user = account_for_login(login)
    return user if password_is_right(user.password_hash if user else None, password) else None


# --- Passwords: change, reset by SMS, reset by an administrator ------------------------------------


def verify_password_change(stored_hash: str, login: str, current_password: str, password: str) -> NewPassword:
    """Check the current password against `stored_hash` and the new one against the policy, and hash
    the new one. Slow and runs no query: views call it with no transaction open (plain values, so
    nothing is loaded from the database). Raises DomainError naming the field at fault."""
    if not password_matches(stored_hash, current_password or ""):
        raise DomainError(_("当前密码不正确。"), field="current_password")
    if password == current_password:
        raise DomainError(_("新密码不能与当前密码相同。"), field="password")
    return new_password(password, login)


def _set_password(user: User, password: NewPassword) -> None:
    user.password_hash = password.password_hash
    user.must_change_password = False
    end_all_sessions(user)


def change_password(user: User, password: NewPassword, checked_against: str) -> User:
    """Store the user's own new password (from verify_password_change, which checked the current
    one against `checked_against`) and end all their sessions; the view logs the current one in again."""
    if user.password_hash != checked_against:
        raise Conflict(_("密码刚刚在别处被修改过，请重新输入当前密码。"), field="current_password")
    _set_password(user, password)
    audit.record("user.password_changed", user, user)
    return user


def set_temporary_password(user: User, actor: User, password: NewPassword) -> User:
    """An administrator gives an account a temporary password: its sessions end, and it must choose
    its own password at the next login."""
    if user.id == actor.id:
        raise DomainError(_("不能在这里重设自己的密码，请使用“修改密码”。"), field="password")
    _set_password(user, password)
    user.must_change_password = True
    db.session.flush()
    audit.record("user.password_reset", user, actor, method="admin")
    return user


def _valid_phone(raw: str) -> str:
    try:
        return validate_mobile(raw)
    except InvalidIdentifier as error:
        raise DomainError(error.message, field="phone") from error


def _code_refused() -> DomainError:
    # One message for every way a reset code can fail, so it does not tell whether the account exists.
    return DomainError(_("验证码不正确或已失效。请检查短信，或重新获取验证码。"), field="code")


def _resettable_owner(phone: str) -> User | None:
    user = user_by_login(phone)
    if user is None or not user.is_enabled or user.role != Role.MERCHANT.value or user.phone_verified_at is None:
        return None
    return user


def request_password_reset(phone: str) -> str:
    """Text a reset code to `phone` if it is the verified login of an enabled shop owner; answers
    the normalised phone either way (the page says the same thing whether or not an account exists)."""
    phone = _valid_phone(phone)
    if _resettable_owner(phone) is not None:
        try:
            send_code(phone, RESET_PURPOSE)
        except TooSoon:
            pass  # a code is already on its way; saying so would tell that the account exists
    return phone


def reset_password_with_code(phone: str, code: str, password: str) -> User:
    """Set a shop owner's new password once the SMS code sent to their verified phone is confirmed;
    ends every session. The error for a wrong code does not tell whether the account exists."""
    phone = _valid_phone(phone)
    hashed = new_password(password, phone)  # before the first query: see the module docstring
    try:
        confirm_code(phone, code, RESET_PURPOSE)
    except DomainError as error:
        if error.field == "phone":
            raise
        raise _code_refused() from error
    user = _resettable_owner(phone)
    if user is None:  # disabled (or changed) between the code and now
        raise _code_refused()
    _set_password(user, hashed)
    audit.record("user.password_reset", user, user, method="sms")
    return user


# --- Registration: the owner's phone is confirmed before the account exists -------------------------


def check_registration_phone(phone: str) -> str:
    """The normalised phone a new shop owner's account may use; raises DomainError (field "phone") for an
    invalid number, Conflict if an account already uses it. Sends nothing."""
    phone = _valid_phone(phone)
    if user_by_login(phone) is not None:
        raise Conflict(_("该手机号已注册，请直接登录；忘记密码可用短信验证码重设。"), field="phone")
    return phone


def start_registration(phone: str) -> str:
    """Text a code to the phone a shop owner registers with; answers the normalised phone.
    Raises Conflict if an account already uses it, TooSoon within a minute of the last code."""
    phone = check_registration_phone(phone)
    send_code(phone, REGISTER_PURPOSE)
    return phone


def registration_problems(phone: str, code: str, display_name: str, password: str) -> dict[str, str]:
    """Everything wrong with the registration's second step at once, {field: message}: the password against
    the policy, the name, and the code, which is checked but not used up (a wrong one counts as a try)."""
    phone = normalize_login(phone)
    problems: dict[str, str] = {}
    try:
        check_password_rules(password or "", phone)
    except DomainError as error:
        problems[error.field or "password"] = error.message
    if not " ".join((display_name or "").split()):
        problems["display_name"] = _("请填写姓名。")
    if (code or "").strip():
        try:
            confirm_code(phone, code, REGISTER_PURPOSE, use=False)
        except DomainError as error:
            problems[error.field or "code"] = error.message
    return problems


def complete_registration(phone: str, code: str, display_name: str, password: str) -> User:
    """Create the shop owner's account once the code sent to `phone` is confirmed; the phone is
    recorded as verified. A weak password is named with whatever else is wrong (InvalidFields), and
    leaves a right code unused, so the owner corrects the password and sends the form again."""
    phone = normalize_login(phone)
    try:
        hashed = new_password(password, phone)  # before the first query: see the module docstring
    except DomainError:
        raise InvalidFields(registration_problems(phone, code, display_name, password)) from None
    display_name = " ".join((display_name or "").split())
    if not display_name:
        raise DomainError(_("请填写姓名。"), field="display_name")
    confirm_code(phone, code, REGISTER_PURPOSE)
    user = create_user(phone, hashed, display_name, Role.MERCHANT, phone_verified=True)
    audit.record("user.registered", user, user)
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
    # The administrator chose this password and told it to the person: they replace it at first login.
    user.must_change_password = True
    db.session.flush()
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
