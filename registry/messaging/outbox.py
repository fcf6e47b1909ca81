"""Text messages leave only after the transaction that decided to send them has committed.

A service calls :func:`queue_sms` (a row in ``outbox_messages``, written in the caller's transaction,
flushed, never committed). When that transaction commits, the ``after_commit`` hook below hands the
rows it queued to the configured sender, outside any transaction: a slow gateway (1-2 s is common)
never holds SQLite's write lock, a gateway failure never undoes or 500s the request, and a rolled-back
request sends nothing. Each row is claimed in a short transaction of its own before the gateway sees
it (so two processes never send it twice) and marked sent or failed in another.

A process that dies between the commit and the delivery leaves the row pending; ``flask messaging
deliver`` (a timer, DEPLOY.md) sends such rows, until their ``deliver_by`` when they have one.
A message with a deadline (a verification code) that the gateway refused in the request is not
retried: the person waiting was told so on the page and asks for a new code; one without a deadline
(a decision told to a shop) stays pending for the command, up to MAX_ATTEMPTS tries.
Notices queued with :func:`queue_sms_once` (a case's steps, reminders) are not handed over after the
commit at all: they wait for the command, a couple of minutes at most.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.clock import utcnow
from registry.extensions import db
from registry.phones import mask_mobile
from registry.messaging.models import EXPIRED, FAILED, PENDING, SENT, OutboxMessage
from registry.messaging.senders import OutboxSender, SmsDeliveryError, get_sender, sender_name

__all__ = ["CLAIM_TIMEOUT", "MAX_ATTEMPTS", "DeliveryReport", "deliver_pending", "delivery_failed_since",
           "forget_old_messages", "queue_sms", "queue_sms_once", "undelivered_in_last_commit"]

log = logging.getLogger(__name__)

# A claim older than this belongs to a process that died mid-send: the row may be taken again.
CLAIM_TIMEOUT = timedelta(minutes=5)
MAX_ATTEMPTS = 5
_QUEUED = "registry.messaging.queued"
_LAST_UNDELIVERED = "registry.messaging.undelivered"


def queue_sms(phone: str, body: str, purpose: str, deliver_by: datetime | None = None) -> OutboxMessage:
    """Queue a text to the 11-digit `phone`; it is sent once the caller's transaction commits."""
    message = OutboxMessage(phone=phone, body=body, purpose=purpose, created_at=utcnow(), sender=sender_name(),
                            status=PENDING, attempts=0, deliver_by=deliver_by)
    db.session.add(message)
    db.session.flush()
    db.session().info.setdefault(_QUEUED, []).append(message.id)
    return message


def queue_sms_once(once_key: str, phone: str, body: str, purpose: str) -> OutboxMessage | None:
    """Queue a notice that goes out once; None (nothing queued) when `once_key` was queued before.

    The key is stored on the row, so a step taken twice or a timer run twice (or two at once: the
    unique key makes the second insert fail inside its savepoint) sends one text. A notice is not
    urgent, unlike a code someone is waiting for: it is left pending for `flask messaging deliver`
    (every two minutes), so the request that decided it never waits, after its commit, for the
    gateway or for SQLite's write lock to claim and mark the row.
    """
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.once_key == once_key)) is not None:
        return None
    message = OutboxMessage(phone=phone, body=body, purpose=purpose, created_at=utcnow(), sender=sender_name(),
                            status=PENDING, attempts=0, once_key=once_key)
    try:
        with db.session.begin_nested():
            db.session.add(message)
            db.session.flush()
    except IntegrityError:
        return None
    return message


def undelivered_in_last_commit(phone: str | None = None) -> bool:
    """Whether a message (to `phone`) queued in this session's last committed transaction was not sent."""
    phones = db.session().info.get(_LAST_UNDELIVERED) or set()
    return bool(phones) if phone is None else phone in phones


def delivery_failed_since(phone: str, since: datetime) -> bool:
    """Whether a message to `phone` queued at or after `since` was refused by the gateway."""
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.phone == phone, OutboxMessage.created_at >= since, OutboxMessage.status == FAILED)) > 0


@event.listens_for(Session, "after_commit")
def _deliver_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release: the outer transaction may still roll back
    queued = session.info.pop(_QUEUED, None)
    if not queued:
        session.info.pop(_LAST_UNDELIVERED, None)
        return
    # The commit is done, so no lock is held; the session cannot run SQL inside this hook, so the
    # claims and marks use connections of their own.
    engine = session.get_bind(mapper=OutboxMessage)
    undelivered = set()
    for message_id in queued:
        outcome = _deliver(engine, message_id, final_on_failure=True)
        if outcome is not None and not outcome.sent:
            undelivered.add(outcome.phone)
    session.info[_LAST_UNDELIVERED] = undelivered


@event.listens_for(Session, "after_transaction_end")
def _forget_rolled_back(session: Session, transaction) -> None:
    # Still there after the outermost transaction ended: it was rolled back, and so were the rows.
    if transaction.parent is None:
        session.info.pop(_QUEUED, None)


@dataclass(frozen=True)
class _Outcome:
    phone: str
    sent: bool


def _deliver(engine: Engine, message_id: int, final_on_failure: bool) -> _Outcome | None:
    """Claim one pending message, hand it to the sender, mark it; None when it was not ours to send."""
    table = OutboxMessage.__table__
    now = utcnow()
    with engine.begin() as connection:
        claimed = connection.execute(
            update(table)
            .where(table.c.id == message_id, table.c.status == PENDING,
                   or_(table.c.claimed_at.is_(None), table.c.claimed_at < now - CLAIM_TIMEOUT),
                   or_(table.c.deliver_by.is_(None), table.c.deliver_by > now))
            .values(claimed_at=now, attempts=table.c.attempts + 1)
        ).rowcount
        if not claimed:
            return None
        row = connection.execute(select(table.c.phone, table.c.body, table.c.purpose, table.c.attempts,
                                        table.c.deliver_by).where(table.c.id == message_id)).one()

    # No transaction is open here: the gateway may take its time.
    sender = get_sender()
    keeps_body = isinstance(sender, OutboxSender)  # the outbox row is the message itself
    try:
        if keeps_body:
            sender.announce(row.phone, row.body)
        else:
            sender.send(row.phone, row.body, row.purpose)
        sent = True
    except SmsDeliveryError as error:
        log.warning("SMS %s to %s not delivered (try %d): %s", message_id, mask_mobile(row.phone), row.attempts,
                    error)
        sent = False
    except Exception:  # noqa: BLE001 — whatever the gateway raises, the committed request stands
        log.exception("SMS %s to %s: the sender failed (try %d)", message_id, mask_mobile(row.phone), row.attempts)
        sent = False

    done = utcnow()
    if sent:
        values = {"status": SENT, "sent_at": done, "claimed_at": None, "sender": sender_name()}
    elif (final_on_failure and row.deliver_by is not None) or row.attempts >= MAX_ATTEMPTS:
        values = {"status": FAILED, "claimed_at": None}
    else:
        values = {"claimed_at": None}  # pending again, for `flask messaging deliver`
    if not keeps_body and values.get("status"):
        values["body"] = ""  # the gateway has it (or never will): a code is not kept in clear
    with engine.begin() as connection:
        connection.execute(update(table).where(table.c.id == message_id).values(**values))
    return _Outcome(row.phone, sent)


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int
    expired: int


def deliver_pending(limit: int = 1000) -> DeliveryReport:
    """Send the messages still pending (their request died, or the gateway refused them), oldest first."""
    engine = db.session.get_bind(mapper=OutboxMessage)
    table = OutboxMessage.__table__
    now = utcnow()
    with engine.begin() as connection:
        expired_ids = connection.execute(select(table.c.id, table.c.sender).where(
            table.c.status == PENDING, table.c.deliver_by <= now)).all()
        for message_id, sender in expired_ids:
            values = {"status": EXPIRED, "claimed_at": None}
            if sender != OutboxSender.name:
                values["body"] = ""
            connection.execute(update(table).where(table.c.id == message_id, table.c.status == PENDING)
                               .values(**values))
        ids = connection.execute(
            select(table.c.id)
            .where(table.c.status == PENDING,
                   or_(table.c.claimed_at.is_(None), table.c.claimed_at < now - CLAIM_TIMEOUT))
            .order_by(table.c.id).limit(limit)
        ).scalars().all()
    sent = failed = 0
    for message_id in ids:
        outcome = _deliver(engine, message_id, final_on_failure=False)
        if outcome is not None:
            sent += outcome.sent
            failed += not outcome.sent
    return DeliveryReport(sent=sent, failed=failed, expired=len(expired_ids))


def forget_old_messages(now: datetime | None = None, batch: int = 1000) -> int:
    """Blank the words and mask the phone of texts settled more than OUTBOX_RETENTION_DAYS ago (run daily).

    A text carries personal data (the recipient's number; a consumer's case link) that is needed only
    until it is delivered and any question about its delivery is settled (PIPL: no longer than needed).
    The row stays, masked, so a notice keyed by `once_key` is still known as sent and never goes twice.
    Pending rows are left to `deliver_pending`. Returns how many rows were blanked.
    """
    from flask import current_app

    now = now or utcnow()
    before = now - timedelta(days=int(current_app.config.get("OUTBOX_RETENTION_DAYS", 90)))
    forgotten = 0
    while True:
        rows = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.created_at < before, OutboxMessage.status != PENDING, OutboxMessage.body != "")
            .order_by(OutboxMessage.id).limit(batch)).all()
        for message in rows:
            message.phone, message.body = mask_mobile(message.phone), ""
        db.session.commit()
        forgotten += len(rows)
        if len(rows) < batch:
            return forgotten
