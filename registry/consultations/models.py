"""One consultation: a question a consumer brought to the association, and what staff did with it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import UTCDateTime
from registry.clock import utcnow
from registry.extensions import db

if TYPE_CHECKING:
    from registry.auth.models import User

# Stored values; labels live in consultations.labels so they are translated per request.
CHANNELS = ("visit", "phone", "letter", "online")
OUTCOMES = ("answered", "referred", "complaint", "other")


class Consultation(db.Model):
    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(100))
    district: Mapped[str] = mapped_column(String(64))
    township: Mapped[str | None] = mapped_column(String(64))
    # What was asked and answered, in words fit to quote in a report: no names or phone numbers.
    summary: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # The complaint it was turned into ("转为投诉", registered by complaints.intake, which sets this;
    # the complaint's page finds the consultation by it): both records link to each other.
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), unique=True)

    recorded_by: Mapped[User] = relationship(lazy="joined")

    # The yearly report counts a district's consultations in a time range.
    __table_args__ = (Index("ix_consultations_district_received_at", "district", "received_at"),)

    def __repr__(self) -> str:
        return f"<Consultation {self.id} {self.channel}>"
