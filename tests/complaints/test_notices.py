"""Texts at each step of a case (complaints/notices.py): the right step, the right phone, once, and never
the other party's personal data."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from registry.clock import utcnow
from registry.complaints import handling, replies
from registry.complaints.timeline import complaint_changed
from registry.extensions import db
from registry.messaging.catalogue import segments
from registry.messaging.models import OutboxMessage

from .helpers import NAME, PHONE, do, file

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

MEDIATION_AT = datetime(2025, 10, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing


def texts() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def new_texts(before: int) -> list[tuple[str, str]]:
    return [(m.phone, m.body) for m in texts()[before:]]


@pytest.fixture
def verified_owner(world):
    """The shop's owner signs in with a phone confirmed by SMS code."""
    world.owner.phone_verified_at = utcnow()
    db.session.commit()
    return world.owner


def assert_clean_for_shop(body: str) -> None:
    assert PHONE not in body and NAME not in body and NAME[:1] + "*" not in body


def test_every_step_texts_the_consumer_and_the_owner(world, verified_owner, frozen, seeded):
    shop = world.shop
    complaint, token = file(shop)
    [(phone, body)] = new_texts(0)
    assert phone == PHONE
    assert body.startswith("【西子消协】") and complaint.tracking_number in body and shop.name in body
    assert f"https://cxm.example.cn/c/{token}" in body  # the consumer's own case link
    assert segments(body) <= 2

    seen = len(texts())
    do("accept", complaint, world)
    db.session.commit()
    sent = dict((p, b) for p, b in new_texts(seen))
    assert set(sent) == {PHONE, verified_owner.login}  # the owner's login phone, not the shop's contact phone
    assert shop.contact_phone not in sent
    assert complaint.due_date.isoformat() in sent[verified_owner.login]
    assert complaint.tracking_number in sent[verified_owner.login]
    assert_clean_for_shop(sent[verified_owner.login])
    assert "已受理" in sent[PHONE]

    seen = len(texts())
    do("merchant_reply", complaint, world)
    db.session.commit()
    [(phone, body)] = new_texts(seen)
    assert phone == PHONE and "解决方案" in body and f"/c/{token}" in body
    assert verified_owner.login not in body and verified_owner.display_name not in body

    seen = len(texts())
    do("reject_offer", complaint, world)
    db.session.commit()
    assert new_texts(seen) == []  # the consumer's own step: nothing to tell

    handling.schedule_mediation(complaint, world.staff, complaint.version, MEDIATION_AT, "西湖区消保委调解室", "内部备注")
    db.session.commit()
    [(phone, body)] = new_texts(seen)
    assert phone == PHONE
    assert "2025-10-20 10:00" in body and "西湖区消保委调解室" in body and "0571-86000315" in body
    assert "内部备注" not in body

    seen = len(texts())
    frozen.set(MEDIATION_AT)  # the meeting day: only now can its outcome be recorded
    do("record_failed", complaint, world)
    db.session.commit()
    [(phone, body)] = new_texts(seen)
    assert phone == PHONE and "调解未成功" in body and "12315" in body
    for message in texts():
        assert segments(message.body) <= 2, message.body
        if message.phone == PHONE:  # to the consumer: nothing of the owner
            assert verified_owner.login not in message.body and verified_owner.display_name not in message.body
            assert shop.contact_phone not in message.body and shop.owner_name not in message.body
        else:  # to the shop: nothing of the consumer, and not the case link
            assert_clean_for_shop(message.body)
            assert token not in message.body


def test_refusal_names_the_ground(world, frozen, seeded):
    complaint, _ = file(world.shop)
    seen = len(texts())
    do("refuse", complaint, world)
    db.session.commit()
    [(phone, body)] = new_texts(seen)
    assert phone == PHONE and "不予受理" in body and "缺少必要信息，无法核实" in body and "。。" not in body


def test_a_step_seen_twice_texts_once(world, verified_owner, frozen, seeded):
    complaint, _ = file(world.shop)
    do("accept", complaint, world)
    db.session.commit()
    seen = len(texts())
    complaint_changed.send(complaint, action="accept", actor=world.staff)
    complaint_changed.send(complaint, action="file", actor=None)
    db.session.commit()
    assert len(texts()) == seen


def test_a_held_reply_is_told_when_staff_publish_it(world, frozen, seeded):
    complaint, _ = file(world.shop)
    do("accept", complaint, world)
    db.session.commit()
    seen = len(texts())
    event = handling.merchant_reply(complaint, world.owner, "请拨打 13912345678 联系店长协商退款。", None, None)
    db.session.commit()
    assert event.held_for_review and new_texts(seen) == []
    replies.approve_reply(event, world.staff)
    db.session.commit()
    [(phone, body)] = new_texts(seen)
    assert phone == PHONE and "已答复" in body and "13912345678" not in body


def test_a_case_without_a_phone_tells_only_the_shop(world, frozen, seeded):
    """Letters may come without a phone (staff intake): the shop is still told, by its contact phone
    when the owner has no verified login phone."""
    complaint, _ = file(world.shop)
    complaint.consumer_phone = None
    db.session.commit()
    seen = len(texts())
    do("accept", complaint, world)
    db.session.commit()
    [(phone, body)] = new_texts(seen)
    assert phone == world.shop.contact_phone and "收到投诉" in body


def test_the_case_link_is_in_no_other_text(world, verified_owner, frozen, seeded):
    complaint, token = file(world.shop)
    for action in ("accept", "merchant_reply"):
        do(action, complaint, world)
        db.session.commit()
    to_shop = [m.body for m in texts() if m.phone != PHONE]
    assert to_shop and not any(token in body for body in to_shop)
    assert not any(re.search(r"/c/\w+", body) for body in to_shop)
