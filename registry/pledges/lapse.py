"""The daily lapse job (`flask pledge lapse`): write down "lapsed" for shops whose pledge no longer holds.

Pages already show such a shop as lapsed (merchants.standing); this job makes the stored standing
agree, with the reason in the registry's language of record, and records the change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, select

from registry.clock import CHINA, utcnow
from registry.extensions import db
from registry.merchants import standing
from registry.merchants.models import CAUSE_LAPSE, Merchant, Standing
from registry.merchants.services import lock_shop, set_standing
from registry.pledges.models import PledgeVersion, Signature
from registry.pledges.queries import current_version_terms
from registry.pledges.signing import latest_signature, pledge_facts

_JUDGED = (Standing.ACTIVE.value, Standing.WARNED.value)


def lapse_reason_text(lapse: standing.Lapse) -> str:
    """The reason kept on the shop row (in Chinese, the registry's language of record)."""
    with force_locale("zh"):
        if lapse.reason == standing.LAPSE_NOT_RESIGNED:
            return _("未在 %(date)s 前签署第 %(number)d 版倡议书。",
                     date=lapse.since.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"), number=lapse.version_number)
        if lapse.since is None:
            return _("没有有效的签署记录。")
        return _("承诺已于 %(date)s 到期，未续签。", date=lapse.since.astimezone(CHINA).strftime("%Y-%m-%d"))


def _resign_overdue(terms: standing.Terms | None, now: datetime) -> bool:
    return terms is not None and terms.resign_deadline is not None and now > terms.resign_deadline


def _lapse_candidates(now: datetime, terms: standing.Terms | None, after_id: int, limit: int) -> list[int]:
    """Active or warned shops without a signature that still holds (ids above `after_id`, in order).

    A narrowing done in SQL; each candidate is then judged by merchants.standing.
    """
    holds = (Signature.merchant_id == Merchant.id) & (Signature.signed_at <= now) & (Signature.expires_at > now)
    if _resign_overdue(terms, now):
        holds &= Signature.pledge_version_id.in_(
            select(PledgeVersion.id).where(PledgeVersion.number >= terms.version_number))
    return list(db.session.scalars(
        select(Merchant.id)
        .where(Merchant.standing.in_(_JUDGED), Merchant.id > after_id, ~exists().where(holds))
        .order_by(Merchant.id).limit(limit)
    ))


def lapse_shops(now: datetime | None = None, batch_size: int = 500,
                after_batch: Callable[[], None] | None = None) -> int:
    """Write down "lapsed" for active and warned shops whose pledge ran out or was not re-signed in time.

    Suspended and revoked shops are left as they are. Runs daily (`flask pledge lapse`); returns
    how many shops lapsed. `after_batch` (the CLI's commit) runs after each batch, so a long run
    never holds SQLite's write lock for long.
    """
    now = now or utcnow()
    terms = current_version_terms()
    lapsed = 0
    last_id = 0
    while True:
        ids = _lapse_candidates(now, terms, last_id, batch_size)
        if not ids:
            return lapsed
        for merchant_id in ids:
            merchant = db.session.get(Merchant, merchant_id)
            lock_shop(merchant)
            if merchant.standing not in _JUDGED:
                continue  # changed by someone else since it was picked
            # Sanctions are moderation's to end (`flask moderation expire`); the pledge alone decides here.
            outcome = standing.assess(merchant.standing, pledge_facts(latest_signature(merchant)), terms, (), now)
            if outcome.lapse is None:
                continue
            lapse = outcome.lapse
            set_standing(merchant, Standing.LAPSED.value, lapse_reason_text(lapse), None, CAUSE_LAPSE,
                         "expired" if lapse.reason == standing.LAPSE_EXPIRED else "not re-signed", now,
                         since=lapse.since.isoformat() if lapse.since else None, version=lapse.version_number)
            lapsed += 1
        last_id = ids[-1]
        if after_batch is not None:
            after_batch()
