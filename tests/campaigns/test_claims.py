"""Claiming an imported shop with its invitation code, without HTTP (campaigns.claims)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.badges.services import current_badge
from registry.campaigns import claims
from registry.campaigns.models import ShopInvitation
from registry.clock import utcnow
from registry.errors import Conflict, DomainError
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.pledges.signing import sign_pledge
from tests.campaigns.conftest import actions, imported, shop_row

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


# --- Claiming ------------------------------------------------------------------------------------

@pytest.fixture
def invited(app, staff):
    """One imported shop and its invitation."""
    [shop] = imported(staff, [shop_row(name="老街小吃", contact_phone="13912345678")])
    return db.session.scalar(select(ShopInvitation).where(ShopInvitation.merchant_id == shop.id))


def test_the_right_code_and_phone_digits_make_the_user_the_owner_and_signing_works(app, invited, make_user, pledge):
    owner = make_user()
    code = invited.code

    shop = claims.claim_shop(owner, f"{code[:4].lower()}-{code[4:]}", "5678")
    db.session.commit()

    db.session.expire_all()
    assert shop.owner_id == owner.id
    invitation = db.session.get(ShopInvitation, invited.id)
    assert invitation.used_by_id == owner.id and invitation.used_at is not None
    [entry] = actions("merchant.claimed")
    assert (entry.subject_id, entry.actor_id) == (shop.id, owner.id)

    sign_pledge(shop, pledge, owner, "王美好", "店主", "127.0.0.1", {c.number for c in pledge.clauses})
    db.session.commit()
    assert db.session.get(Merchant, shop.id).standing == "active"
    assert current_badge(shop) is not None


def test_full_width_input_is_accepted(app, invited, make_user):
    owner = make_user()

    claims.claim_shop(owner, " ".join(invited.code).translate(str.maketrans("ABCDEFGHJKMNPQRSTUVWXYZ23456789",
                        "ＡＢＣＤＥＦＧＨＪＫＭＮＰＱＲＳＴＵＶＷＸＹＺ２３４５６７８９")), "５６７８")
    db.session.commit()

    assert db.session.get(Merchant, invited.merchant_id).owner_id == owner.id


@pytest.mark.parametrize(("code", "digits", "field", "words"), [
    ("WRONGCOD", "5678", "code", "邀请码或手机号后 4 位不正确"),
    (None, "1234", "code", "邀请码或手机号后 4 位不正确"),
    ("ABC", "5678", "code", "8 位"),
    (None, "56", "phone_last4", "4 位数字"),
])
def test_a_wrong_code_or_wrong_digits_change_nothing(app, invited, make_user, code, digits, field, words):
    owner = make_user()

    with pytest.raises(DomainError) as caught:
        claims.claim_shop(owner, code or invited.code, digits)
    db.session.rollback()

    assert caught.value.field == field and words in caught.value.message
    db.session.expire_all()
    assert db.session.get(Merchant, invited.merchant_id).owner_id is None
    assert db.session.get(ShopInvitation, invited.id).used_at is None
    assert actions("merchant.claimed") == []


def test_a_code_works_once(app, invited, make_user):
    first, second = make_user(), make_user()
    claims.claim_shop(first, invited.code, "5678")
    db.session.commit()

    with pytest.raises(Conflict) as caught:
        claims.claim_shop(second, invited.code, "5678")
    db.session.rollback()

    assert "已经用过" in caught.value.message
    assert db.session.get(Merchant, invited.merchant_id).owner_id == first.id
    assert len(actions("merchant.claimed")) == 1


def test_an_expired_code_is_refused(app, invited, make_user):
    invited.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    with pytest.raises(DomainError) as caught:
        claims.claim_shop(make_user(), invited.code, "5678")
    db.session.rollback()

    assert "过期" in caught.value.message
    assert db.session.get(Merchant, invited.merchant_id).owner_id is None
