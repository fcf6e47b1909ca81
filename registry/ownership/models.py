"""Ownership claims."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.clock import utcnow
from registry.database import UTCDateTime
from registry.extensions import db
from registry.uploads import StoredImage

if TYPE_CHECKING:
    from registry.auth.models import User
    from registry.merchants.models import Merchant

CLAIM_PENDING, CLAIM_TRANSFERRED, CLAIM_REJECTED = "pending", "transferred", "rejected"
CLAIM_STATUSES = (CLAIM_PENDING, CLAIM_TRANSFERRED, CLAIM_REJECTED)


class OwnershipClaim(StoredImage, db.Model):
    """A claim that the shop registered under a credit code belongs to the claimant; the photo of the
    business licence is the row's stored image (private, served to staff only)."""

    __tablename__ = "ownership_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    # The signed-in account the shop moves to when the claim is upheld.
    claimant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    claimant_name: Mapped[str] = mapped_column(String(64))
    # Confirmed by SMS code when the claim was filed; the shop's contact phone after a transfer.
    phone: Mapped[str] = mapped_column(String(11))
    statement: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=CLAIM_PENDING, index=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Told to the claimant (a rejection's reason, or a transfer's note).
    decision_reason: Mapped[str | None] = mapped_column(Text)
    internal_note: Mapped[str | None] = mapped_column(Text)
    # Who owned the shop before a transfer (None for a shop nobody had claimed): their owner area
    # tells them for a while (ownership.notices).
    previous_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Optimistic lock: two officers deciding at once, one wins.
    version: Mapped[int] = mapped_column(default=1)

    merchant: Mapped[Merchant] = relationship()
    claimant: Mapped[User] = relationship(foreign_keys=[claimant_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One pending claim per shop and phone, even when the form is sent twice at once.
        Index("uq_ownership_claims_pending_phone", "merchant_id", "phone", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    @property
    def is_pending(self) -> bool:
        return self.status == CLAIM_PENDING
