"""Signing the pledge: the exact text signed, the signature itself, and the shop's newest signature."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload

from registry.audit import services as audit
from registry.auth.access import require_district
from registry.auth.models import User
from registry.clock import CHINA, utcnow
from registry.errors import Conflict, DomainError, NotPermitted
from registry.extensions import db
from registry.i18n import join_list
from registry.merchants.models import CAUSE_SIGNED, Merchant, Standing
from registry.merchants.services import lock_shop, set_standing
from registry.merchants.standing import PledgeFacts
from registry.phones import mask_name
from registry.pledges.models import ONLINE, ONSITE_PAPER, ONSITE_SMS, PledgeVersion, Signature

_CERTIFICATE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
# The line an on-site signature adds to the signed text (always Chinese: it is what is hashed).
SIGNED_TEXT_METHODS = {ONSITE_SMS: "现场签署（店主手机短信验证码确认）", ONSITE_PAPER: "现场签署（纸质倡议书，工作人员核实）"}

_signals = Namespace()
# Sent inside the signing transaction with sender=merchant, signature=..., actor=...; the badge
# package listens and issues the shop's first badge, so pledges never imports badges.
pledge_signed = _signals.signal("pledge-signed")


def signed_text(merchant: Merchant, version: PledgeVersion, signer_name: str, signer_title: str,
                signed_at: datetime) -> str:
    """The exact text a signature covers; its SHA-256 is printed on the certificate."""
    lines = [f"{version.title}（第 {version.number} 版）", "", version.preamble.strip(), ""]
    lines += [f"{clause.number}. {clause.text.strip()}" for clause in version.clauses]
    local = signed_at.astimezone(CHINA)
    lines += [
        "",
        f"商户名称：{merchant.name}",
        f"统一社会信用代码：{merchant.credit_code}",
        f"签署人：{signer_name}（{signer_title}）",
        f"签署时间：{local.strftime('%Y-%m-%d %H:%M:%S')} (UTC+08:00)",
    ]
    return "\n".join(lines) + "\n"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def latest_signature(merchant: Merchant) -> Signature | None:
    """The shop's newest signature (the one its standing is judged by)."""
    return db.session.scalar(
        select(Signature).where(Signature.merchant_id == merchant.id)
        .order_by(Signature.signed_at.desc(), Signature.id.desc()).limit(1)
    )


def latest_signatures(merchant_ids: list[int]) -> dict[int, Signature]:
    """The newest signature of each shop, in one query (for lists of shops)."""
    latest: dict[int, Signature] = {}
    if not merchant_ids:
        return latest
    for signature in db.session.scalars(
        select(Signature).where(Signature.merchant_id.in_(merchant_ids)).order_by(Signature.signed_at, Signature.id)
        # Lists need dates and the version number, not the signed text or the clauses.
        .options(defer(Signature.signed_text), joinedload(Signature.pledge_version).lazyload(PledgeVersion.clauses))
    ):
        latest[signature.merchant_id] = signature
    return latest


def pledge_facts(signature: Signature | None) -> PledgeFacts | None:
    """What the standing rule needs of a signature (merchants.standing.PledgeFacts)."""
    if signature is None:
        return None
    return PledgeFacts(signature.pledge_version_id, signature.pledge_version.number, signature.signed_at,
                       signature.expires_at)


def can_sign(merchant: Merchant, version: PledgeVersion, now: datetime | None = None) -> bool:
    """A shop signs when it has no valid signature of the current text, or when it nears expiry."""
    now = now or utcnow()
    if merchant.standing in (Standing.SUSPENDED.value, Standing.REVOKED.value):
        return False
    if merchant.standing == Standing.LAPSED.value:
        # Lapsed (expired, not re-signed, or reinstated after a sanction: 信用修复) always re-signs.
        return True
    latest = latest_signature(merchant)
    if latest is None or latest.pledge_version_id != version.id or not latest.is_valid_at(now):
        return True
    window = timedelta(days=current_app.config["PLEDGE_RENEWAL_WINDOW_DAYS"])
    return latest.expires_at - now <= window


def _checked_signer(version: PledgeVersion, signer_name: str, signer_title: str,
                    accepted_clauses: set[int]) -> tuple[str, str]:
    """The signer's name and title, tidied, once every clause of a published version was accepted."""
    if not version.is_published:
        raise DomainError(_("只能签署已发布的倡议书。"))
    missing = [c.number for c in version.clauses if c.number not in accepted_clauses]
    if missing:
        raise DomainError(
            _("请逐条阅读并勾选每一条承诺（还有第 %(numbers)s 条未勾选）。",
              numbers=join_list(missing)),
            field="clauses",
        )
    signer_name, signer_title = " ".join(signer_name.split()), " ".join(signer_title.split())
    if not signer_name:
        raise DomainError(_("请填写签署人姓名。"), field="signer_name")
    if not signer_title:
        raise DomainError(_("请填写签署人职务，例如：店主、法定代表人。"), field="signer_title")
    return signer_name, signer_title


def _record_signature(merchant: Merchant, version: PledgeVersion, actor: User, signer_name: str, signer_title: str,
                      ip_address: str | None, method: str = ONLINE, officer: User | None = None,
                      officer_unit: str | None = None) -> Signature:
    """Store the signature, make the shop active, log it and tell the badges (after every check passed)."""
    lock_shop(merchant)
    now = utcnow()
    if not can_sign(merchant, version, now):
        raise Conflict(_("这家店铺已签署现行倡议书，承诺仍在有效期内。"))

    text = signed_text(merchant, version, signer_name, signer_title, now)
    if method != ONLINE:
        # Part of what the hash covers: how and before whom the owner signed (the organisation, not the officer).
        text += f"签署方式：{SIGNED_TEXT_METHODS[method]}，经办单位：{officer_unit}\n"
    signature = Signature(
        certificate_code="".join(secrets.choice(_CERTIFICATE_ALPHABET) for _ in range(16)),
        merchant_id=merchant.id,
        pledge_version_id=version.id,
        signed_by_id=merchant.owner_id if method != ONLINE else actor.id,
        signer_name=signer_name,
        signer_title=signer_title,
        signed_at=now,
        expires_at=now + timedelta(days=current_app.config["PLEDGE_VALIDITY_DAYS"]),
        signed_text=text,
        text_sha256=sha256_hex(text),
        ip_address=ip_address,
        method=method,
        officer_id=officer.id if officer is not None else None,
        officer_unit=officer_unit,
    )
    db.session.add(signature)
    db.session.flush()
    extra = {} if method == ONLINE else {"method": method, "officer_unit": officer_unit}
    audit.record("pledge.signed" if method == ONLINE else "pledge.signed_on_site", signature, actor,
                 merchant_id=merchant.id, version=version.number, sha256=signature.text_sha256,
                 signer_name=signer_name, signer_title=signer_title, **extra)
    # A warned shop stays warned (its warning still shows); suspended and revoked shops cannot sign.
    if merchant.standing in (Standing.PENDING.value, Standing.LAPSED.value, Standing.ACTIVE.value):
        set_standing(merchant, Standing.ACTIVE.value, None, actor, CAUSE_SIGNED, "pledge signed", now)
    pledge_signed.send(merchant, signature=signature, actor=actor)
    return signature


def sign_pledge(merchant: Merchant, version: PledgeVersion, signer: User, signer_name: str,
                signer_title: str, ip_address: str | None, accepted_clauses: set[int]) -> Signature:
    """Record the owner's signature of `version`, make the shop active and log it in the audit chain."""
    if merchant.owner_id != signer.id:
        raise NotPermitted(_("只有店铺的登记人可以签署承诺。"))
    signer_name, signer_title = _checked_signer(version, signer_name, signer_title, accepted_clauses)
    return _record_signature(merchant, version, signer, signer_name, signer_title, ip_address)


def sign_on_site(merchant: Merchant, version: PledgeVersion, officer: User, method: str, signer_name: str,
                 signer_title: str, accepted_clauses: set[int], officer_unit: str) -> Signature:
    """Record a signature an officer took at the shop's door (the owner's confirmation, by SMS code or an
    attested paper pledge, is checked by the caller, campaigns.onsite); the officer acts, within their
    district, and the organisation they act for is named on the certificate."""
    require_district(officer, merchant.district, _("这家店铺不在您负责的区县。"))
    if method not in (ONSITE_SMS, ONSITE_PAPER):
        raise ValueError(f"not an on-site signing method: {method!r}")
    signer_name, signer_title = _checked_signer(version, signer_name, signer_title, accepted_clauses)
    return _record_signature(merchant, version, officer, signer_name, signer_title, None, method, officer,
                             officer_unit)


def signature_by_certificate_code(code: str) -> Signature | None:
    """The signature behind a certificate link."""
    return db.session.scalar(select(Signature).where(Signature.certificate_code == code))


def shows_signer_in_full(signature: Signature, viewer) -> bool:
    """Whether `viewer` (a user, or an anonymous visitor) may read the signer's full personal name:
    the shop's owner and staff; everyone else sees it masked, the way complaints mask consumers."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return viewer.is_staff or signature.merchant.owner_id == viewer.id


def signer_name_shown(signature: Signature, full: bool) -> str:
    return signature.signer_name if full else mask_name(signature.signer_name)


def signed_text_shown(signature: Signature, full: bool) -> str:
    """The signed text as the page prints it: the signer's line masked unless `full`. Only the exact
    text (owner and staff) hashes to the certificate's SHA-256; the page says so."""
    if full:
        return signature.signed_text
    line = f"签署人：{signature.signer_name}（"
    return signature.signed_text.replace(line, f"签署人：{mask_name(signature.signer_name)}（")
