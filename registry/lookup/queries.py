"""Read-only queries behind the public pages. Nothing here changes data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, select

from registry.badges.models import Badge
from registry.extensions import db
from registry.merchants.identifiers import InvalidIdentifier, normalize_credit_code, validate_credit_code
from registry.merchants.models import Merchant, MerchantNameGram, Standing
from registry.merchants.services import normalize_search_text
from registry.moderation.models import Sanction
from registry.moderation.queries import public_standing
from registry.pledges.models import Signature
from registry.pledges.services import Lapse, latest_signature

MAX_QUERY_LENGTH = 50


@dataclass
class ShopPage:
    merchant: Merchant
    standing: str
    signature: Signature | None
    badge: Badge | None
    scanned_badge: Badge | None  # the badge whose serial was in the scanned URL, if any
    sanction: Sanction | None  # the sanction in force behind a warned / suspended / revoked standing
    marks: list[Sanction]  # warnings, suspensions, revocations and reinstatements still shown
    lapse: Lapse | None = None  # why a lapsed shop lapsed


def shop_page(merchant: Merchant, scanned_serial: str | None) -> ShopPage:
    signature = latest_signature(merchant)
    badge = db.session.scalar(
        select(Badge).where(Badge.merchant_id == merchant.id, Badge.voided_at.is_(None))
        .order_by(Badge.issued_at.desc()).limit(1)
    )
    scanned = None
    if scanned_serial and (badge is None or scanned_serial != badge.serial):
        scanned = db.session.scalar(
            select(Badge).where(Badge.serial == scanned_serial[:24], Badge.merchant_id == merchant.id)
        )
    # Standing with sanctions counted (moderation wraps pledges' standing_and_lapse).
    public = public_standing(merchant, signature)
    return ShopPage(merchant, public.standing, signature, badge, scanned, public.sanction, public.marks, public.lapse)


def public_districts() -> list[str]:
    return list(db.session.scalars(
        select(Merchant.district).where(Merchant.standing != Standing.PENDING.value)
        .group_by(Merchant.district).order_by(Merchant.district)
    ))


def _name_condition(text: str):
    """Shops whose normalised name contains `text`, served from the 1–2 character gram index.

    A 1- or 2-character query is one indexed equality; a longer one must contain every bigram
    of the query, and a final substring check removes shops that have them in another order.
    """
    if len(text) <= 2:
        return Merchant.id.in_(select(MerchantNameGram.merchant_id).where(MerchantNameGram.gram == text))
    bigrams = sorted({text[i:i + 2] for i in range(len(text) - 1)})
    conditions = [
        Merchant.id.in_(select(MerchantNameGram.merchant_id).where(MerchantNameGram.gram == gram))
        for gram in bigrams
    ]
    conditions.append(Merchant.search_name.contains(text, autoescape=True))
    return and_(*conditions)


def search_merchants(query: str, district: str | None, page: int, per_page: int):
    """Public shops matching a name fragment or a credit code, optionally in one district."""
    statement = select(Merchant).where(Merchant.standing != Standing.PENDING.value)
    text = normalize_search_text(query or "")[:MAX_QUERY_LENGTH]
    if text:
        code = normalize_credit_code(text)
        try:
            statement = statement.where(Merchant.credit_code == validate_credit_code(code))
        except InvalidIdentifier:
            if len(code) >= 10 and code.isalnum() and code.isascii():
                # Looks like (part of) a credit code: match its beginning.
                statement = statement.where(Merchant.credit_code.startswith(code, autoescape=True))
            else:
                statement = statement.where(_name_condition(text))
    if district:
        statement = statement.where(Merchant.district == district)
    if text:
        # The exact name first, then names that start with the query, then the rest.
        statement = statement.order_by(case((Merchant.search_name == text, 0),
                                            (Merchant.search_name.startswith(text, autoescape=True), 1), else_=2))
    statement = statement.order_by(Merchant.name, Merchant.id)
    return db.paginate(statement, page=page, per_page=per_page, error_out=False, max_per_page=50)
