"""The demo data a reviewer believes (issue 15): names without doubled words, complaints that fit the
shop, places that belong together, signatures before the complaints about them, every standing, and
something on every staff screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from registry.demo.vocabulary import (CATEGORY_CLAUSES, CITY_DISTRICTS, NAME_PARTS, TOWNSHIP_STREETS, TRADES,
                                      branch_name, repeated_word, trade_of)
from registry.extensions import db

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.mark.parametrize(("name", "word"), [
    ("美好生活生活超市", "生活"), ("家电家电", "家电"), ("美妆美妆店", "美妆"), ("西溪人家菜馆（西溪店）", "西溪"),
    ("美好生活超市", None), ("联华超市（古荡店）", None), ("鑫鑫超市", None), ("老杭州面馆", None),
])
def test_a_repeated_word_is_two_or_more_characters_found_twice_without_overlapping(name, word):
    assert repeated_word(name) == word


def test_the_vocabulary_names_repeat_no_word_and_branches_avoid_one():
    for trade in TRADES.values():
        for name in trade.names:
            assert repeated_word(name) is None, name
            for township, streets in TOWNSHIP_STREETS.items():
                branch = branch_name(name, township, streets[0])
                assert branch is None or repeated_word(branch) is None, branch
    # The benchmark glues a prefix to a suffix of the same category: none of those repeat a word either.
    for prefixes, suffixes in NAME_PARTS.values():
        for prefix in prefixes:
            for suffix in suffixes:
                assert repeated_word(prefix + suffix) is None, prefix + suffix
    assert set(TOWNSHIP_STREETS) == set(CITY_DISTRICTS["西湖区"][1])


def test_the_demo_is_one_a_reviewer_believes(app):
    """One load (it takes a while), every check: on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""
    from registry.audit.services import verify_chain
    from registry.demo import load_demo

    load_demo(shop_count=40)
    db.session.commit()
    has_every_standing_and_work_on_every_staff_screen()
    shops_have_believable_names_and_places()
    complaints_fit_their_shop_and_come_after_its_signature()
    replies_match_how_the_case_ended()
    assert verify_chain().ok


def has_every_standing_and_work_on_every_staff_screen():
    from registry.merchants.models import Merchant
    from registry.moderation.models import Appeal, Flag, Sanction

    standings = dict(db.session.execute(select(Merchant.standing, func.count()).group_by(Merchant.standing)).all())
    assert {"active", "warned", "suspended", "revoked", "lapsed", "pending"} <= set(standings), standings
    assert db.session.scalar(select(func.count()).select_from(Flag).where(Flag.status == "open")) >= 2
    assert db.session.scalar(select(func.count()).select_from(Appeal).where(Appeal.status == "pending")) == 1
    proposed = db.session.scalars(select(Sanction).where(Sanction.kind == "revocation", Sanction.status == "proposed")).all()
    assert len(proposed) == 1 and proposed[0].merchant.standing == "warned"
    revoked = db.session.scalar(select(Merchant).where(Merchant.standing == "revoked"))
    approval = db.session.scalar(select(Sanction).where(Sanction.merchant_id == revoked.id, Sanction.kind == "revocation"))
    assert approval.status == "active" and approval.approved_by_id not in (None, approval.issued_by_id)


def shops_have_believable_names_and_places():
    from registry.complaints.models import Complaint
    from registry.consultations.models import Consultation
    from registry.merchants.models import Merchant

    shops = db.session.scalars(select(Merchant)).all()
    names = [shop.name for shop in shops]
    assert len(names) == len(set(names))
    for shop in shops:
        assert repeated_word(shop.name) is None, shop.name
        assert shop.township in CITY_DISTRICTS[shop.district][1], (shop.name, shop.district, shop.township)
        street = shop.address.rstrip("0123456789号")
        assert street in TOWNSHIP_STREETS[shop.township], (shop.name, shop.township, shop.address)
    assert names.count("美好生活超市") == 1 and not any(n.startswith("美好生活超市（") for n in names)
    for complaint in db.session.scalars(select(Complaint).where(Complaint.business_id.is_not(None))):
        assert complaint.business.township in CITY_DISTRICTS[complaint.business.district][1]
    for consultation in db.session.scalars(select(Consultation)):
        assert consultation.township is None or consultation.township in CITY_DISTRICTS[consultation.district][1]


def complaints_fit_their_shop_and_come_after_its_signature():
    from registry.clock import utcnow
    from registry.complaints.models import Complaint
    from registry.moderation.models import Sanction
    from registry.pledges.models import Signature

    first_signed = dict(db.session.execute(select(Signature.merchant_id, func.min(Signature.signed_at))
                                           .group_by(Signature.merchant_id)).all())
    complaints = db.session.scalars(select(Complaint).where(Complaint.merchant_id.is_not(None))).all()
    assert len(complaints) > 100
    for complaint in complaints:
        shop = complaint.merchant
        assert complaint.clause_kind in CATEGORY_CLAUSES[shop.category], (shop.name, complaint.clause_kind)
        trade = trade_of(shop.name)
        if complaint.channel == "online" and complaint.registered_by_id is None:
            # The consumer's own words come from what customers of this trade complain about.
            assert complaint.description in {text for _k, text, *_r in TRADES[trade].complaints}, (shop.name,
                                                                                                     complaint.description)
        assert shop.id in first_signed and complaint.filed_at > first_signed[shop.id], (shop.name, complaint.tracking_number)
        assert complaint.purchase_date <= complaint.received_on
    for sanction in db.session.scalars(select(Sanction)):
        assert sanction.clause_kind in CATEGORY_CLAUSES[sanction.merchant.category]
        assert sanction.issued_at > first_signed[sanction.merchant_id]

    # This month's cases are spread over the weeks, not bunched on the day the demo was loaded.
    recent = {c.filed_at.date() for c in complaints if c.filed_at > utcnow() - timedelta(days=45)}
    assert len(recent) >= 8


def replies_match_how_the_case_ended():
    from registry.complaints.models import Complaint, ComplaintEvent

    replies = db.session.execute(select(Complaint.outcome, Complaint.status, ComplaintEvent.body)
                                 .join(ComplaintEvent, ComplaintEvent.complaint_id == Complaint.id)
                                 .where(ComplaintEvent.kind == "merchant_replied")).all()
    assert replies
    for outcome, status, body in replies:
        if outcome in ("mediated", "failed") or status in ("disputed", "mediating"):
            # The consumer turned the offer down: the shop had not agreed to what they asked.
            assert "同意全额退款" not in body and "同意为您更换" not in body, (outcome, body)

