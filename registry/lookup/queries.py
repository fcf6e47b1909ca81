"""Read-only queries behind the public pages. Nothing here changes data."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, and_, bindparam, case, func, select, true
from sqlalchemy.orm import aliased, defer, joinedload, lazyload

from registry.badges.models import Badge
from registry.complaints import queries as complaint_queries
from registry.complaints.figures import WINDOW, ShopFigures, in_window
from registry.complaints.models import Complaint, ComplaintEvent, ShopComplaintFigures
from registry.clock import china_date, end_of_china_day
from registry.extensions import db
from registry.merchants.identifiers import normalize_credit_code, validate_credit_code
from registry.phones import InvalidIdentifier
from registry.merchants.models import Merchant, MerchantNameGram, Standing
from registry.merchants.services import normalize_search_text
from registry.moderation.models import Sanction
from registry.merchants.standing import PLEDGE_IN_FORCE, Lapse, Terms
from registry.moderation.standings import ShopStanding, public_sanctions, shop_standings
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
    # The first moment the clock alone changes what the page shows (page_cache serves it until then).
    valid_until: datetime

    @property
    def pledge_in_force(self) -> bool:
        """Whether the signed pledge is a promise the shop is held to now (not suspended, revoked, lapsed)."""
        return self.signature is not None and self.standing in PLEDGE_IN_FORCE


def _newest_signature_id():
    """The id of the shop's newest signature (correlated with Merchant), for joining it in."""
    return (select(Signature.id).where(Signature.merchant_id == Merchant.id)
            .order_by(Signature.signed_at.desc(), Signature.id.desc()).limit(1).correlate(Merchant).scalar_subquery())


# What lists and the QR page need of a signature: dates and the version number, not the signed text or
# the clauses (those come from the per-process cache).
_SIGNATURE_FOR_STANDING = (defer(Signature.signed_text), lazyload(Signature.merchant),
                           joinedload(Signature.pledge_version).lazyload(PledgeVersion.clauses))


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
    newest_signature = _newest_signature_id()
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
        .options(*_SIGNATURE_FOR_STANDING)
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
    sanctions = public_sanctions(merchant.id)
    public = shop_standings([merchant], now, signatures={merchant.id: signature},
                            sanctions={merchant.id: sanctions}, terms=terms)[merchant.id]
    complaints, replies = complaint_queries.public_complaints_with_replies(merchant.id)
    return ShopPage(merchant, public.standing, signature,
                    published_text(signature.pledge_version) if signature is not None else None,
                    badge, scanned_badge, public.sanction, public.marks, public.lapse,
                    ShopFigures.from_row(stored_figures),
                    [c for c in complaints if in_window(c.decided_at, now)], replies,
                    [c for c in complaints if not in_window(c.decided_at, now)],
                    _valid_until(now, signature, terms, sanctions, complaints))


def _valid_until(now: datetime, signature: Signature | None, terms: Terms | None,
                 sanctions: list[Sanction], complaints: list[Complaint]) -> datetime:
    """The first moment after `now` at which the page would read differently with the same rows: a
    time the standing rule or a mark's listing compares with now, a listed complaint leaving the 12
    months, or the next Beijing midnight (dates shown, "已到期", anything counted in days)."""
    moments = [end_of_china_day(china_date(now))]
    if signature is not None:
        moments += [signature.signed_at, signature.expires_at]
    if terms is not None and terms.resign_deadline is not None:
        moments.append(terms.resign_deadline + timedelta(microseconds=1))  # lapsed when now > deadline
    for sanction in sanctions:
        moments += [sanction.starts_at, sanction.ends_at, sanction.visible_until]
    # in_window: counted while decided_at >= now - WINDOW, so listed under the 12 months until just after that.
    moments += [c.decided_at + WINDOW + timedelta(microseconds=1) for c in complaints if c.decided_at is not None]
    return min(moment for moment in moments if moment is not None and moment > now)


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
# counts stop here and the page says "more than"; every page past it is still reachable.
COUNT_CAP = 1000


@dataclass
class ResultPage:
    """One page of search results. `total` stops at COUNT_CAP (`total_capped` then says so); `more`
    says whether a page follows (found by reading one row more than the page)."""

    items: list[Merchant]
    page: int
    per_page: int
    total: int
    total_capped: bool
    more: bool
    # The newest signature of each shop listed, read with the page (what its standing needs).
    signatures: dict[int, Signature] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """The number of pages, or when the count stopped at the cap, as many as are known to exist."""
        counted = max(1, -(-self.total // self.per_page))
        if not self.total_capped:
            return counted
        return max(counted, self.page + 1 if self.more else self.page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.more

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def result_standings(results: ResultPage, now: datetime) -> dict[int, ShopStanding]:
    """The standing of each shop on a page of results (their signatures came with the page)."""
    return shop_standings(results.items, now, signatures=results.signatures)


# A bigram found in fewer shops than this is "rare": its shops are few enough to rank exactly.
RARE_GRAM_SHOPS = 2000

# The order of every name search (ARCHITECTURE.md): the whole name, then names starting with the
# query, then the rest; within each, the shorter name (the closer match), then the older shop.
_GRAM_ORDER = (MerchantNameGram.rank, MerchantNameGram.name_length, MerchantNameGram.merchant_id)


def _listed_gram(gram, district=None):
    """The public shops whose name holds `gram` (in one district if given), straight from a gram index
    (no shop row read)."""
    statement = (select(MerchantNameGram.merchant_id, MerchantNameGram.rank, MerchantNameGram.name_length)
                 .where(MerchantNameGram.gram == gram, MerchantNameGram.listed == true()))
    return statement if district is None else statement.where(MerchantNameGram.district == district)


def _long_name_statement(public, text: str, district: str | None):
    """Shops whose name contains `text` (3 characters or more), without reading every shop that
    shares a common bigram with it.

    Each bigram's shops are counted up to RARE_GRAM_SHOPS (an index range, bounded). When one is
    rarer, its few shops are the candidates and are ranked exactly: the whole name, names starting
    with the query, then the rest, shorter names first. When every bigram is common (便利店, 超市便利),
    matches are dense: the first bigram's index is read in search order (names starting with those two
    characters first, shortest first, so the whole name leads) and the walk stops at the page instead
    of sorting every match.
    """
    bigrams = list(dict.fromkeys(text[i:i + 2] for i in range(len(text) - 1)))
    counts = {gram: db.session.scalar(select(func.count()).select_from(
        _listed_gram(gram, district).limit(RARE_GRAM_SHOPS).subquery())) for gram in bigrams}
    rarest = min(bigrams, key=counts.__getitem__)
    contains = Merchant.search_name.contains(text, autoescape=True)
    if counts[rarest] < RARE_GRAM_SHOPS:
        candidates = _listed_gram(rarest, district).with_only_columns(MerchantNameGram.merchant_id)
        return public.where(Merchant.id.in_(candidates), contains).order_by(
            case((Merchant.search_name == text, 0), (Merchant.search_name.startswith(text, autoescape=True), 1),
                 else_=2),
            func.length(Merchant.search_name), Merchant.name, Merchant.id), True
    # Not counted: PostgreSQL cannot estimate how many names contain the text, and to count them
    # it would read the whole shop table; the pages are read in index order and stop early.
    walk = [MerchantNameGram.merchant_id == Merchant.id, MerchantNameGram.gram == bigrams[0],
            MerchantNameGram.listed == true()]
    if district is not None:
        walk.append(MerchantNameGram.district == district)
    return public.join(MerchantNameGram, and_(*walk)).where(contains).order_by(*_GRAM_ORDER), False


def _search_statement(text: str, district: str | None):
    """The matching public shops in result order, and whether they may be counted (up to COUNT_CAP)."""
    public = select(Merchant).where(Merchant.standing != Standing.PENDING.value)
    if district is not None:
        public = public.where(Merchant.district == district)
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
    return _long_name_statement(public, text, district)


def _with_signatures(statement):
    """`statement` (shops in result order) with each shop's newest signature beside it."""
    return (statement.add_columns(Signature).outerjoin(Signature, Signature.id == _newest_signature_id())
            .options(*_SIGNATURE_FOR_STANDING))


@functools.cache
def _short_name_statement(in_district: bool):
    """One page of a gram's public shops (in one district: `in_district`) with their newest signatures
    and the capped count, in one statement built once per process (building it costs more than running
    it). The page's keys and the count come from one gram index alone (ix_merchant_name_grams_search_order,
    or _district_order), in its order: no sort, no shop row read but the page's, so the cost is the cap
    and the offset, not the number of shops."""
    district = bindparam("district") if in_district else None
    keys = (_listed_gram(bindparam("gram"), district).order_by(*_GRAM_ORDER)
            .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)).subquery())
    counted = select(func.count()).select_from(
        _listed_gram(bindparam("gram"), district).limit(bindparam("cap", type_=Integer)).subquery()).scalar_subquery()
    return _with_signatures(select(Merchant).join(keys, keys.c.merchant_id == Merchant.id)
                            .order_by(keys.c.rank, keys.c.name_length, keys.c.merchant_id)).add_columns(counted)


def _short_name_page(text: str, district: str | None, filters: list, page: int, per_page: int) -> ResultPage:
    """A 1–2 character query (most Chinese searches): one gram's public shops in the gram index's order."""
    offset = (page - 1) * per_page
    if not filters:
        rows = db.session.execute(_short_name_statement(district is not None), {
            "gram": text, "district": district, "limit": per_page + 1, "offset": offset, "cap": COUNT_CAP + 1}).all()
        if rows:
            total = rows[0][2]
        else:  # past the last page: the count alone
            total = db.session.scalar(select(func.count()).select_from(
                _listed_gram(text, district).limit(COUNT_CAP + 1).subquery()))
        return _result_page([(m, s) for m, s, _count in rows], page, per_page, total)
    # The API's category or standing needs the shop row of each match the walk passes.
    matches = (_listed_gram(text, district).join(Merchant, Merchant.id == MerchantNameGram.merchant_id)
               .where(*filters))
    total = db.session.scalar(select(func.count()).select_from(matches.limit(COUNT_CAP + 1).subquery()))
    keys = matches.order_by(*_GRAM_ORDER).limit(per_page + 1).offset(offset).subquery()
    rows = db.session.execute(_with_signatures(select(Merchant).join(keys, keys.c.merchant_id == Merchant.id)
                                               .order_by(keys.c.rank, keys.c.name_length, keys.c.merchant_id))).all()
    return _result_page(rows, page, per_page, total)


def _result_page(rows, page: int, per_page: int, total: int | None) -> ResultPage:
    """From (shop, newest signature) rows, one more than the page; `total` counted up to COUNT_CAP + 1,
    or None when not counted (dense matches: then "more than" the rows seen up to this page)."""
    shown = rows[:per_page]
    items, more = [merchant for merchant, _signature in shown], len(rows) > per_page
    signatures = {merchant.id: signature for merchant, signature in shown if signature is not None}
    if total is None:
        return ResultPage(items, page, per_page, (page - 1) * per_page + len(items), more, more, signatures)
    return ResultPage(items, page, per_page, min(total, COUNT_CAP), total > COUNT_CAP, more, signatures)


def search_merchants(query: str, district: str | None, page: int, per_page: int, *,
                     category: str | None = None, standing: str | None = None) -> ResultPage:
    """Public shops matching a name fragment or a credit code, optionally in one district (and, for
    the API, of one category and one recorded standing)."""
    text = normalize_search_text(query or "")[:MAX_QUERY_LENGTH]
    district = district or None
    filters = [column == value for column, value in ((Merchant.category, category), (Merchant.standing, standing))
               if value]
    per_page = max(1, min(per_page, 50))
    page = max(1, page)
    if 1 <= len(text) <= 2:
        return _short_name_page(text, district, filters, page, per_page)
    statement, countable = _search_statement(text, district)
    statement = statement.where(*filters)
    rows = db.session.execute(_with_signatures(statement).limit(per_page + 1).offset((page - 1) * per_page)).all()
    total = None
    if countable:
        # The count walks the matches in result order, so it stops after COUNT_CAP + 1 whatever the
        # planner thinks of the whole table.
        matches = statement.with_only_columns(Merchant.id).limit(COUNT_CAP + 1).subquery()
        total = db.session.scalar(select(func.count()).select_from(matches))
    return _result_page(rows, page, per_page, total)
