"""The SMS outbox: a text is queued in the caller's transaction and handed to the gateway only after
that transaction commits, outside any transaction; `flask messaging deliver` sends what a dead
request left behind, never twice, and never a code past its lifetime."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from registry.clock import utcnow
from registry.extensions import db
from registry.messaging.models import EXPIRED, FAILED, PENDING, SENT, OutboxMessage
from registry.messaging.outbox import CLAIM_TIMEOUT, MAX_ATTEMPTS, queue_sms, undelivered_in_last_commit
from registry.messaging.senders import SmsDeliveryError
from tests.write_lock import another_writer_blocked, committed_rows

PHONE = "13812345678"
BODY = "【诚信码】您的店铺已整改恢复。"


class Gateway:
    """A stand-in production gateway: records each message, or refuses them all."""

    def __init__(self, sink: list, refuse: bool = False):
        self.sink, self.refuse = sink, refuse

    def send(self, phone: str, body: str, purpose: str) -> None:
        self.sink.append((phone, body, purpose, another_writer_blocked(), committed_rows("outbox_messages")))
        if self.refuse:
            raise SmsDeliveryError("no credit left")


@pytest.fixture
def gateway(app):
    sink: list = []

    def configure(refuse: bool = False) -> list:
        app.config["SMS_SENDER"] = "tests.messaging.test_outbox:Gateway"
        app.config["SMS_SENDER_OPTIONS"] = {"sink": sink, "refuse": refuse}
        return sink

    return configure


def reload(message_id: int) -> SimpleNamespace:
    """The row as stored now; the read transaction is ended again (outside a request it would hold
    SQLite's write lock and make the command wait)."""
    db.session.expire_all()
    message = db.session.get(OutboxMessage, message_id)
    row = SimpleNamespace(**{c.key: getattr(message, c.key) for c in OutboxMessage.__table__.columns})
    db.session.rollback()
    return row


def pending(**values) -> int:
    """A row a request queued and committed but never delivered (its process died)."""
    message = OutboxMessage(**{"phone": PHONE, "body": BODY, "purpose": "moderation", "created_at": utcnow(),
                               "sender": "Gateway", "status": PENDING, "attempts": 0, **values})
    db.session.add(message)
    db.session.flush()
    message_id = message.id
    db.session.commit()
    return message_id


def deliver(app) -> str:
    result = app.test_cli_runner().invoke(args=["messaging", "deliver"])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_gateway_is_called_after_commit_outside_any_transaction(app, gateway):
    sink = gateway()
    message_id = queue_sms(PHONE, BODY, "moderation").id
    assert sink == []  # not while the transaction is open
    db.session.commit()
    assert sink == [(PHONE, BODY, "moderation", None, 1)]  # committed, and nothing holds a transaction
    message = reload(message_id)
    assert (message.status, message.attempts, message.sender, message.body) == (SENT, 1, "Gateway", "")
    assert message.sent_at is not None and message.claimed_at is None
    assert not undelivered_in_last_commit(PHONE)


def test_nothing_is_sent_when_the_transaction_rolls_back(app, gateway):
    sink = gateway()
    queue_sms(PHONE, BODY, "moderation")
    db.session.rollback()
    db.session.commit()
    assert sink == [] and committed_rows("outbox_messages") == 0


def test_nothing_is_sent_for_a_rolled_back_savepoint_and_a_release_sends_nothing_yet(app, gateway):
    sink = gateway()
    with db.session.begin_nested():
        queue_sms(PHONE, "留下的", "moderation")
    assert sink == []  # the savepoint's release is not the commit
    savepoint = db.session.begin_nested()
    queue_sms(PHONE, "撤回的", "moderation")
    savepoint.rollback()
    db.session.commit()
    assert [body for _phone, body, *_ in sink] == ["留下的"]


def test_a_refused_message_without_deadline_waits_for_the_command_then_gives_up(app, gateway):
    sink = gateway(refuse=True)
    message_id = queue_sms(PHONE, BODY, "moderation").id
    db.session.commit()  # the refusal is logged, never raised: the decision stands
    assert undelivered_in_last_commit(PHONE)
    message = reload(message_id)
    assert (message.status, message.attempts, message.body) == (PENDING, 1, BODY)

    for attempt in range(2, MAX_ATTEMPTS + 1):
        assert "0 message(s); 1 refused" in deliver(app)
        assert reload(message_id).attempts == attempt
    message = reload(message_id)
    assert (message.status, message.body) == (FAILED, "")
    assert len(sink) == MAX_ATTEMPTS
    deliver(app)
    assert len(sink) == MAX_ATTEMPTS  # given up


def test_the_command_sends_what_a_dead_request_left_and_only_once(app, gateway):
    sink = gateway()
    left = pending()
    assert "Sent 1 message(s)" in deliver(app)
    assert [s[:3] for s in sink] == [(PHONE, BODY, "moderation")]
    assert reload(left).status == SENT
    deliver(app)
    assert len(sink) == 1


def test_the_command_leaves_a_message_another_process_is_sending_until_its_claim_is_stale(app, gateway):
    sink = gateway()
    busy = pending(claimed_at=utcnow() - timedelta(seconds=5), attempts=1)
    stale = pending(claimed_at=utcnow() - CLAIM_TIMEOUT - timedelta(seconds=1), attempts=1)
    deliver(app)
    assert len(sink) == 1
    assert (reload(busy).status, reload(stale).status, reload(stale).attempts) == (PENDING, SENT, 2)


def test_a_message_past_its_deadline_is_never_sent(app, gateway):
    sink = gateway()
    late = pending(deliver_by=utcnow() - timedelta(seconds=1))
    assert "1 expired unsent" in deliver(app)
    assert sink == []
    message = reload(late)
    assert (message.status, message.body) == (EXPIRED, "")


def test_the_development_outbox_keeps_the_message_and_marks_it_sent(app):
    message_id = queue_sms(PHONE, BODY, "moderation").id
    db.session.commit()
    message = reload(message_id)
    assert (message.status, message.sender, message.body) == (SENT, "outbox", BODY)
    assert db.session.scalars(select(OutboxMessage.id)).all() == [message_id]  # stored once


def test_a_notice_is_queued_once_and_left_for_the_delivery_job(app):
    from registry.messaging.outbox import deliver_pending, queue_sms_once

    assert queue_sms_once("complaint:1:accepted", PHONE, BODY, "complaint_notice") is not None
    assert queue_sms_once("complaint:1:accepted", PHONE, "another wording", "complaint_notice") is None
    db.session.commit()
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert (message.status, message.body, message.once_key) == (PENDING, BODY, "complaint:1:accepted")
    message_id = message.id
    db.session.commit()  # as `flask messaging deliver` starts: no transaction open
    assert deliver_pending().sent == 1
    assert reload(message_id).status == SENT
    db.session.commit()
    assert deliver_pending().sent == 0
    assert queue_sms_once("complaint:1:accepted", PHONE, BODY, "complaint_notice") is None


def test_old_settled_texts_are_masked_and_blanked_but_still_count_as_sent(app):
    from registry.messaging.outbox import forget_old_messages, queue_sms_once

    now = utcnow()
    old = queue_sms_once("complaint:1:filed", PHONE, "【西子消协】您的投诉已提交：https://cxm.example.cn/c/" + "a" * 32,
                         "complaint_notice")
    stuck = queue_sms("13900001111", BODY, "moderation")
    recent = queue_sms("13700002222", BODY, "moderation")
    db.session.commit()  # the outbox sender takes the plain texts at commit; notices wait for the timer
    old.status, old.created_at = SENT, now - timedelta(days=91)
    stuck.status, stuck.created_at = PENDING, now - timedelta(days=200)  # still to be delivered: left alone
    recent.created_at = now - timedelta(days=89)
    db.session.commit()

    assert forget_old_messages(now) == 1

    rows = {m.id: m for m in db.session.scalars(select(OutboxMessage))}
    assert (rows[old.id].phone, rows[old.id].body) == ("138****5678", "")
    assert (rows[stuck.id].phone, rows[stuck.id].body) == ("13900001111", BODY)
    assert (rows[recent.id].phone, rows[recent.id].body) == ("13700002222", BODY)
    # The notice is still known as sent: the same step never texts twice.
    assert queue_sms_once("complaint:1:filed", PHONE, "again", "complaint_notice") is None
    assert forget_old_messages(now) == 0  # a second run finds nothing left to forget


def test_the_retention_is_a_setting(app, monkeypatch):
    from registry.messaging.outbox import forget_old_messages

    monkeypatch.setitem(app.config, "OUTBOX_RETENTION_DAYS", 400)
    message = queue_sms(PHONE, BODY, "moderation")
    db.session.commit()
    message.created_at = utcnow() - timedelta(days=200)
    db.session.commit()

    assert forget_old_messages() == 0 and db.session.get(OutboxMessage, message.id).phone == PHONE
