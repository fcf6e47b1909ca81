"""Signing the pledge: every clause confirmed, the exact signed text and its hash, expiry, standing, badge."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.badges.models import Badge
from registry.badges.services import current_badge
from registry.clock import utcnow
from registry.errors import Conflict, DomainError, NotPermitted
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.pledges.models import Signature
from registry.merchants.standing import assess
from registry.pledges.queries import current_version_terms
from registry.pledges.signing import latest_signature, pledge_facts, sign_pledge

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def every_clause(pledge) -> set[int]:
    return {clause.number for clause in pledge.clauses}


def sign(shop, pledge, signer=None, name="王美好", title="店主", clauses=None):
    return sign_pledge(shop, pledge, signer or shop.owner, name, title, "203.0.113.7",
                       every_clause(pledge) if clauses is None else clauses)


def signature_count() -> int:
    return db.session.scalar(select(func.count(Signature.id)))


def reload(shop: Merchant) -> Merchant:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Merchant, shop.id)


def test_the_default_pledge_has_six_clauses(pledge):
    assert every_clause(pledge) == {1, 2, 3, 4, 5, 6}


def test_signing_requires_every_clause_and_names_the_missing_ones(app, make_shop, pledge):
    shop = make_shop(signed=False)

    with pytest.raises(DomainError) as refused:
        sign(shop, pledge, clauses={1, 3, 4, 6})

    assert refused.value.field == "clauses"
    assert refused.value.message == "请逐条阅读并勾选每一条承诺（还有第 2、5 条未勾选）。"
    assert signature_count() == 0
    assert reload(shop).standing == "pending"


@pytest.mark.parametrize(("name", "title", "field"), [("  ", "店主", "signer_name"), ("王美好", "", "signer_title")])
def test_signing_requires_the_signers_name_and_title(app, make_shop, pledge, name, title, field):
    shop = make_shop(signed=False)

    with pytest.raises(DomainError) as refused:
        sign(shop, pledge, name=name, title=title)

    assert refused.value.field == field
    assert signature_count() == 0
    assert reload(shop).standing == "pending"


def test_signing_makes_the_shop_active_and_stores_the_exact_text_and_its_hash(app, make_shop, pledge):
    shop = make_shop(signed=False)

    signature = sign(shop, pledge, name=" 王  美好 ", title="法定代表人")
    db.session.commit()

    assert reload(shop).standing == "active"
    stored = db.session.scalars(select(Signature)).one()
    assert stored.text_sha256 == hashlib.sha256(stored.signed_text.encode("utf-8")).hexdigest()
    assert stored.signer_name == "王 美好"
    assert stored.ip_address == "203.0.113.7"
    assert stored.signed_by_id == shop.owner_id
    assert stored.pledge_version_id == pledge.id
    text = stored.signed_text
    assert shop.name in text
    assert shop.credit_code in text
    assert "签署人：王 美好（法定代表人）" in text
    for clause in pledge.clauses:
        assert f"{clause.number}. {clause.text}" in text
    assert signature.certificate_code == stored.certificate_code and len(stored.certificate_code) == 16


def test_a_signature_expires_after_the_configured_validity(app, make_shop, pledge):
    shop = make_shop(signed=False)
    app.config["PLEDGE_VALIDITY_DAYS"] = 30

    signature = sign(shop, pledge)
    db.session.commit()

    stored = db.session.get(Signature, signature.id)
    assert stored.expires_at - stored.signed_at == timedelta(days=30)
    assert abs(stored.signed_at - utcnow()) < timedelta(minutes=1)


def test_a_second_signature_while_the_first_is_valid_is_a_conflict(app, make_shop, pledge):
    shop = make_shop(signed=True)

    with pytest.raises(Conflict):
        sign(shop, pledge)

    assert signature_count() == 1


def test_a_shop_may_renew_within_the_renewal_window(app, make_shop, pledge):
    shop = make_shop(signed=True)
    first = latest_signature(shop)
    first.expires_at = utcnow() + timedelta(days=10)
    db.session.commit()

    sign(shop, pledge)
    db.session.commit()

    assert signature_count() == 2
    assert db.session.scalar(select(func.count(Badge.id))) == 1  # re-signing keeps the badge


def test_only_the_owner_may_sign(app, make_shop, make_user, pledge):
    shop = make_shop(signed=False)

    with pytest.raises(NotPermitted):
        sign(shop, pledge, signer=make_user())

    assert signature_count() == 0
    assert reload(shop).standing == "pending"


def test_the_first_signature_issues_exactly_one_badge(app, make_shop, pledge):
    shop = make_shop(signed=False)
    assert current_badge(shop) is None

    sign(shop, pledge)
    db.session.commit()

    badge = current_badge(shop)
    assert badge is not None and badge.merchant_id == shop.id and not badge.is_void
    assert db.session.scalar(select(func.count(Badge.id))) == 1


def effective_standing(shop, signature) -> str:
    return assess(shop.standing, pledge_facts(signature), current_version_terms(), (), utcnow()).standing


def test_an_active_shop_whose_signature_expired_is_shown_as_lapsed(app, make_shop):
    shop = make_shop(signed=True)
    assert effective_standing(shop, latest_signature(shop)) == "active"

    signature = latest_signature(shop)
    signature.signed_at = utcnow() - timedelta(days=400)
    signature.expires_at = utcnow() - timedelta(days=35)
    db.session.commit()

    assert reload(shop).standing == "active"  # the stored standing is not changed by reading
    assert effective_standing(shop, latest_signature(shop)) == "lapsed"
    assert effective_standing(shop, None) == "lapsed"


def test_signing_writes_the_signature_the_standing_change_and_the_badge_to_the_audit_chain(app, make_shop, pledge):
    shop = make_shop(signed=False)

    signature = sign(shop, pledge)
    db.session.commit()

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action != "pledge.published")
                                 .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["merchant.registered", "pledge.signed", "merchant.standing_changed",
                                           "badge.issued"]
    signed, standing, badge = entries[1:]
    assert (signed.subject_type, signed.subject_id) == ("signature", signature.id)
    assert json.loads(signed.data)["sha256"] == signature.text_sha256
    assert json.loads(standing.data) == {"old": "pending", "new": "active", "reason": "pledge signed"}
    assert json.loads(badge.data)["serial"] == current_badge(shop).serial
    assert {e.actor_id for e in entries} == {shop.owner_id}
