"""QR badges: one valid badge per shop; a re-issued badge voids the old serial."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import UTCDateTime
from registry.clock import utcnow
from registry.extensions import db

if TYPE_CHECKING:
    from registry.merchants.models import Merchant


class Badge(db.Model):
    __tablename__ = "badges"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    serial: Mapped[str] = mapped_column(String(24), unique=True)
    # Printed under the QR so it can be typed at /verify when scanning is not possible.
    verification_code: Mapped[str] = mapped_column(String(8), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(String(200))
    # The offline proof printed in the QR (badges/offline.py: base64url, 106 characters), signed once at
    # issue and kept, so a key rotation never changes the QR of a poster already on a door. None for
    # badges issued before proofs existed (`flask badges sign-missing` signs them).
    offline_proof: Mapped[str | None] = mapped_column(String(120))

    merchant: Mapped[Merchant] = relationship()

    __table_args__ = (Index("ix_badges_merchant_issued", "merchant_id", "issued_at"),)

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None
