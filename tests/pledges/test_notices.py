"""Texts about the pledge (pledges/notices.py): a new version to re-sign, told at publishing, and a
pledge about to lapse, told by the daily job once; to the owner's verified phone, never to others."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.clock import local_date, utcnow
from registry.extensions import db
from registry.messaging.models import OutboxMessage
from registry.pledges.notices import warn_lapsing
from registry.pledges.signing import latest_signature
from registry.pledges.versions import publish_version

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

NEW_CLAUSES = [{"kind": "counterfeit", "text": "不制假售假。"}, {"kind": "after_sales", "text": "七日无理由退货。"}]


@pytest.fixture
def clock(clock, pledge):
    clock.advance(minutes=1)
    return clock


def texts_to(phone: str) -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.phone == phone)
                                   .order_by(OutboxMessage.id)))


@pytest.fixture
def owner(make_user):
    user = make_user(name="王美好")
    user.phone_verified_at = utcnow()
    db.session.commit()
    return user


def test_a_new_version_with_a_deadline_asks_signed_shops_to_sign_again(clock, make_shop, owner):
    shop = make_shop(owner=owner, name="美好生活超市")
    unsigned = make_shop(owner=owner, name="未签署小店", signed=False)
    clock.advance(days=1)
    version = publish_version("第二版", "本店承诺：", NEW_CLAUSES, resign_window_days=30)
    db.session.commit()
    [text] = texts_to(owner.login)
    assert shop.name in text and f"第 {version.number} 版" in text and local_date(version.resign_deadline) in text
    assert unsigned.name not in text


def test_a_new_version_without_a_deadline_asks_nothing(clock, make_shop, owner):
    make_shop(owner=owner)
    publish_version("第二版", "本店承诺：", NEW_CLAUSES)
    db.session.commit()
    assert texts_to(owner.login) == []


def test_a_pledge_about_to_lapse_is_told_once_two_weeks_ahead(clock, make_shop, owner):
    shop = make_shop(owner=owner)
    expires = latest_signature(shop).expires_at
    clock.set(expires - timedelta(days=15))
    assert warn_lapsing() == 0
    clock.set(expires - timedelta(days=14))
    assert warn_lapsing() == 1
    db.session.commit()
    clock.advance(days=1)
    assert warn_lapsing() == 0  # the same signature: told once
    db.session.commit()
    [text] = texts_to(owner.login)
    assert shop.name in text and local_date(expires) in text and "续签" in text
