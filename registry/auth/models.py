"""Accounts: shop owners, staff and administrators."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String, text
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from registry.database import UTCDateTime
from registry.clock import utcnow
from registry.extensions import db


def hash_password(password: str) -> str:
    """The scrypt hash stored for `password` (slow on purpose: call it outside write transactions)."""
    return generate_password_hash(password, method="scrypt")


def password_matches(password_hash: str, password: str) -> bool:
    """Whether `password` is the one `password_hash` was made from (as slow as hashing it)."""
    return check_password_hash(password_hash, password)


class Role(str, enum.Enum):
    MERCHANT = "merchant"
    STAFF = "staff"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A mainland mobile number or an e-mail address, normalised (see auth.services.normalize_login).
    login: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=Role.MERCHANT.value)
    # Staff may be limited to one district (区/县); None means the whole area.
    district: Mapped[str | None] = mapped_column(String(64))
    is_enabled: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # Part of the session identity: bumping it ends every session this user has open.
    session_version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the login phone was confirmed with an SMS code (None: an e-mail login, or never confirmed).
    # Only a confirmed phone may receive a password-reset code.
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an administrator gave the account a temporary password: every page but the
    # change-password page (and logout) sends the account there until it has chosen its own.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=text("false"))

    def check_password(self, password: str) -> bool:
        return password_matches(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to log in inactive users
        return self.is_enabled

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF.value, Role.ADMIN.value)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
