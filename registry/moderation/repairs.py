"""Credit repair (信用修复): after a minimum period a sanctioned shop applies online with what it put
right and photos of it; an officer grants or refuses (a revoked shop's repair needs a second officer,
like the revocation itself). A granted repair ends the mark early: it stops counting against the shop
at once, and its public listing says "ended early by credit repair on <date>" for a short while
(CREDIT_REPAIR_SHOWN_DAYS) instead of the usual 12 or 36 months.

The minimum period runs from the sanction's start: CREDIT_REPAIR_MIN_MONTHS (6), or
CREDIT_REPAIR_MIN_MONTHS_FOOD (12) for shops that sell food (catering, food, liquor), as SAMR's
rules ask more of food businesses. Services flush and audit, never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from registry.audit import services as audit
from registry.auth.models import User
from registry.clock import add_months, china_date, utcnow
from registry.errors import Conflict, DomainError, InvalidTransition, NotPermitted
from registry.extensions import db
from registry.merchants.models import CAUSE_REPAIRED, Merchant, Standing
from registry.merchants.services import lock_shop, require_owner, set_standing
from registry.merchants.contacts import shop_sms_phone
from registry.messaging.catalogue import sentence_part, sms_text
from registry.messaging.outbox import queue_sms
from registry.moderation.checks import MAX_NOTE, clean_text, require_scope
from registry.moderation.labels import SANCTION_KIND_LABELS
from registry.moderation.models import (ACTIVE, END_APPEAL_GRANTED, END_REPAIRED, ENDED, REPAIR_GRANTED,
                                        REPAIR_OPEN, REPAIR_PENDING, REPAIR_PROPOSED, REPAIR_REFUSED, REVOCATION,
                                        CreditRepair, CreditRepairPhoto, Sanction)
from registry.moderation.sanctions import end_sanction, expire_due, sanctions_in_effect, settle_standing
from registry.personal_data import refuse_personal_data
from registry.uploads import ProcessedImage, evidence_directory

MIN_REPAIR_TEXT = 20
MAX_REPAIR_PHOTOS = 3
# Shops in these categories (merchants.models.CATEGORIES) wait CREDIT_REPAIR_MIN_MONTHS_FOOD.
FOOD_CATEGORIES = ("catering", "food", "liquor")
SMS_PURPOSE = "moderation"


def repair_directory() -> Path:
    """REPAIR_EVIDENCE_DIR if set, else a `repairs` folder next to the complaint evidence."""
    configured = current_app.config.get("REPAIR_EVIDENCE_DIR")
    return Path(configured) if configured else evidence_directory() / "repairs"


def minimum_months(merchant: Merchant) -> int:
    """How long after a sanction starts this shop may apply for repair."""
    config = current_app.config
    if merchant.category in FOOD_CATEGORIES:
        return int(config.get("CREDIT_REPAIR_MIN_MONTHS_FOOD", 12))
    return int(config.get("CREDIT_REPAIR_MIN_MONTHS", 6))


def repairable_from(sanction: Sanction) -> datetime:
    """The first moment the shop may apply to repair `sanction`."""
    return add_months(sanction.starts_at or sanction.issued_at, minimum_months(sanction.merchant))


def open_repair(sanction: Sanction) -> CreditRepair | None:
    return db.session.scalar(select(CreditRepair).where(CreditRepair.sanction_id == sanction.id,
                                                        CreditRepair.status.in_(REPAIR_OPEN)))


def why_not_repairable(sanction: Sanction, now: datetime) -> str | None:
    """Why the shop cannot apply to repair `sanction` now, in words for the shop; None when it can."""
    if not sanction.is_negative or sanction.status not in (ACTIVE, ENDED) or not sanction.visible_at(now):
        return _("这项处理已不再公示，无需信用修复。")
    if sanction.repaired_at is not None:
        return _("这项处理已经信用修复。")
    if sanction.end_reason == END_APPEAL_GRANTED:
        return _("这项处理已因申诉成立而撤销，无需信用修复。")
    start = repairable_from(sanction)
    if now < start:
        return _("处理满 %(months)d 个月后才能申请信用修复（%(date)s 起可以申请）。",
                 months=minimum_months(sanction.merchant), date=china_date(start).isoformat())
    if open_repair(sanction) is not None:
        return _("这项处理已有一份信用修复申请在审核中。")
    return None


def apply_for_repair(sanction: Sanction, owner: User, text: str, photos: list[ProcessedImage]) -> CreditRepair:
    """The shop applies to repair `sanction`, with its rectification statement and up to 3 photos."""
    merchant = sanction.merchant
    require_owner(merchant, owner)
    text = (text or "").strip()
    if len(text) < MIN_REPAIR_TEXT:
        raise DomainError(_("请用至少 %(count)d 个字说明整改情况。", count=MIN_REPAIR_TEXT), field="text")
    if len(text) > MAX_NOTE:
        raise DomainError(_("整改说明最多 %(count)d 个字。", count=MAX_NOTE), field="text")
    if not photos:
        raise DomainError(_("请上传至少 1 张整改证明照片。"), field="photos")
    if len(photos) > MAX_REPAIR_PHOTOS:
        raise DomainError(_("最多上传 %(count)d 张照片。", count=MAX_REPAIR_PHOTOS), field="photos")
    lock_shop(merchant)
    db.session.refresh(sanction)
    now = utcnow()
    refusal = why_not_repairable(sanction, now)
    if refusal is not None:
        raise InvalidTransition(refusal)
    repair = CreditRepair(sanction_id=sanction.id, merchant_id=merchant.id, submitted_by_id=owner.id,
                          submitted_at=now, rectification=text, status=REPAIR_PENDING)
    try:
        with db.session.begin_nested():
            db.session.add(repair)
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(_("这项处理已有一份信用修复申请在审核中。")) from error
    directory = repair_directory()
    for image in photos:
        db.session.add(CreditRepairPhoto.keep(image, directory, repair_id=repair.id, created_at=now))
    db.session.flush()
    audit.record("repair.applied", repair, owner, merchant_id=merchant.id, sanction_id=sanction.id,
                 photos=len(photos))
    return repair


def needs_second_officer(repair: CreditRepair) -> bool:
    """A revocation is lifted by two officers, as it was imposed (SECURITY.md: two-person rule)."""
    return repair.sanction.kind == REVOCATION


def _lock(repair: CreditRepair, staff: User, expected: str | tuple[str, ...] = REPAIR_OPEN) -> Merchant:
    """Scope, the shop row locked, the application read again: a decision taken meanwhile wins."""
    merchant = repair.merchant
    require_scope(merchant, staff)
    lock_shop(merchant)
    db.session.refresh(repair)
    db.session.refresh(repair.sanction)
    if repair.status not in ((expected,) if isinstance(expected, str) else expected):
        raise Conflict(_("这份信用修复申请刚刚已被处理，请刷新页面查看。"))
    return merchant


def _note(note: str) -> str:
    note = clean_text(note, "note", _("请填写处理说明，商家会看到它。"), MAX_NOTE)
    refuse_personal_data(note, "note")  # it travels by SMS and stays on the shop's page
    return note


def grant_repair(repair: CreditRepair, staff: User, note: str, internal_note: str = "") -> CreditRepair:
    """Grant the application: the mark ends now. For a revocation this only proposes the grant; a
    second officer approves it (approve_repair)."""
    note = _note(note)
    internal_note = clean_text(internal_note, "internal_note", None, MAX_NOTE)
    merchant = _lock(repair, staff, REPAIR_PENDING)
    now = utcnow()
    repair.decision_note, repair.internal_note = note, internal_note or None
    if needs_second_officer(repair):
        repair.status, repair.proposed_by_id, repair.proposed_at = REPAIR_PROPOSED, staff.id, now
        db.session.flush()
        audit.record("repair.proposed", repair, staff, merchant_id=merchant.id, sanction_id=repair.sanction_id,
                     note=note)
        return repair
    _carry_out(repair, merchant, staff, now)
    return repair


def approve_repair(repair: CreditRepair, staff: User) -> CreditRepair:
    """The second officer approves a revoked shop's repair; nobody approves their own proposal."""
    if repair.proposed_by_id == staff.id:
        raise NotPermitted(_("不能批准自己提出的信用修复，须由另一位工作人员审批。"))
    merchant = _lock(repair, staff, REPAIR_PROPOSED)
    _carry_out(repair, merchant, staff, utcnow())
    return repair


def refuse_repair(repair: CreditRepair, staff: User, note: str, internal_note: str = "") -> CreditRepair:
    """Refuse the application (or turn a proposed grant down); the reason is told to the shop."""
    note = _note(note)
    internal_note = clean_text(internal_note, "internal_note", None, MAX_NOTE)
    merchant = _lock(repair, staff)
    now = utcnow()
    repair.status, repair.decided_by_id, repair.decided_at = REPAIR_REFUSED, staff.id, now
    repair.decision_note = note
    repair.internal_note = "\n".join(n for n in (repair.internal_note, internal_note) if n) or None
    db.session.flush()
    audit.record("repair.refused", repair, staff, merchant_id=merchant.id, sanction_id=repair.sanction_id, note=note)
    _tell_shop(merchant, sms_text("repair_refused", shop=merchant.name, note=sentence_part(note)))
    return repair


def _carry_out(repair: CreditRepair, merchant: Merchant, staff: User, now: datetime) -> None:
    """End the mark early and write down the standing that follows (merchants.standing decides it)."""
    expire_due(merchant, now)
    sanction = repair.sanction
    in_effect = sanctions_in_effect([merchant.id])[merchant.id]
    was_in_force = sanction.status == ACTIVE
    if was_in_force:
        end_sanction(sanction, now, END_REPAIRED, staff, now)
    sanction.repaired_at = now
    shown_until = now + timedelta(days=int(current_app.config.get("CREDIT_REPAIR_SHOWN_DAYS", 90)))
    sanction.visible_until = min(sanction.visible_until or shown_until, shown_until)
    repair.status, repair.decided_by_id, repair.decided_at = REPAIR_GRANTED, staff.id, now
    db.session.flush()
    audit.record("repair.granted", repair, staff, merchant_id=merchant.id, sanction_id=sanction.id,
                 kind=sanction.kind, ended_in_force=was_in_force, proposed_by=repair.proposed_by_id,
                 shown_until=sanction.visible_until)
    resign = False
    if was_in_force:
        settle_standing(merchant, in_effect, {sanction.id}, staff, CAUSE_REPAIRED, "credit repair granted", now,
                        notify=False)
        if sanction.kind == REVOCATION and merchant.standing == Standing.ACTIVE.value:
            # Like a reinstatement: a shop whose pledge was revoked signs the current one again.
            set_standing(merchant, Standing.LAPSED.value, None, staff, CAUSE_REPAIRED,
                         "credit repair granted; must sign again", now)
        resign = merchant.standing == Standing.LAPSED.value
    if resign:
        body = sms_text("repair_granted_resign", shop=merchant.name)
    else:
        body = sms_text("repair_granted", shop=merchant.name, kind=SANCTION_KIND_LABELS[sanction.kind],
                        date=china_date(now).isoformat())
    _tell_shop(merchant, body)


def _tell_shop(merchant: Merchant, body: str) -> None:
    """Text the owner's verified phone (else the shop's contact phone: merchants/contacts.py)."""
    phone = shop_sms_phone(merchant)
    if phone is not None:
        queue_sms(phone, body, SMS_PURPOSE)

