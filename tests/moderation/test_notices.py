"""Moderation's texts to the shop (moderation/notices.py): worded in the message catalogue, signed by the
issuing body, sent to the owner's verified login phone, and never "。。" after a reason that has its own stop."""

from __future__ import annotations

from registry.clock import utcnow
from registry.extensions import db
from registry.moderation import sanctions
from registry.moderation.sanctions import SanctionInput

from .helpers import messages_to


def test_a_warning_goes_to_the_owners_verified_phone_without_double_punctuation(world, frozen):
    world.owner.phone_verified_at = utcnow()
    db.session.commit()
    sanctions.issue_warning(world.shop, world.staff, SanctionInput("counterfeit", "多次销售假冒商品，经查属实。"), None)
    db.session.commit()
    assert messages_to(world.shop.contact_phone) == []
    [sms] = messages_to(world.owner.login)
    assert sms.startswith("【西子消协】") and "【诚信码】" not in sms
    assert "原因：多次销售假冒商品，经查属实。请登录查看详情" in sms and "。。" not in sms


def test_without_a_verified_owner_phone_the_shops_contact_phone_is_told(world, frozen):
    sanctions.issue_warning(world.shop, world.staff, SanctionInput("counterfeit", "多次销售假冒商品！"), None)
    db.session.commit()
    [sms] = messages_to(world.shop.contact_phone)
    assert "多次销售假冒商品。" in sms and "！。" not in sms
    assert messages_to(world.owner.login) == []
