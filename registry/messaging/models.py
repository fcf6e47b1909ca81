"""Every text message the app sends, from the moment it is queued until the gateway took it.

The table is both the development "outbox" (with SMS_SENDER "outbox" the row is the message) and the
delivery queue for a real gateway: a row is written in the transaction that decides to send it and
handed to the gateway only after that transaction commits (registry/messaging/outbox.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from registry.database import UTCDateTime
from registry.clock import utcnow
from registry.extensions import db

# Waiting for delivery; handed to the gateway; refused (not retried); its deadline passed unsent.
PENDING, SENT, FAILED, EXPIRED = "pending", "sent", "failed", "expired"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    # Emptied once a real gateway has it or it can no longer be sent: it may hold a live code.
    body: Mapped[str] = mapped_column(Text)
    # Why it was sent ("complaint", …), as given by the caller.
    purpose: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Which sender took it ("outbox", or the class name of the SMS_SENDER setting).
    sender: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=SENT, server_default=text("'sent'"))
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Set while one process is handing it to the gateway, so no other process sends it too.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Not worth sending after this (a code that has expired); None: however late.
    deliver_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Names a notice that must go out once only ("complaint:42:accepted", "reminder:42:2026-03-04"): a
    # job run twice, or a step taken again, finds the row and sends nothing (outbox.queue_sms_once).
    once_key: Mapped[str | None] = mapped_column(String(100), unique=True)

    __table_args__ = (
        Index("ix_outbox_messages_phone_created", "phone", "created_at"),
        Index("ix_outbox_messages_status_id", "status", "id"),
    )

    def __repr__(self) -> str:
        # No phone number or body: a repr ends up in logs and tracebacks.
        return f"<OutboxMessage {self.id} {self.purpose} {self.status}>"
