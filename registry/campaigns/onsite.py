"""Door-to-door signing: an officer visiting a shop signs it up on a tablet in the staff area.

The shop is found in the registry, or registered there and then with the owner's details (no owner
account yet: an invitation code, the same one campaign letters carry, lets the owner claim it later).
The owner then confirms the pledge in one of two ways:

* a one-time code texted to the shop's registered mobile phone (messaging.verification, purpose
  "onsite_sign"), typed on the tablet: proof the person in front of the officer holds that phone;
* for an owner without a mobile phone, a photo of the paper 倡议书 they signed, stored privately like
  complaint evidence, which the officer attests (a tick and their name, both recorded).

Either way pledges.signing.sign_on_site records the signature with its method, the officer and the
organisation they act for (the certificate and the QR page name the organisation, never the officer:
staff names are staff data). Every step is audited; services flush and never commit, and a refusal
leaves nothing behind (the paper photo is written to disk only once every check has passed).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from registry.audit import services as audit
from registry.auth.access import covers_district, require_district
from registry.auth.models import User
from registry.campaigns.claims import invitation_validity_days, new_invitation_codes
from registry.campaigns.models import PaperPledgePhoto, ShopInvitation
from registry.clock import utcnow
from registry.errors import DomainError, NotPermitted
from registry.extensions import db
from registry.issuer import issuing_body
from registry.merchants.identifiers import validate_credit_code
from registry.merchants.models import Merchant
from registry.merchants.services import ShopDetails, check_shop_details, register_shop
from registry.messaging.verification import PhoneVerification, confirm_code, send_code
from registry.phones import InvalidIdentifier
from registry.pledges.models import ONSITE_PAPER, ONSITE_SMS, PledgeVersion, Signature
from registry.pledges.signing import sign_on_site
from registry.uploads import ProcessedImage, evidence_directory

CODE_PURPOSE = "onsite_sign"
MAX_NAME = 64


def paper_pledge_directory() -> Path:
    """PAPER_PLEDGE_DIR if set, else a `pledges` folder next to the complaint evidence (private)."""
    configured = current_app.config.get("PAPER_PLEDGE_DIR")
    return Path(configured) if configured else evidence_directory() / "pledges"


def officer_unit(officer: User) -> str:
    """The organisation an officer signs shops up for, as the certificate names it publicly."""
    name = issuing_body().name
    return f"{name}（{officer.district}）" if officer.district else name


def require_shop_scope(merchant: Merchant, officer: User) -> None:
    require_district(officer, merchant.district, _("这家店铺不在您负责的区县。"))


def find_shop(officer: User, raw_credit_code: str) -> Merchant:
    """The registered shop with this credit code, in the officer's district."""
    try:
        code = validate_credit_code(raw_credit_code or "")
    except InvalidIdentifier as error:
        raise DomainError(error.message, field="credit_code") from error
    merchant = db.session.scalar(select(Merchant).where(Merchant.credit_code == code))
    if merchant is None:
        raise DomainError(_("没有找到这个统一社会信用代码的店铺，可以在下方为它登记。"), field="credit_code")
    if not covers_district(officer, merchant.district):
        raise DomainError(_("这家店铺不在您负责的区县。"), field="credit_code")
    return merchant


def register_on_site(officer: User, details: ShopDetails) -> Merchant:
    """Register a shop at its door with the owner's details; it has no owner account yet, so it gets an
    invitation code (campaigns.claims) for the owner to claim it later."""
    if not officer.is_staff:
        raise NotPermitted(_("只有工作人员可以处理。"))
    cleaned, errors = check_shop_details(details)
    if not errors and not covers_district(officer, cleaned.district):
        raise DomainError(_("只能登记您负责的区县的店铺。"), field="district")
    merchant = register_shop(None, details, actor=officer)
    now = utcnow()
    invitation = ShopInvitation(merchant_id=merchant.id, batch_id=None, code=new_invitation_codes(1)[0],
                                created_at=now, expires_at=now + timedelta(days=invitation_validity_days()))
    db.session.add(invitation)
    db.session.flush()
    audit.record("merchant.registered_on_site", merchant, officer, invitation_id=invitation.id)
    return merchant


def open_invitation(merchant: Merchant) -> ShopInvitation | None:
    """The shop's unused invitation while nobody has claimed it (shown to the officer to hand over)."""
    if merchant.owner_id is not None:
        return None
    invitation = db.session.scalar(select(ShopInvitation).where(ShopInvitation.merchant_id == merchant.id))
    return invitation if invitation is not None and invitation.is_usable_at(utcnow()) else None


def send_owner_code(merchant: Merchant, officer: User) -> PhoneVerification:
    """Text the confirmation code to the shop's registered mobile phone (the owner's own, not one typed now)."""
    require_shop_scope(merchant, officer)
    verification = send_code(merchant.contact_phone, CODE_PURPOSE, message="onsite_signing_code")
    audit.record("campaign.onsite_code_sent", merchant, officer)
    return verification


def sign_with_code(merchant: Merchant, version: PledgeVersion, officer: User, code: str, signer_name: str,
                   signer_title: str, accepted_clauses: set[int]) -> Signature:
    """The owner typed the code texted to the shop's phone: sign with method 现场签署 (SMS)."""
    require_shop_scope(merchant, officer)
    confirm_code(merchant.contact_phone, code, CODE_PURPOSE)
    return sign_on_site(merchant, version, officer, ONSITE_SMS, signer_name, signer_title, accepted_clauses,
                        officer_unit(officer))


def sign_with_paper(merchant: Merchant, version: PledgeVersion, officer: User, photo: ProcessedImage | None,
                    attested: bool, attested_name: str, signer_name: str, signer_title: str) -> Signature:
    """The owner signed the paper 倡议书 (every clause of it) in front of the officer, who attests the photo."""
    require_shop_scope(merchant, officer)
    if photo is None:
        raise DomainError(_("请拍摄并上传店主签字后的纸质倡议书照片。"), field="photo")
    if not attested:
        raise DomainError(_("请勾选确认：店主已当面在纸质倡议书上签字，照片是这份倡议书。"), field="attested")
    attested_name = " ".join((attested_name or "").split())
    if not attested_name:
        raise DomainError(_("请填写核实人（您本人）的姓名。"), field="attested_name")
    if len(attested_name) > MAX_NAME:
        raise DomainError(_("最多 %(count)d 个字。", count=MAX_NAME), field="attested_name")
    signature = sign_on_site(merchant, version, officer, ONSITE_PAPER, signer_name, signer_title,
                             {clause.number for clause in version.clauses}, officer_unit(officer))
    # Written last: every check has passed, so a refusal never leaves a photo without a row.
    stored = PaperPledgePhoto.keep(photo, paper_pledge_directory(), signature_id=signature.id,
                                   attested_by_id=officer.id, attested_name=attested_name, attested_at=utcnow())
    db.session.add(stored)
    db.session.flush()
    audit.record("campaign.paper_pledge_attested", signature, officer, merchant_id=merchant.id,
                 photo_sha256=photo.sha256, attested_name=attested_name)
    return signature


def paper_photo_of(signature: Signature) -> PaperPledgePhoto | None:
    return db.session.scalar(select(PaperPledgePhoto).where(PaperPledgePhoto.signature_id == signature.id))
