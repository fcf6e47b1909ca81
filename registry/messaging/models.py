"""What the development/test sender "sent", so tests and developers can read the message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.database import UTCDateTime, utcnow
from registry.extensions import db


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    body: Mapped[str] = mapped_column(Text)
    # Why it was sent ("complaint", …), as given by the caller.
    purpose: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Which sender stored it ("outbox").
    sender: Mapped[str] = mapped_column(String(32))

    __table_args__ = (Index("ix_outbox_messages_phone_created", "phone", "created_at"),)

    def __repr__(self) -> str:
        # No phone number or body: a repr ends up in logs and tracebacks.
        return f"<OutboxMessage {self.id} {self.purpose}>"
