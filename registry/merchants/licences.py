"""What the association checked: an officer verifies a shop's business licence, or withdraws that.

A badge on its own proves only a self-declared pledge and a credit code of the right form. When an
officer has seen the licence (on the wall during a visit, or in a photo kept privately with the check)
and confirmed that both its name and its credit code match the registration, the shop's
`licence_verified_on` is set; the QR page, search and the API say so in one line. Every check and every
withdrawal is audited; a new check replaces the one in force (a later visit), a withdrawal clears it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from registry.audit import services as audit
from registry.auth.access import require_district
from registry.auth.models import User
from registry.clock import today_in_china, utcnow
from registry.errors import DomainError
from registry.extensions import db
from registry.merchants.models import LICENCE_METHODS, LICENCE_PHOTO, LicenceCheck, LicencePhoto, Merchant
from registry.merchants.services import lock_shop
from registry.uploads import ProcessedImage, evidence_directory

# A check recorded long after the visit is a memory, not a check.
MAX_BACKDATE_DAYS = 90
MAX_LICENCE_PHOTOS = 2


def licence_directory() -> Path:
    """LICENCE_PHOTO_DIR if set, else a `licences` folder next to the complaint evidence (private)."""
    configured = current_app.config.get("LICENCE_PHOTO_DIR")
    return Path(configured) if configured else evidence_directory() / "licences"


def require_scope(shop: Merchant, officer: User) -> None:
    """Staff covering the shop's district only (auth.access)."""
    require_district(officer, shop.district, _("这家店铺不在您负责的区县。"))


def check_in_force(shop: Merchant) -> LicenceCheck | None:
    return db.session.scalar(select(LicenceCheck).where(LicenceCheck.merchant_id == shop.id,
                                                        LicenceCheck.withdrawn_at.is_(None))
                             .order_by(LicenceCheck.id.desc()).limit(1))


def licence_history(shop: Merchant) -> list[LicenceCheck]:
    return list(db.session.scalars(select(LicenceCheck).where(LicenceCheck.merchant_id == shop.id)
                                   .order_by(LicenceCheck.id.desc())))


def verify_licence(shop: Merchant, officer: User, *, method: str, checked_on: date, name_matches: bool,
                   code_matches: bool, photos: list[ProcessedImage], note: str | None = None) -> LicenceCheck:
    """Record that `officer` saw the shop's licence and that its name and credit code match."""
    require_scope(shop, officer)
    if method not in LICENCE_METHODS:
        raise DomainError(_("请选择核验方式。"), field="method")
    if not (name_matches and code_matches):
        raise DomainError(_("只有营业执照上的名称和统一社会信用代码都与登记信息（%(name)s，%(code)s）一致，才能标记为已核验。"
                            "不一致时请勿核验，可标记店铺以便跟进。", name=shop.name, code=shop.credit_code),
                          field="name_matches")
    today = today_in_china()
    if checked_on > today:
        raise DomainError(_("核验日期不能晚于今天。"), field="checked_on")
    if checked_on < today - timedelta(days=MAX_BACKDATE_DAYS):
        raise DomainError(_("核验日期不能早于 %(days)d 天前；请按最近一次查看执照的日期登记。", days=MAX_BACKDATE_DAYS),
                          field="checked_on")
    if method == LICENCE_PHOTO and not photos:
        raise DomainError(_("请上传营业执照照片。"), field="photos")
    if len(photos) > MAX_LICENCE_PHOTOS:
        raise DomainError(_("最多上传 %(count)d 张照片。", count=MAX_LICENCE_PHOTOS), field="photos")
    lock_shop(shop)
    previous = check_in_force(shop)
    if previous is not None:
        previous.withdrawn_at, previous.withdrawn_by_id = utcnow(), officer.id
        previous.withdraw_reason = "superseded"
    check = LicenceCheck(merchant_id=shop.id, method=method, checked_on=checked_on, officer_id=officer.id,
                         note=(note or "").strip() or None)
    db.session.add(check)
    db.session.flush()
    directory = licence_directory()
    for image in photos:
        db.session.add(LicencePhoto.keep(image, directory, check_id=check.id))
    shop.licence_verified_on = checked_on
    db.session.flush()
    audit.record("licence.verified", check, officer, merchant_id=shop.id, method=method,
                 checked_on=checked_on.isoformat(), photos=len(photos),
                 replaced=previous.id if previous is not None else None)
    return check


def withdraw_licence_check(shop: Merchant, officer: User, reason: str) -> LicenceCheck:
    """Take back the verification in force (a mistake, a licence since cancelled); the reason is kept."""
    require_scope(shop, officer)
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("请写明撤回原因。"), field="reason")
    lock_shop(shop)
    check = check_in_force(shop)
    if check is None:
        raise DomainError(_("这家店铺的营业执照目前没有核验记录。"), field="reason")
    check.withdrawn_at, check.withdrawn_by_id, check.withdraw_reason = utcnow(), officer.id, reason[:200]
    shop.licence_verified_on = None
    db.session.flush()
    audit.record("licence.withdrawn", check, officer, merchant_id=shop.id, reason=check.withdraw_reason)
    return check
