"""Telling the shop: a text message for every decision about it, and the notice on its page in the
owner area (sanctions in force, appeal decisions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from registry.clock import utcnow
from registry.extensions import db
from registry.merchants.contacts import shop_sms_phone
from registry.merchants.models import Merchant
from registry.messaging.catalogue import sentence_part, sms_text
from registry.messaging.outbox import queue_sms
from registry.moderation.models import (APPEAL_GRANTED, REINSTATEMENT, REPAIR_OPEN, REVOCATION, SUSPENSION, WARNING,
                                        Appeal, CreditRepair, Sanction)
from registry.moderation.standings import ShopStanding, shop_standing

SMS_PURPOSE = "moderation"
# Appeal decisions stay on the owner's shop page this long.
RECENT_DECISION_DAYS = 90


def _sms_body(merchant: Merchant, event: str, sanction: Sanction | None = None, appeal: Appeal | None = None) -> str:
    # Texts to shops are in Chinese whatever language the officer's screen is in (sms_text's default).
    shop = merchant.name
    if event == WARNING:
        return sms_text("sanction_warning", shop=shop, reason=sentence_part(sanction.public_reason))
    if event == SUSPENSION and sanction.until_rectified:
        return sms_text("sanction_suspended_until_rectified", shop=shop, reason=sentence_part(sanction.public_reason))
    if event == SUSPENSION:
        return sms_text("sanction_suspended", shop=shop, date=sanction.last_day.isoformat(),
                        reason=sentence_part(sanction.public_reason))
    if event == REVOCATION:
        return sms_text("sanction_revoked", shop=shop, reason=sentence_part(sanction.public_reason))
    if event == REINSTATEMENT:
        return sms_text("sanction_reinstated", shop=shop)
    if event == "lifted_lapsed":
        return sms_text("sanction_lifted_lapsed", shop=shop)
    if event == "lifted":
        return sms_text("sanction_lifted", shop=shop)
    if event == APPEAL_GRANTED:
        return sms_text("appeal_granted", shop=shop, note=appeal.decision_note)
    return sms_text("appeal_upheld", shop=shop, note=appeal.decision_note)


def tell_shop(merchant: Merchant, event: str, sanction: Sanction | None = None, appeal: Appeal | None = None) -> None:
    """Text the shop (its owner's verified phone, else its contact phone: merchants.contacts) once the
    decision is committed. A failed SMS never undoes the decision: the owner also sees it on the shop's
    page; `flask messaging deliver` tries again."""
    phone = shop_sms_phone(merchant)
    if phone is not None:
        queue_sms(phone, _sms_body(merchant, event, sanction, appeal), SMS_PURPOSE)


@dataclass
class OwnerNotice:
    """The moderation notice on the owner's shop page."""

    standing: ShopStanding
    in_force: list[Sanction]
    appeals: dict[int, Appeal]
    recent_decisions: list[Appeal]
    # Every mark the public is shown (in force or ended): the shop may write a statement beside it
    # and, after the minimum period, apply for credit repair.
    shown: list[Sanction] = field(default_factory=list)
    # The newest credit repair application of each sanction, by sanction id.
    repairs: dict[int, CreditRepair] = field(default_factory=dict)
    recent_repairs: list[CreditRepair] = field(default_factory=list)


def owner_notice(merchant: Merchant, now: datetime | None = None) -> OwnerNotice:
    """The shop's standing as consumers see it, each sanction in force and recent appeal decisions."""
    now = now or utcnow()
    shown = shop_standing(merchant, now)
    appeals = list(db.session.scalars(select(Appeal).where(Appeal.merchant_id == merchant.id)
                                      .order_by(Appeal.submitted_at.desc())))
    in_force = sorted((s for s in shown.marks if s.in_force_at(now)), key=lambda s: (s.starts_at or s.issued_at),
                      reverse=True)
    recent = [a for a in appeals
              if a.decided_at is not None and a.decided_at > now - timedelta(days=RECENT_DECISION_DAYS)]
    newest: dict[int, CreditRepair] = {}
    for repair in db.session.scalars(select(CreditRepair).where(CreditRepair.merchant_id == merchant.id)
                                     .order_by(CreditRepair.submitted_at, CreditRepair.id)):
        newest[repair.sanction_id] = repair
    recent_repairs = [r for r in newest.values() if r.status not in REPAIR_OPEN and r.decided_at is not None
                      and r.decided_at > now - timedelta(days=RECENT_DECISION_DAYS)]
    marks = [s for s in shown.marks if s.is_negative]
    return OwnerNotice(shown, in_force, {a.sanction_id: a for a in appeals}, recent, marks, newest, recent_repairs)
