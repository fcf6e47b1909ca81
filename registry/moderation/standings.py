"""The loader in front of merchants.standing: reads a shop's rows (newest signature, current pledge
terms, sanctions) and asks the one standing rule. Every page that shows a standing (QR page, search,
API, open data, the owner's and the staff's shop pages) and moderation's own settling come through here.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from registry.extensions import db
from registry.merchants import standing as rule
from registry.merchants.models import Merchant
from registry.moderation.models import ACTIVE, ENDED, Sanction
from registry.pledges.models import Signature
from registry.pledges.queries import current_version_terms
from registry.pledges.signing import latest_signature, latest_signatures, pledge_facts

LOOK_UP = object()  # "read it from the database" (the default of every optional row below)


@dataclass
class ShopStanding:
    """A shop's standing as pages show it, with the rows that explain it."""

    standing: str
    reason: str  # merchants.standing.BY_*: what explains it
    # The sanction in force behind a warned / suspended / revoked standing (reason, dates).
    sanction: Sanction | None = None
    # Why a lapsed shop lapsed, if it did.
    lapse: rule.Lapse | None = None
    # Marks still shown (visible_until in the future), newest first.
    marks: list[Sanction] = field(default_factory=list)

    @property
    def repaired_at(self) -> datetime | None:
        return last_repair(self.marks)


def last_repair(marks: Sequence[Sanction]) -> datetime | None:
    """When a credit repair last ended one of the marks still shown early (search and the API say so)."""
    return max((s.repaired_at for s in marks if s.repaired_at is not None), default=None)


@functools.cache
def _public_sanctions_statement():
    # Built once per process, run with merchant_id (the QR page's second statement).
    # The shop's statements beside its marks come in the same statement (one row each: one-to-one).
    return (select(Sanction).options(joinedload(Sanction.statement))
            .where(Sanction.merchant_id == bindparam("merchant_id"), Sanction.status.in_((ACTIVE, ENDED))))


def public_sanctions(merchant_id: int) -> list[Sanction]:
    """Every sanction of the shop a standing may need (in force, or ended but still shown), in one query."""
    return list(db.session.scalars(_public_sanctions_statement(), {"merchant_id": merchant_id}))


@functools.cache
def _public_sanctions_of_statement():
    # Built once per process like the one above (a search page asks for its twenty shops' sanctions).
    return (select(Sanction).options(joinedload(Sanction.statement))
            .where(Sanction.merchant_id.in_(bindparam("merchant_ids", expanding=True)),
                   Sanction.status.in_((ACTIVE, ENDED))))


def public_sanctions_of(merchant_ids: Sequence[int]) -> dict[int, list[Sanction]]:
    """public_sanctions for a list of shops, in one query."""
    grouped: dict[int, list[Sanction]] = {i: [] for i in merchant_ids}
    if merchant_ids:
        for sanction in db.session.scalars(_public_sanctions_of_statement(), {"merchant_ids": list(merchant_ids)}):
            grouped[sanction.merchant_id].append(sanction)
    return grouped


def _shop_standing(merchant: Merchant, signature: Signature | None, terms, sanctions: list[Sanction], now: datetime,
                   lifted: Collection[int] = ()) -> tuple[rule.Assessment, ShopStanding]:
    outcome = rule.assess(merchant.standing, pledge_facts(signature), terms, [s.as_facts() for s in sanctions],
                          now, lifted)
    explaining = next((s for s in sanctions if outcome.sanction and s.id == outcome.sanction.id), None)
    marks = sorted((s for s in sanctions if s.visible_at(now)), key=lambda s: (s.starts_at or s.issued_at, s.id),
                   reverse=True)
    return outcome, ShopStanding(outcome.standing, outcome.reason, explaining, outcome.lapse, marks)


def shop_standings(merchants: Sequence[Merchant], now: datetime, *, signatures=LOOK_UP, sanctions=LOOK_UP,
                   terms=LOOK_UP) -> dict[int, ShopStanding]:
    """Each shop's standing at `now`, by shop id: three queries for a whole list, fewer when the
    caller already holds the rows (`signatures`: latest_signatures; `sanctions`: public_sanctions_of;
    `terms`: pledges.queries.current_version_terms)."""
    ids = [m.id for m in merchants]
    signatures = latest_signatures(ids) if signatures is LOOK_UP else signatures
    sanctions = public_sanctions_of(ids) if sanctions is LOOK_UP else sanctions
    terms = current_version_terms() if terms is LOOK_UP else terms
    return {m.id: _shop_standing(m, signatures.get(m.id), terms, sanctions.get(m.id, []), now)[1]
            for m in merchants}


def shop_standing(merchant: Merchant, now: datetime) -> ShopStanding:
    """One shop's standing at `now` (see shop_standings)."""
    return shop_standings([merchant], now)[merchant.id]


def standing_once_lifted(merchant: Merchant, sanctions: list[Sanction], lifted: Collection[int],
                         now: datetime) -> rule.Assessment:
    """For moderation's settling: the standing once the sanctions in `lifted` stop (their rows may
    already say ended); `sanctions`: the shop's sanctions in effect before that."""
    return _shop_standing(merchant, latest_signature(merchant), current_version_terms(), sanctions, now, lifted)[0]
