"""The demo data shows issue 14: a verified shop, an unverified one, signed badges, division codes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.areas.models import District
from registry.badges import offline
from registry.badges.keys import published_badge_keys
from registry.badges.models import Badge
from registry.badges.services import badge_url
from registry.extensions import db
from registry.merchants.models import Merchant

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def test_the_demo_has_a_verified_shop_an_unverified_one_and_signed_badges(app):
    from registry.demo import load_demo

    load_demo(shop_count=15)
    db.session.commit()

    shops = {shop.name: shop for shop in db.session.scalars(select(Merchant).where(Merchant.owner_id.is_not(None)))}
    verified = shops["美好生活超市"]
    assert verified.licence_verified_on is not None
    assert any(shop.licence_verified_on is None and shop.owner_id == verified.owner_id for shop in shops.values())
    assert db.session.scalar(select(District.division_code).where(District.name == "西湖区")) == "330106"
    badges = list(db.session.scalars(select(Badge).where(Badge.voided_at.is_(None))))
    assert badges and all(offline.verify_badge_url(badge_url(b.merchant, b), published_badge_keys()).ok
                          for b in badges)
