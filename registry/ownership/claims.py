"""Filing and deciding ownership claims.

Anyone may register a shop under any valid credit code, so the real owner can be locked out by an
earlier registration. They file a claim from their own account: the photo of the business licence
(which names the shop and the code), a mobile number confirmed by SMS code, their name and a
statement. Staff of the shop's district look at the licence and decide: reject (the reason is told
to the claimant) or transfer (the shop moves to the claimant's account, its contact becomes the
verified phone, the badge is re-issued so posters printed by the previous owner say 已作废, and
the previous owner is told by SMS and in their owner area). Services flush and audit, never commit.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from registry.audit import services as audit
from registry.auth.access import require_district
from registry.auth.models import User
from registry.badges.models import Badge
from registry.badges.services import current_badge, issue_badge
from registry.clock import utcnow
from registry.errors import Conflict, DomainError, InvalidTransition
from registry.extensions import db
from registry.issuer import issuing_body
from registry.merchants.identifiers import validate_credit_code
from registry.merchants.models import Merchant, Standing
from registry.merchants.services import lock_shop
from registry.merchants.contacts import shop_sms_phone
from registry.messaging.catalogue import sentence_part, sms_text
from registry.messaging.outbox import queue_sms
from registry.messaging.verification import confirm_code
from registry.ownership.models import CLAIM_PENDING, CLAIM_REJECTED, CLAIM_TRANSFERRED, OwnershipClaim
from registry.personal_data import refuse_personal_data
from registry.phones import InvalidIdentifier, validate_mobile
from registry.uploads import ProcessedImage, evidence_directory

# The purpose of the SMS codes that confirm a claimant's phone (messaging.verification).
VERIFICATION_PURPOSE = "ownership_claim"
MIN_STATEMENT = 10
MAX_STATEMENT = 1000
MAX_NAME = 64
MAX_NOTE = 2000
SMS_PURPOSE = "ownership"


def claim_directory() -> Path:
    """OWNERSHIP_CLAIM_DIR if set, else an `ownership` folder next to the complaint evidence."""
    configured = current_app.config.get("OWNERSHIP_CLAIM_DIR")
    return Path(configured) if configured else evidence_directory() / "ownership"


def shop_by_credit_code(raw: str) -> Merchant:
    """The registered shop a claim is about; refuses a malformed or unregistered code on the field."""
    try:
        code = validate_credit_code(raw)
    except InvalidIdentifier as error:
        raise DomainError(error.message, field="credit_code") from error
    merchant = db.session.scalar(select(Merchant).where(Merchant.credit_code == code))
    if merchant is None:
        raise DomainError(_("这个统一社会信用代码还没有登记过店铺，您可以直接登记。"), field="credit_code")
    return merchant


def valid_phone(raw: str) -> str:
    try:
        return validate_mobile(raw)
    except InvalidIdentifier as error:
        raise DomainError(error.message, field="phone") from error


def file_claim(claimant: User, credit_code: str, name: str, phone: str, code: str, statement: str,
               licence: ProcessedImage | None) -> OwnershipClaim:
    """File a claim to the shop registered under `credit_code`, confirming `phone` with its SMS `code`."""
    merchant = shop_by_credit_code(credit_code)
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("请填写您的姓名。"), field="name")
    if len(name) > MAX_NAME:
        raise DomainError(_("姓名最多 %(count)d 个字。", count=MAX_NAME), field="name")
    phone = valid_phone(phone)
    statement = (statement or "").strip()
    if len(statement) < MIN_STATEMENT:
        raise DomainError(_("请用至少 %(count)d 个字说明情况，例如您何时开始经营这家店铺。", count=MIN_STATEMENT),
                          field="statement")
    if len(statement) > MAX_STATEMENT:
        raise DomainError(_("说明最多 %(count)d 个字。", count=MAX_STATEMENT), field="statement")
    if licence is None:
        raise DomainError(_("请上传营业执照照片。"), field="licence")
    lock_shop(merchant)
    if merchant.owner_id == claimant.id:
        raise InvalidTransition(_("这家店铺已经在您的账户下，无需认领。"), field="credit_code")
    waiting = db.session.scalar(select(OwnershipClaim.id).where(
        OwnershipClaim.merchant_id == merchant.id, OwnershipClaim.status == CLAIM_PENDING,
        (OwnershipClaim.claimant_id == claimant.id) | (OwnershipClaim.phone == phone)))
    if waiting is not None:
        raise Conflict(_("您对这家店铺的认领申请正在核实中，请耐心等待结果短信。"), field="credit_code")
    # The code last: a refusal above must not spend it (the view rolls the whole request back anyway).
    confirm_code(phone, code, VERIFICATION_PURPOSE)
    now = utcnow()
    claim = OwnershipClaim.keep(licence, claim_directory(), merchant_id=merchant.id, claimant_id=claimant.id,
                                claimant_name=name, phone=phone, statement=statement, status=CLAIM_PENDING,
                                filed_at=now, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(claim)
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(_("您对这家店铺的认领申请正在核实中，请耐心等待结果短信。"), field="credit_code") from error
    audit.record("ownership.claim_filed", claim, claimant, merchant_id=merchant.id, credit_code=merchant.credit_code)
    return claim


def _decide(claim: OwnershipClaim, staff: User, expected_version: int) -> Merchant:
    """Scope, the shop locked, the claim read again: of two officers deciding at once, one wins."""
    merchant = claim.merchant
    require_district(staff, merchant.district, _("这家店铺不在您负责的区县。"))
    lock_shop(merchant)
    db.session.refresh(claim)
    if claim.status != CLAIM_PENDING or claim.version != expected_version:
        raise Conflict(_("这件认领申请刚刚已被处理，请刷新页面查看。"))
    return merchant


def _clean_note(value: str | None, field: str, required: str | None) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(required, field=field)
    if len(text) > MAX_NOTE:
        raise DomainError(_("最多 %(count)d 个字。", count=MAX_NOTE), field=field)
    return text


def _save(claim: OwnershipClaim) -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except StaleDataError as error:
        raise Conflict(_("这件认领申请刚刚已被处理，请刷新页面查看。")) from error


def reject_claim(claim: OwnershipClaim, staff: User, reason: str, expected_version: int,
                 internal_note: str = "") -> None:
    """Turn the claim down; `reason` is texted to the claimant (no one's personal data in it)."""
    reason = _clean_note(reason, "reason", _("请填写不予通过的原因，申请人会收到它。"))
    refuse_personal_data(reason, "reason")
    internal_note = _clean_note(internal_note, "internal_note", None)
    merchant = _decide(claim, staff, expected_version)
    claim.status, claim.decided_by_id, claim.decided_at = CLAIM_REJECTED, staff.id, utcnow()
    claim.decision_reason, claim.internal_note = reason, internal_note or None
    _save(claim)
    audit.record("ownership.claim_rejected", claim, staff, merchant_id=merchant.id, reason=reason)
    queue_sms(claim.phone, sms_text("ownership_rejected", shop=merchant.name, reason=sentence_part(reason)), SMS_PURPOSE)


def transfer_shop(claim: OwnershipClaim, staff: User, expected_version: int, internal_note: str = "") -> Badge | None:
    """Uphold the claim: the shop moves to the claimant's account with the verified phone as its
    contact; a public shop's badge is re-issued (the old posters say 已作废); the previous owner is
    told. Other claims waiting on the shop stay pending: staff reject them with their reason."""
    internal_note = _clean_note(internal_note, "internal_note", None)
    merchant = _decide(claim, staff, expected_version)
    if merchant.owner_id == claim.claimant_id:
        raise InvalidTransition(_("这家店铺已经在申请人的账户下。"))
    now = utcnow()
    # The previous owner hears of it where they hear of everything about the shop (merchants/contacts.py).
    previous_owner_id, previous_phone = merchant.owner_id, shop_sms_phone(merchant)
    old = {"owner_id": previous_owner_id, "owner_name": merchant.owner_name, "contact_phone": merchant.contact_phone}
    merchant.owner_id, merchant.owner_name, merchant.contact_phone = claim.claimant_id, claim.claimant_name, claim.phone
    claim.status, claim.decided_by_id, claim.decided_at = CLAIM_TRANSFERRED, staff.id, now
    claim.previous_owner_id, claim.internal_note = previous_owner_id, internal_note or None
    _save(claim)
    audit.record("ownership.transferred", claim, staff, merchant_id=merchant.id, from_owner=previous_owner_id,
                 to_owner=claim.claimant_id)
    audit.record("merchant.updated", merchant, staff, changes={
        field: [value, getattr(merchant, field)] for field, value in old.items()}, reason="ownership transferred")
    badge = None
    if merchant.standing != Standing.PENDING.value and current_badge(merchant) is not None:
        badge = issue_badge(merchant, staff)
    queue_sms(claim.phone, sms_text("ownership_transferred", shop=merchant.name), SMS_PURPOSE)
    if previous_phone and previous_phone != claim.phone:
        queue_sms(previous_phone, sms_text("ownership_moved_away", shop=merchant.name,
                                           phone=issuing_body().phone), SMS_PURPOSE)
    return badge
