"""Appeals: a shop appeals a sanction once (with photos); another officer upholds or grants it."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from registry.audit import services as audit
from registry.auth.models import User
from registry.clock import utcnow
from registry.errors import Conflict, DomainError, InvalidTransition, NotPermitted
from registry.extensions import db
from registry.merchants.models import CAUSE_APPEAL_GRANTED
from registry.merchants.services import lock_shop, require_owner
from registry.moderation.checks import MAX_NOTE, clean_text, require_scope
from registry.moderation.models import (ACTIVE, APPEAL_GRANTED, APPEAL_PENDING, APPEAL_UPHELD, END_APPEAL_GRANTED,
                                        Appeal, AppealPhoto, Sanction)
from registry.moderation.notices import tell_shop
from registry.moderation.sanctions import end_sanction, expire_due, sanctions_in_effect, settle_standing
from registry.personal_data import refuse_personal_data
from registry.uploads import ProcessedImage, evidence_directory

MIN_APPEAL_TEXT = 10
MAX_APPEAL_PHOTOS = 3


def appeal_directory() -> Path:
    """APPEAL_EVIDENCE_DIR if set, else an `appeals` folder next to the complaint evidence."""
    configured = current_app.config.get("APPEAL_EVIDENCE_DIR")
    return Path(configured) if configured else evidence_directory() / "appeals"


def can_appeal(sanction: Sanction) -> bool:
    """A sanction in force can be appealed once."""
    return sanction.is_negative and sanction.status == ACTIVE and sanction.appeal is None


def submit_appeal(sanction: Sanction, owner: User, text: str, photos: list[ProcessedImage]) -> Appeal:
    """The shop appeals a sanction once, with its account and up to 3 photos."""
    merchant = sanction.merchant
    require_owner(merchant, owner)
    text = (text or "").strip()
    if len(text) < MIN_APPEAL_TEXT:
        raise DomainError(_("请用至少 %(count)d 个字说明申诉理由。", count=MIN_APPEAL_TEXT), field="text")
    if len(text) > MAX_NOTE:
        raise DomainError(_("申诉理由最多 %(count)d 个字。", count=MAX_NOTE), field="text")
    if len(photos) > MAX_APPEAL_PHOTOS:
        raise DomainError(_("最多上传 %(count)d 张照片。", count=MAX_APPEAL_PHOTOS), field="photos")
    lock_shop(merchant)
    db.session.refresh(sanction)
    if db.session.scalar(select(Appeal.id).where(Appeal.sanction_id == sanction.id)) is not None:
        raise Conflict(_("每项处理决定只能申诉一次，您已经提交过申诉。"))
    if not sanction.is_negative or sanction.status != ACTIVE:
        raise InvalidTransition(_("这项处理决定已不在生效中，无需申诉。"))
    now = utcnow()
    appeal = Appeal(sanction_id=sanction.id, merchant_id=merchant.id, submitted_by_id=owner.id, submitted_at=now,
                    text=text, status=APPEAL_PENDING)
    try:
        with db.session.begin_nested():
            db.session.add(appeal)
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(_("每项处理决定只能申诉一次，您已经提交过申诉。")) from error
    directory = appeal_directory()
    for image in photos:
        db.session.add(AppealPhoto.keep(image, directory, appeal_id=appeal.id, created_at=now))
    db.session.flush()
    audit.record("appeal.submitted", appeal, owner, merchant_id=merchant.id, sanction_id=sanction.id,
                 photos=len(photos))
    return appeal


def can_decide(appeal: Appeal, staff: User) -> bool:
    """Whether `staff` may decide: not the officer who issued (or approved) the sanction."""
    sanction = appeal.sanction
    return appeal.status == APPEAL_PENDING and staff.id not in (sanction.issued_by_id, sanction.approved_by_id)


def decide_appeal(appeal: Appeal, staff: User, grant: bool, note: str, internal_note: str = "") -> None:
    """Another officer decides: upheld (the sanction stays) or granted (ended, standing restored). `note`
    is told to the shop; `internal_note` stays with staff."""
    sanction = appeal.sanction
    merchant = appeal.merchant
    require_scope(merchant, staff)
    if staff.id in (sanction.issued_by_id, sanction.approved_by_id):
        raise NotPermitted(_("申诉须由作出该处理决定以外的工作人员审理。"))
    note = clean_text(note, "note", _("请填写处理说明，商家会看到它。"), MAX_NOTE)
    # The decision travels by SMS and stays on the shop's pages: no one's personal data in it.
    refuse_personal_data(note, "note")
    internal_note = clean_text(internal_note, "internal_note", None, MAX_NOTE)
    lock_shop(merchant)
    db.session.refresh(appeal)
    db.session.refresh(sanction)
    if appeal.status != APPEAL_PENDING:
        raise Conflict(_("这件申诉刚刚已被处理，请刷新页面查看。"))
    now = utcnow()
    expire_due(merchant, now)
    in_effect = sanctions_in_effect([merchant.id])[merchant.id]
    appeal.status = APPEAL_GRANTED if grant else APPEAL_UPHELD
    appeal.decided_by_id, appeal.decided_at, appeal.decision_note = staff.id, now, note
    appeal.internal_note = internal_note or None
    db.session.flush()
    audit.record(f"appeal.{appeal.status}", appeal, staff, merchant_id=merchant.id, sanction_id=sanction.id, note=note)
    if grant:
        if sanction.status == ACTIVE:
            end_sanction(sanction, now, END_APPEAL_GRANTED, staff, now)
            db.session.flush()
            settle_standing(merchant, in_effect, {sanction.id}, staff, CAUSE_APPEAL_GRANTED, "appeal granted", now,
                            notify=False)
        else:
            # It ran out while the appeal waited: only its mark is left, and that goes.
            sanction.end_reason, sanction.visible_until = END_APPEAL_GRANTED, now
            db.session.flush()
    tell_shop(merchant, appeal.status, sanction, appeal)
