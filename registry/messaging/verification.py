"""One-time SMS codes that confirm a consumer's mainland mobile number.

Only an HMAC-SHA256 of each code (keyed with the app's ``SECRET_KEY``) is stored. A code lives
10 minutes, allows 5 wrong tries, and a new one can be requested 60 seconds after the last; a new
code replaces the older ones. Like every service these functions flush and never commit.

Wrong tries are counted even when the caller rolls back. Views catch the DomainError, show it on the
form and end the request without committing (and the app's error handler rolls back), which would
otherwise undo the count and allow unlimited guessing. So a wrong try is written in the caller's
transaction and, if that transaction ends without a commit, written again in a transaction of its
own once the caller's has ended (see ``_reapply_uncommitted_failures``). Call ``confirm_code``
outside savepoints: a wrong try inside a savepoint that is rolled back is not counted.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import unicodedata
import zlib
from collections import Counter
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Index, String, event, select, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.database import UTCDateTime
from registry.clock import utcnow
from registry.errors import DomainError
from registry.extensions import db
from registry.phones import InvalidIdentifier, mask_mobile, validate_mobile
from registry.messaging.catalogue import sms_text
from registry.messaging.outbox import delivery_failed_since, queue_sms

__all__ = [
    "CODE_LENGTH",
    "CODE_LIFETIME",
    "MAX_ATTEMPTS",
    "RESEND_INTERVAL",
    "PhoneVerification",
    "SmsUnavailable",
    "TooSoon",
    "confirm_code",
    "send_code",
]

log = logging.getLogger(__name__)

CODE_LENGTH = 6
CODE_LIFETIME = timedelta(minutes=10)
RESEND_INTERVAL = timedelta(seconds=60)
MAX_ATTEMPTS = 5
_ASCII_DIGITS = frozenset("0123456789")
# Names the PostgreSQL advisory locks that serialise code requests for one phone.
_SEND_LOCK_NAMESPACE = 0x4F54501
_UNCOMMITTED_FAILURES = "registry.messaging.verification.uncommitted_failures"


class PhoneVerification(db.Model):
    __tablename__ = "phone_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    purpose: Mapped[str] = mapped_column(String(32))
    # HMAC-SHA256 (hex) of purpose, phone and code; the code itself is never stored.
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What a confirmed code was used for, counted on the server (the session cookie is the client's and
    # can be replayed): complaints.verification.spend_verification allows one complaint per code, or a few
    # in a row on purpose.
    uses: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_phone_verifications_phone_created", "phone", "created_at"),)

    def __repr__(self) -> str:
        return f"<PhoneVerification {self.id} {mask_mobile(self.phone)} {self.purpose}>"


class TooSoon(DomainError):
    """A new code was asked for before the resend interval passed."""

    status_code = 429


class SmsUnavailable(DomainError):
    """The SMS provider could not take the message."""

    status_code = 503


def _valid_phone(raw: str) -> str:
    try:
        return validate_mobile(raw)
    except InvalidIdentifier as error:
        raise DomainError(error.message, field="phone") from error


def _check_purpose(purpose: str) -> None:
    if not purpose or len(purpose) > 32:
        raise ValueError(f"purpose must be 1-32 characters, got {purpose!r}")


def _code_hashes(phone: str, purpose: str, code: str) -> list[str]:
    """The code's HMAC under SECRET_KEY first, then under each SECRET_KEY_FALLBACKS key (rotation)."""
    keys = [current_app.config["SECRET_KEY"], *(current_app.config.get("SECRET_KEY_FALLBACKS") or [])]
    message = f"phone-verification\x00{purpose}\x00{phone}\x00{code}".encode()
    return [
        hmac.new(key.encode() if isinstance(key, str) else key, message, hashlib.sha256).hexdigest()
        for key in keys
        if key
    ]


def _lock_phone(phone: str) -> None:
    """Serialise code requests for one phone on PostgreSQL (SQLite writers already hold the write lock)."""
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        return
    key = zlib.crc32(phone.encode())
    key = key - (1 << 32) if key >= 1 << 31 else key  # the int4 range pg_advisory_xact_lock takes
    session.execute(text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
                    {"namespace": _SEND_LOCK_NAMESPACE, "key": key})


def send_code(phone: str, purpose: str = "complaint", message: str = "verification_code") -> PhoneVerification:
    """Text a new 6-digit code to `phone` and return its (flushed) record.

    Raises DomainError (field "phone") for an invalid number and TooSoon within 60 seconds of the last
    code sent to that number (unless the SMS provider refused that one). `message` is the catalogue entry
    that carries the code (it takes `code` and `minutes`). The text is queued and leaves
    when the caller commits (registry.messaging.outbox); the caller then tells a refusal
    (``undelivered_in_last_commit``) with SmsUnavailable's message.
    """
    _check_purpose(purpose)
    phone = _valid_phone(phone)
    _lock_phone(phone)
    now = utcnow()

    latest = db.session.scalar(
        select(PhoneVerification)
        .where(PhoneVerification.phone == phone)
        .order_by(PhoneVerification.created_at.desc(), PhoneVerification.id.desc())
        .limit(1)
    )
    if (latest is not None and now < latest.created_at + RESEND_INTERVAL
            and not delivery_failed_since(phone, latest.created_at)):
        seconds = max(1, math.ceil((latest.created_at + RESEND_INTERVAL - now).total_seconds()))
        raise TooSoon(_("验证码已发送，请 %(seconds)d 秒后再试。", seconds=seconds), field="phone")

    # Only the newest code counts: end every older one still open for this phone and purpose.
    older = db.session.scalars(
        select(PhoneVerification).where(
            PhoneVerification.phone == phone,
            PhoneVerification.purpose == purpose,
            PhoneVerification.consumed_at.is_(None),
            PhoneVerification.expires_at > now,
        )
    )
    for verification in older:
        verification.expires_at = now

    code = f"{secrets.randbelow(10 ** CODE_LENGTH):0{CODE_LENGTH}d}"
    verification = PhoneVerification(
        phone=phone,
        purpose=purpose,
        code_hash=_code_hashes(phone, purpose, code)[0],
        created_at=now,
        expires_at=now + CODE_LIFETIME,
        attempts=0,
    )
    db.session.add(verification)
    db.session.flush()

    body = sms_text(message, code=code, minutes=CODE_LIFETIME // timedelta(minutes=1))
    queue_sms(phone, body, purpose, deliver_by=verification.expires_at)
    return verification


def _typed_code(raw: str) -> str:
    """The code as typed, with full-width digits folded to ASCII and spaces removed."""
    return "".join(unicodedata.normalize("NFKC", raw or "").split())


def confirm_code(phone: str, code: str, purpose: str = "complaint", *, use: bool = True) -> PhoneVerification:
    """Accept the newest code sent to `phone` for `purpose`, once, and return its record; raise DomainError otherwise.

    On success the code is marked consumed (in the caller's transaction), unless `use` is False: a form
    refused for another field checks the code too, so one submit names every problem, and a right code
    still works when the form is sent again (a wrong one counts as a try either way). Errors name the
    field they belong to: "phone" for an invalid number, "code" for everything about the code.
    """
    _check_purpose(purpose)
    phone = _valid_phone(phone)
    typed = _typed_code(code)
    if not typed:
        raise DomainError(_("请输入验证码。"), field="code")
    if len(typed) != CODE_LENGTH or not set(typed) <= _ASCII_DIGITS:
        # Cannot be the code, so it is not counted as a try.
        raise DomainError(_("验证码应为 %(length)d 位数字。", length=CODE_LENGTH), field="code")

    verification = db.session.scalar(
        select(PhoneVerification)
        .where(PhoneVerification.phone == phone, PhoneVerification.purpose == purpose)
        .order_by(PhoneVerification.created_at.desc(), PhoneVerification.id.desc())
        .limit(1)
        .with_for_update()
    )
    if verification is None:
        raise DomainError(_("请先获取验证码。"), field="code")
    if verification.consumed_at is not None:
        raise DomainError(_("验证码已使用，请重新获取。"), field="code")
    if verification.attempts >= MAX_ATTEMPTS:
        raise DomainError(_("验证码错误次数过多，请重新获取。"), field="code")
    now = utcnow()
    if now >= verification.expires_at:
        raise DomainError(_("验证码已过期，请重新获取。"), field="code")

    # Compare against every candidate, so the time taken does not depend on which key matched.
    matches = [hmac.compare_digest(candidate, verification.code_hash)
               for candidate in _code_hashes(phone, purpose, typed)]
    if any(matches):
        if use:
            verification.consumed_at = now
            db.session.flush()
        return verification

    _count_failure(verification)
    left = MAX_ATTEMPTS - verification.attempts
    if left <= 0:
        raise DomainError(_("验证码错误次数过多，请重新获取。"), field="code")
    raise DomainError(_("验证码不正确，还可以再试 %(left)d 次。", left=left), field="code")


def _count_failure(verification: PhoneVerification) -> None:
    """Count a wrong try now, and remember it in case the caller's transaction is not committed."""
    verification.attempts += 1
    db.session.flush()
    session = db.session()
    session.info.setdefault(_UNCOMMITTED_FAILURES, Counter())[verification.id] += 1


@event.listens_for(Session, "after_commit")
def _failures_committed(session: Session) -> None:
    # A savepoint's release is not the end of the story; only the outermost commit is.
    if not session.in_nested_transaction():
        session.info.pop(_UNCOMMITTED_FAILURES, None)


@event.listens_for(Session, "after_transaction_end")
def _reapply_uncommitted_failures(session: Session, transaction) -> None:
    """Write wrong tries again, in a transaction of their own, when the caller's was not committed."""
    if transaction.parent is not None:
        return
    failures = session.info.pop(_UNCOMMITTED_FAILURES, None)
    if not failures:
        return
    table = PhoneVerification.__table__
    try:
        # The caller's connection has been given back by now, so on SQLite its write lock is free.
        with session.get_bind(mapper=PhoneVerification).begin() as connection:
            for verification_id, count in failures.items():
                connection.execute(
                    update(table).where(table.c.id == verification_id).values(attempts=table.c.attempts + count)
                )
    except Exception:  # noqa: BLE001 — never turn a caller's rollback into a new error
        log.exception("could not record %d wrong verification code tries", sum(failures.values()))
