"""Badges: the first one comes with the signature; re-issuing voids the old serial."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from registry.audit.models import AuditEntry
from registry.badges.models import Badge
from registry.badges.services import (
    badge_by_verification_code,
    badge_url,
    current_badge,
    issue_badge,
    reissue_badge,
)
from registry.errors import DomainError, NotPermitted
from registry.extensions import db

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def badges_of(shop) -> list[Badge]:
    db.session.expire_all()
    return list(db.session.scalars(select(Badge).where(Badge.merchant_id == shop.id).order_by(Badge.id)))


def test_reissue_voids_the_old_serial_and_leaves_exactly_one_valid_badge(app, make_shop):
    shop = make_shop()
    old = current_badge(shop)
    old_serial = old.serial

    new = reissue_badge(shop, shop.owner)
    db.session.commit()

    old_row, new_row = badges_of(shop)
    assert old_row.serial == old_serial
    assert old_row.voided_at is not None and old_row.void_reason == "reissued"
    assert new_row.serial == new.serial != old_serial
    assert new_row.verification_code != old_row.verification_code
    assert new_row.voided_at is None
    assert [b.serial for b in badges_of(shop) if not b.is_void] == [new.serial]
    assert current_badge(shop).serial == new.serial


def test_reissue_writes_the_voiding_and_the_new_badge_to_the_audit_chain(app, make_shop):
    shop = make_shop()
    old_serial = current_badge(shop).serial

    new = reissue_badge(shop, shop.owner)
    db.session.commit()

    voided, issued = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)).all()[::-1]
    assert voided.action == "badge.voided"
    assert json.loads(voided.data) == {"serial": old_serial, "merchant_id": shop.id, "replaced_by": new.serial}
    assert issued.action == "badge.issued"
    assert json.loads(issued.data) == {"serial": new.serial, "merchant_id": shop.id}
    assert voided.actor_id == issued.actor_id == shop.owner_id


def test_only_the_owner_may_reissue(app, make_shop, make_user):
    shop = make_shop()
    serial = current_badge(shop).serial

    with pytest.raises(NotPermitted):
        reissue_badge(shop, make_user())

    db.session.rollback()
    assert [(b.serial, b.voided_at) for b in badges_of(shop)] == [(serial, None)]


def test_a_pending_shop_gets_no_badge(app, make_shop):
    shop = make_shop(signed=False)

    with pytest.raises(DomainError):
        issue_badge(shop, shop.owner)

    db.session.rollback()
    assert badges_of(shop) == []


def test_the_badge_url_is_the_public_page_with_the_serial_and_the_offline_proof(app, make_shop):
    shop = make_shop()
    badge = current_badge(shop)

    assert badge.offline_proof and len(badge.offline_proof) == 106
    assert badge_url(shop, badge) == (f"https://cxm.example.cn/m/{shop.public_code}?s={badge.serial}"
                                      f"&v={badge.offline_proof}")


def test_a_verification_code_is_found_however_it_is_typed(app, make_shop):
    badge = current_badge(make_shop())
    code = badge.verification_code
    typed = f" {code[:4].lower()}－{code[4:]} "  # full-width dash, lower case, spaces

    assert badge_by_verification_code(typed) == badge
    assert badge_by_verification_code(code[:7]) is None
