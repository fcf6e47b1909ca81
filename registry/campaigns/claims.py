"""Invitation codes printed on the letters, and a shop owner claiming an imported shop with one."""

from __future__ import annotations

import hmac
import secrets
import unicodedata

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from registry.audit import services as audit
from registry.auth.models import User
from registry.campaigns.models import ImportBatch, ShopInvitation
from registry.clock import utcnow
from registry.errors import Conflict, DomainError
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.merchants.services import lock_shop
from registry.clock import CHINA
from registry.web import public_base_url


# Printed on a letter and typed on a phone: no 0/O, 1/I/L. 31⁸ ≈ 8.5 × 10¹¹ codes.
INVITATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INVITATION_LENGTH = 8
INVITATION_VALIDITY_DAYS = 90
# Ids per IN (...) list: long lists are read in parts.
IN_LIST_CHUNK = 500


def invitation_validity_days() -> int:
    return int(current_app.config.get("INVITATION_VALIDITY_DAYS", INVITATION_VALIDITY_DAYS))


def _random_code() -> str:
    return "".join(secrets.choice(INVITATION_ALPHABET) for _ in range(INVITATION_LENGTH))


def new_invitation_codes(count: int) -> list[str]:
    """`count` distinct codes that no invitation uses yet."""
    codes: set[str] = set()
    while len(codes) < count:
        fresh = {_random_code() for _ in range(count - len(codes))} - codes
        taken = set()
        ordered = sorted(fresh)
        for start in range(0, len(ordered), IN_LIST_CHUNK):
            taken |= set(db.session.scalars(
                select(ShopInvitation.code).where(ShopInvitation.code.in_(ordered[start:start + IN_LIST_CHUNK]))))
        codes |= fresh - taken
    return list(codes)


def invitations_of(batch: ImportBatch, limit: int | None = None) -> list[ShopInvitation]:
    query = (select(ShopInvitation).where(ShopInvitation.batch_id == batch.id).order_by(ShopInvitation.id)
             .options(joinedload(ShopInvitation.merchant)).limit(limit))
    return list(db.session.scalars(query))


def invitation_counts(batch: ImportBatch) -> dict[str, int]:
    """How many of the batch's invitations are waiting, used or expired."""
    now = utcnow()
    rows = db.session.execute(select(ShopInvitation.used_at.is_not(None), ShopInvitation.expires_at > now)
                              .where(ShopInvitation.batch_id == batch.id)).all()
    return {"used": sum(1 for used, _live in rows if used),
            "waiting": sum(1 for used, live in rows if not used and live),
            "expired": sum(1 for used, live in rows if not used and not live)}


# --- Claiming ------------------------------------------------------------------------------------

def normalize_invitation_code(raw: str) -> str:
    """ABCD-EFGH, abcd efgh and full-width ＡＢＣＤ all become ABCDEFGH."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def _wrong_code_or_phone() -> DomainError:
    # One message for both: an unknown code and a known code with the wrong digits look the same.
    return DomainError(_("邀请码或手机号后 4 位不正确。请核对邀请函上的邀请码，并输入登记时留下的联系电话的后 4 位。"),
                       field="code")


def claim_shop(user: User, raw_code: str, raw_phone_last4: str) -> Merchant:
    """Make `user` the owner of the shop the invitation is for; each code works once.

    The second factor is the last four digits of the contact phone staff wrote down at the door: it
    is never printed on the letter or shown publicly, whereas the credit code hangs on the shop wall
    on the business licence (and on the public QR page once the shop signs).
    """
    code = normalize_invitation_code(raw_code)
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", raw_phone_last4 or "") if ch.isascii() and ch.isdigit())
    if len(code) != INVITATION_LENGTH:
        raise DomainError(_("邀请码是 8 位字母和数字，例如 ABCD-EFGH。"), field="code")
    if len(digits) != 4:
        raise DomainError(_("请输入 4 位数字。"), field="phone_last4")
    invitation = db.session.scalar(select(ShopInvitation).where(ShopInvitation.code == code))
    if invitation is None:
        raise _wrong_code_or_phone()
    db.session.refresh(invitation, with_for_update=True)
    merchant = invitation.merchant
    lock_shop(merchant)
    if not hmac.compare_digest(merchant.contact_phone[-4:], digits):
        raise _wrong_code_or_phone()
    if invitation.used_at is not None or merchant.owner_id is not None:
        raise Conflict(_("这个邀请码已经用过了。如果店铺不是您认领的，请联系消费者协会。"), field="code")
    now = utcnow()
    if not invitation.is_usable_at(now):
        raise DomainError(_("这个邀请码已于 %(date)s 过期。请联系消费者协会重新发放。",
                            date=invitation.expires_at.astimezone(CHINA).strftime("%Y-%m-%d")), field="code")
    merchant.owner_id = user.id
    invitation.used_at, invitation.used_by_id = now, user.id
    try:
        with db.session.begin_nested():
            db.session.flush()
    except StaleDataError as error:
        raise Conflict(_("这个邀请码已经用过了。如果店铺不是您认领的，请联系消费者协会。"), field="code") from error
    audit.record("merchant.claimed", merchant, user, invitation_id=invitation.id, batch_id=invitation.batch_id)
    return merchant


def claim_url(invitation: ShopInvitation) -> str:
    return f"{public_base_url()}/my/claim?code={invitation.code}"
