"""Telling the shop: a text message for every decision about it, and the notice on its page in the
owner area (sanctions in force, appeal decisions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from registry.clock import utcnow
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.messaging.outbox import queue_sms
from registry.moderation.models import (APPEAL_GRANTED, REINSTATEMENT, REPAIR_OPEN, REVOCATION, SUSPENSION, WARNING,
                                        Appeal, CreditRepair, Sanction)
from registry.moderation.standings import ShopStanding, shop_standing

SMS_PURPOSE = "moderation"
# Appeal decisions stay on the owner's shop page this long.
RECENT_DECISION_DAYS = 90


def _sms_body(merchant: Merchant, event: str, sanction: Sanction | None = None, appeal: Appeal | None = None) -> str:
    # Texts to shops are in Chinese whatever language the officer's screen is in.
    with force_locale("zh"):
        shop = merchant.name
        if event == WARNING:
            text = _("您的店铺“%(shop)s”被公开警示，原因：%(reason)s。请登录诚信码查看详情，如有异议可在线申诉一次。",
                     shop=shop, reason=sanction.public_reason)
        elif event == SUSPENSION and sanction.until_rectified:
            text = _("您的店铺“%(shop)s”的诚信码已被暂停，整改后恢复，原因：%(reason)s。请登录诚信码查看详情，如有异议可在线申诉一次。",
                     shop=shop, reason=sanction.public_reason)
        elif event == SUSPENSION:
            text = _("您的店铺“%(shop)s”的诚信码已被暂停至 %(date)s，原因：%(reason)s。请登录诚信码查看详情，如有异议可在线申诉一次。",
                     shop=shop, date=sanction.last_day.isoformat(), reason=sanction.public_reason)
        elif event == REVOCATION:
            text = _("您的店铺“%(shop)s”的诚信承诺已被撤销，原因：%(reason)s。请登录诚信码查看详情，如有异议可在线申诉一次。",
                     shop=shop, reason=sanction.public_reason)
        elif event == REINSTATEMENT:
            text = _("您的店铺“%(shop)s”已整改恢复。请登录诚信码重新签署现行诚信经营倡议书，签署后诚信码即恢复有效。", shop=shop)
        elif event == "lifted_lapsed":
            text = _("您的店铺“%(shop)s”的处理期限已结束。承诺已过期，请登录诚信码重新签署倡议书。", shop=shop)
        elif event == "lifted":
            text = _("您的店铺“%(shop)s”的处理期限已结束，诚信码已恢复。", shop=shop)
        elif event == APPEAL_GRANTED:
            text = _("您对店铺“%(shop)s”处理决定的申诉成立，该处理已撤销。说明：%(note)s", shop=shop,
                     note=appeal.decision_note)
        else:
            text = _("您对店铺“%(shop)s”处理决定的申诉未获支持，维持原决定。说明：%(note)s", shop=shop,
                     note=appeal.decision_note)
        return _("【诚信码】") + text


def tell_shop(merchant: Merchant, event: str, sanction: Sanction | None = None, appeal: Appeal | None = None) -> None:
    """Text the shop's contact phone once the decision is committed. A failed SMS never undoes the
    decision: the owner also sees it on the shop's page; `flask messaging deliver` tries again."""
    queue_sms(merchant.contact_phone, _sms_body(merchant, event, sanction, appeal), SMS_PURPOSE)


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
