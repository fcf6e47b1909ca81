"""Telling shop owners about their pledge: a new version to re-sign (when it is published) and a
pledge about to lapse (`flask pledge remind`, daily).

Texts go to the owner's verified login phone, else the shop's contact phone (merchants.contacts),
once each (messaging.outbox.queue_sms_once): publishing is done once, and the daily job keys its
warning by the signature, so a second run sends nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from registry.clock import local_date, utcnow
from registry.extensions import db
from registry.merchants.contacts import shop_sms_phone
from registry.merchants.models import Merchant, Standing
from registry.messaging.catalogue import sms_text
from registry.messaging.outbox import queue_sms_once
from registry.pledges.models import PledgeVersion, Signature

SMS_PURPOSE = "pledge_notice"
LAPSE_WARNING = timedelta(days=14)
# Shops whose badge counts now: those suspended or revoked hear from moderation instead.
_TOLD = (Standing.ACTIVE.value, Standing.WARNED.value)


def _latest_signatures(*conditions):
    """(merchant, its newest signature) for shops whose badge counts now, where the signature meets `conditions`."""
    newest = (select(Signature.merchant_id, func.max(Signature.id).label("signature_id"))
              .group_by(Signature.merchant_id).subquery())
    return db.session.execute(
        select(Merchant, Signature).join(newest, newest.c.merchant_id == Merchant.id)
        .join(Signature, Signature.id == newest.c.signature_id)
        .where(Merchant.standing.in_(_TOLD), *conditions).order_by(Merchant.id)).all()


def _tell(merchant: Merchant, key: str, message: str, **params) -> bool:
    phone = shop_sms_phone(merchant)
    if phone is None:
        return False
    body = sms_text(message, shop=merchant.name, **params)
    return queue_sms_once(key, phone, body, SMS_PURPOSE) is not None


def tell_shops_to_resign(version: PledgeVersion) -> int:
    """Text every shop signed on an older text that it must sign `version` by its re-sign deadline."""
    if version.resign_deadline is None:
        return 0  # older signatures stay good: nothing to ask of anyone
    sent = 0
    older = select(PledgeVersion.id).where(PledgeVersion.number < version.number)
    for merchant, _signature in _latest_signatures(Signature.pledge_version_id.in_(older)):
        sent += _tell(merchant, f"pledge:{version.number}:resign:{merchant.id}", "pledge_resign",
                      number=version.number, date=local_date(version.resign_deadline))
    return sent


def warn_lapsing(now: datetime | None = None) -> int:
    """Text the shops whose newest signature expires within 14 days (once per signature)."""
    now = now or utcnow()
    sent = 0
    for merchant, signature in _latest_signatures(Signature.expires_at > now,
                                                  Signature.expires_at <= now + LAPSE_WARNING):
        sent += _tell(merchant, f"pledge-lapse:{signature.id}", "pledge_lapsing",
                      date=local_date(signature.expires_at))
    return sent
