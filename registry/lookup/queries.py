"""Read-only queries behind the public pages. Nothing here changes data."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, bindparam, case, func, select, true
from sqlalchemy.orm import aliased, defer, joinedload, lazyload

from registry.badges.models import Badge
from registry.complaints import queries as complaint_queries
from registry.complaints.figures import ShopFigures, in_window
from registry.complaints.models import Complaint, ComplaintEvent, ShopComplaintFigures
from registry.extensions import db
from registry.merchants.identifiers import normalize_credit_code, validate_credit_code
from registry.phones import InvalidIdentifier
from registry.merchants.models import Merchant, MerchantNameGram, Standing
from registry.merchants.services import normalize_search_text
from registry.moderation.models import Sanction
from registry.merchants.standing import PLEDGE_IN_FORCE, Lapse, Terms
from registry.moderation.standings import public_sanctions, shop_standings
from registry.pledges.models import PledgeVersion, Signature
from registry.pledges.queries import PublishedText, published_text

MAX_QUERY_LENGTH = 50


@dataclass
class ShopPage:
    merchant: Merchant
    standing: str
    signature: Signature | None
    pledge: PublishedText | None  # the signed version's title and clauses
    badge: Badge | None
    scanned_badge: Badge | None  # the badge whose serial was in the scanned URL, if not the current one
    sanction: Sanction | None  # the sanction in force behind a warned / suspended / revoked standing
    marks: list[Sanction]  # warnings, suspensions, revocations and reinstatements still shown
    lapse: Lapse | None  # why a lapsed shop lapsed
    figures: ShopFigures  # the last 12 months, stored (complaints.figures)
    complaints: list[Complaint]  # the newest published complaints accepted in the figures' 12 months
    replies: dict[int, list[ComplaintEvent]]  # their public replies (and those of the earlier ones)
    earlier_complaints: list[Complaint]  # the rest of the newest published, accepted before the 12 months

    @property
    def pledge_in_force(self) -> bool:
        """Whether the signed pledge is a promise the shop is held to now (not suspended, revoked, lapsed)."""
        return self.signature is not None and self.standing in PLEDGE_IN_FORCE


@functools.cache
def _shop_page_statement():
    """The QR page's first statement, built once per process: building a statement of this size
    costs more CPU than running it, so it is kept and run with bound parameters (code, serial)."""
    current_badge, scanned = aliased(Badge), aliased(Badge)
    terms = (select(PledgeVersion.id, PledgeVersion.number, PledgeVersion.resign_deadline)
             .where(PledgeVersion.published_at.is_not(None))
             .order_by(PledgeVersion.published_at.desc(), PledgeVersion.number.desc()).limit(1).subquery())
    newest_badge = (select(Badge.id).where(Badge.merchant_id == Merchant.id, Badge.voided_at.is_(None))
                    .order_by(Badge.issued_at.desc(), Badge.id.desc()).limit(1).correlate(Merchant).scalar_subquery())
    newest_signature = (select(Signature.id).where(Signature.merchant_id == Merchant.id)
                        .order_by(Signature.signed_at.desc(), Signature.id.desc()).limit(1)
                        .correlate(Merchant).scalar_subquery())
    return (
        select(Merchant, current_badge, scanned, Signature, ShopComplaintFigures,
               terms.c.id, terms.c.number, terms.c.resign_deadline)
        .select_from(Merchant)
        .outerjoin(current_badge, current_badge.id == newest_badge)
        # The badge of the scanned serial, only when it is not the current one (a void poster).
        .outerjoin(scanned, and_(scanned.merchant_id == Merchant.id, scanned.serial == bindparam("serial"),
                                 scanned.serial != func.coalesce(current_badge.serial, "")))
        .outerjoin(Signature, Signature.id == newest_signature)
        .outerjoin(ShopComplaintFigures, ShopComplaintFigures.merchant_id == Merchant.id)
        .outerjoin(terms, true())
        .where(Merchant.public_code == bindparam("code"), Merchant.standing != Standing.PENDING.value)
        # The signed text is for the certificate page; the version's clauses come from the cache.
        .options(defer(Signature.signed_text), lazyload(Signature.merchant),
                 joinedload(Signature.pledge_version).lazyload(PledgeVersion.clauses))
    )


def load_shop_page(code: str, scanned_serial: str | None, now: datetime) -> ShopPage | None:
    """Everything the QR page shows, in three statements whatever the shop's history (the page
    is what a spike of scans hits): the shop with its current badge, scanned badge, newest
    signature, stored figures and the current pledge terms; its sanctions; its newest public
    complaints with their replies. Pledge clauses come from the per-process cache."""
    if not code or len(code) > 32:
        return None
    row = db.session.execute(_shop_page_statement(),
                             {"code": code.lower(), "serial": (scanned_serial or "")[:24]}).first()
    if row is None:
        return None
    merchant, badge, scanned_badge, signature, stored_figures, version_id, version_number, resign_deadline = row
    terms = Terms(version_id, version_number, resign_deadline) if version_id is not None else None
    public = shop_standings([merchant], now, signatures={merchant.id: signature},
                            sanctions={merchant.id: public_sanctions(merchant.id)}, terms=terms)[merchant.id]
    complaints, replies = complaint_queries.public_complaints_with_replies(merchant.id)
    return ShopPage(merchant, public.standing, signature,
                    published_text(signature.pledge_version) if signature is not None else None,
                    badge, scanned_badge, public.sanction, public.marks, public.lapse,
                    ShopFigures.from_row(stored_figures),
                    [c for c in complaints if in_window(c.decided_at, now)], replies,
                    [c for c in complaints if not in_window(c.decided_at, now)])


DISTRICTS_TTL_SECONDS = 300


def public_districts() -> list[str]:
    """Districts with public shops, for the search form. Listing them reads every shop, and they
    change when a district's first shop signs: each process keeps the list for five minutes."""
    cached = current_app.extensions.get("public_districts")
    if cached is not None and time.monotonic() - cached[0] < DISTRICTS_TTL_SECONDS:
        return cached[1]
    districts = list(db.session.scalars(
        select(Merchant.district).where(Merchant.standing != Standing.PENDING.value)
        .group_by(Merchant.district).order_by(Merchant.district)
    ))
    current_app.extensions["public_districts"] = (time.monotonic(), districts)
    return districts


# Counting every match of a 1-character query at a million shops costs more than the page itself:
# counts stop here (ten pages) and the page says "more than".
COUNT_CAP = 200


@dataclass
class ResultPage:
    """One page of search results; `total` stops at COUNT_CAP (`total_capped` then says so). Results
    that are not counted say how many have been seen up to this page, and whether more follow."""

    items: list[Merchant]
    page: int
    per_page: int
    total: int
    total_capped: bool
    # For results that are not counted: whether a page follows (found by reading one row more).
    more: bool | None = None

    @property
    def pages(self) -> int:
        if self.more is not None:
            return self.page + 1 if self.more else self.page
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


# A bigram found in fewer shops than this is "rare": its shops are few enough to rank exactly.
RARE_GRAM_SHOPS = 2000


def _gram_shops(gram: str, limit: int):
    return select(MerchantNameGram.merchant_id).where(MerchantNameGram.gram == gram).limit(limit)


def _long_name_statement(public, text: str):
    """Shops whose name contains `text` (3 characters or more), without reading every shop that
    shares a common bigram with it.

    Each bigram's shops are counted up to RARE_GRAM_SHOPS (an index range, bounded). When one is
    rarer, its few shops are the candidates and are ranked exactly: the whole name, names starting
    with the query, then the rest. When every bigram is common (便利店, 超市便利), matches are dense:
    the first bigram's index is read in (rank, shop) order, names starting with those two characters
    first, and the walk stops at the page (or the count cap) instead of sorting every match.
    """
    bigrams = list(dict.fromkeys(text[i:i + 2] for i in range(len(text) - 1)))
    counts = {gram: db.session.scalar(select(func.count()).select_from(
        _gram_shops(gram, RARE_GRAM_SHOPS).subquery())) for gram in bigrams}
    rarest = min(bigrams, key=counts.__getitem__)
    contains = Merchant.search_name.contains(text, autoescape=True)
    if counts[rarest] < RARE_GRAM_SHOPS:
        return public.where(Merchant.id.in_(_gram_shops(rarest, RARE_GRAM_SHOPS)), contains).order_by(
            case((Merchant.search_name == text, 0), (Merchant.search_name.startswith(text, autoescape=True), 1),
                 else_=2),
            Merchant.name, Merchant.id), True
    # Not counted: PostgreSQL cannot estimate how many names contain the text, and to count them
    # it would read the whole shop table; the pages are read in index order and stop early.
    return (public.join(MerchantNameGram, and_(MerchantNameGram.merchant_id == Merchant.id,
                                               MerchantNameGram.gram == bigrams[0]))
            .where(contains).order_by(MerchantNameGram.rank, MerchantNameGram.merchant_id)), False


def _search_statement(text: str):
    """The matching public shops in result order, and whether they may be counted (up to COUNT_CAP)."""
    public = select(Merchant).where(Merchant.standing != Standing.PENDING.value)
    if not text:
        return public.order_by(Merchant.id), True
    code = normalize_credit_code(text)
    try:
        return public.where(Merchant.credit_code == validate_credit_code(code)), True
    except InvalidIdentifier:
        pass
    if len(code) >= 10 and code.isalnum() and code.isascii():
        # Looks like (part of) a credit code: match its beginning.
        prefix = Merchant.credit_code.startswith(code, autoescape=True)
        return public.where(prefix).order_by(Merchant.credit_code), True
    if len(text) <= 2:
        # Most Chinese searches: one indexed equality on the gram, read in (rank, shop) order, so
        # the whole name comes first, then names starting with it, then the rest, with no sort.
        return (public.join(MerchantNameGram, and_(MerchantNameGram.merchant_id == Merchant.id,
                                                  MerchantNameGram.gram == text))
                .order_by(MerchantNameGram.rank, MerchantNameGram.merchant_id)), True
    return _long_name_statement(public, text)


def search_merchants(query: str, district: str | None, page: int, per_page: int, *,
                     category: str | None = None, standing: str | None = None) -> ResultPage:
    """Public shops matching a name fragment or a credit code, optionally in one district (and, for
    the API, of one category and one recorded standing)."""
    text = normalize_search_text(query or "")[:MAX_QUERY_LENGTH]
    statement, countable = _search_statement(text)
    if district:
        statement = statement.where(Merchant.district == district)
    if category:
        statement = statement.where(Merchant.category == category)
    if standing:
        statement = statement.where(Merchant.standing == standing)
    per_page = max(1, min(per_page, 50))
    page = max(1, page)
    offset = (page - 1) * per_page
    if not countable:
        # One row more than the page says whether there is a next one; "more than" the rows seen.
        rows = [] if offset >= COUNT_CAP else list(db.session.scalars(statement.limit(per_page + 1).offset(offset)))
        items, more = rows[:per_page], len(rows) > per_page
        return ResultPage(items, page, per_page, offset + len(items), more, more=more)
    # The count walks the matches in result order (for a name query: the gram index, probing each
    # shop), so it stops after COUNT_CAP + 1 whatever the planner thinks of the whole table.
    matches = statement.with_only_columns(Merchant.id).limit(COUNT_CAP + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(matches))
    capped = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    # Pages past the (capped) end are empty rather than a deep OFFSET walk through the index.
    items = [] if offset >= total else list(db.session.scalars(statement.limit(per_page).offset(offset)))
    return ResultPage(items, page, per_page, total, capped)
