"""Issuing, re-issuing and looking up badges."""

from __future__ import annotations

import functools
import secrets
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from registry.audit import services as audit
from registry.auth.models import User
from registry.badges.keys import badge_signing_key
from registry.badges.models import Badge
from registry.badges.offline import sign_badge
from registry.clock import china_date, utcnow
from registry.errors import DomainError
from registry.extensions import db
from registry.merchants.models import Merchant, Standing
from registry.merchants.services import lock_shop, require_owner
from registry.pledges.models import Signature
from registry.pledges.signing import pledge_signed
from registry.web import public_base_url

# No 0/O, 1/I/L: the code is read off a poster and typed on a phone.
VERIFICATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
VERIFICATION_LENGTH = 8


def current_badge(merchant: Merchant) -> Badge | None:
    return db.session.scalar(
        select(Badge).where(Badge.merchant_id == merchant.id, Badge.voided_at.is_(None))
        .order_by(Badge.issued_at.desc()).limit(1)
    )


def _new_serial(merchant: Merchant) -> str:
    # Human-readable and unique: date of issue, shop id and a random tail.
    today = utcnow().strftime("%Y%m%d")
    return f"CX{today}-{merchant.id:06d}-{secrets.token_hex(2).upper()}"


def _new_verification_code() -> str:
    while True:
        code = "".join(secrets.choice(VERIFICATION_ALPHABET) for _ in range(VERIFICATION_LENGTH))
        if db.session.scalar(select(Badge.id).where(Badge.verification_code == code)) is None:
            return code


def issue_badge(merchant: Merchant, actor: User | None) -> Badge:
    """Give a public shop its badge, voiding any earlier one (only one serial is valid at a time)."""
    if merchant.standing == Standing.PENDING.value:
        raise DomainError(_("签署诚信经营倡议书后才能领取诚信码。"))
    lock_shop(merchant)
    now = utcnow()
    old = current_badge(merchant)
    if old is not None:
        old.voided_at = now
        old.void_reason = "reissued"
    badge = Badge(merchant_id=merchant.id, serial=_new_serial(merchant),
                  verification_code=_new_verification_code(), issued_at=now)
    badge.offline_proof = sign_offline_proof(merchant, badge)
    db.session.add(badge)
    db.session.flush()
    if old is not None:
        audit.record("badge.voided", old, actor, serial=old.serial, merchant_id=merchant.id, replaced_by=badge.serial)
    audit.record("badge.issued", badge, actor, serial=badge.serial, merchant_id=merchant.id)
    return badge


NO_PLEDGE_HASH = "0" * 64


def sign_offline_proof(merchant: Merchant, badge: Badge) -> str:
    """The badge's offline proof, signed with the current key over the shop code, the serial, the issue
    date and the hash of the pledge text the shop last signed (badges/offline.py)."""
    pledge_hash = db.session.scalar(
        select(Signature.text_sha256).where(Signature.merchant_id == merchant.id)
        .order_by(Signature.signed_at.desc(), Signature.id.desc()).limit(1))
    return sign_badge(badge_signing_key().private, merchant.public_code, badge.serial,
                      china_date(badge.issued_at), pledge_hash or NO_PLEDGE_HASH)


def sign_missing_proofs() -> int:
    """Sign the live badges issued before proofs existed (their QR gains `v` when next printed)."""
    count = 0
    for badge in db.session.scalars(select(Badge).where(Badge.voided_at.is_(None), Badge.offline_proof.is_(None))):
        badge.offline_proof = sign_offline_proof(badge.merchant, badge)
        count += 1
    db.session.flush()
    return count


def reissue_badge(merchant: Merchant, actor: User) -> Badge:
    """The owner asks for a new badge (lost or copied poster); the old serial stops being valid."""
    require_owner(merchant, actor)
    return issue_badge(merchant, actor)


def ensure_badge(merchant: Merchant, actor: User | None) -> Badge:
    """The shop's current badge, issuing the first one when the shop has none."""
    return current_badge(merchant) or issue_badge(merchant, actor)


def normalize_verification_code(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw or "").upper()
    return "".join(ch for ch in text if ch.isalnum())


def badge_by_verification_code(raw: str) -> Badge | None:
    code = normalize_verification_code(raw)
    if len(code) != VERIFICATION_LENGTH:
        return None
    return db.session.scalar(select(Badge).where(Badge.verification_code == code))


@functools.cache
def _live_badge_code_statement():
    # Built once per process: badge images are fetched (and revalidated) far more often than drawn.
    return (select(Merchant.public_code, Merchant.name, Badge.offline_proof, Badge.verification_code)
            .join(Badge, Badge.merchant_id == Merchant.id)
            .where(Badge.serial == bindparam("serial"), Badge.voided_at.is_(None)))


@dataclass(frozen=True)
class LiveBadge:
    """What a badge picture shows: the URL its QR encodes, the shop's name and the verification code."""

    url: str
    shop_name: str
    code: str


def live_badge(serial: str) -> LiveBadge | None:
    """A valid (not void) badge's picture facts, in one indexed lookup; None for an unknown or void serial."""
    row = db.session.execute(_live_badge_code_statement(), {"serial": serial}).first()
    if row is None:
        return None
    return LiveBadge(qr_target(row.public_code, serial, row.offline_proof), row.name, row.verification_code)


def qr_target(public_code: str, serial: str, proof: str | None = None) -> str:
    """What the QR encodes: the shop's public page, plus the serial so a voided copy is recognised, plus
    the offline proof (`v`) that /verify checks without the database."""
    url = f"{public_base_url()}/m/{public_code}?s={serial}"
    return f"{url}&v={proof}" if proof else url


def badge_url(merchant: Merchant, badge: Badge) -> str:
    return qr_target(merchant.public_code, badge.serial, badge.offline_proof)


@pledge_signed.connect
def _first_badge_on_signing(merchant: Merchant, signature, actor: User | None, **_extra) -> None:
    """A shop that signs gets its badge at once; re-signing keeps the badge it already has."""
    ensure_badge(merchant, actor)
