"""Pledge texts (immutable once published) and the signatures shops put under them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import UTCDateTime
from registry.clock import utcnow
from registry.extensions import db

if TYPE_CHECKING:
    from registry.merchants.models import Merchant

# What kind of promise a clause is: the one vocabulary of clauses (labels in pledges.labels). Complaints
# and sanctions name a kind too; for them "other" also means "none of the pledge's clauses".
CLAUSE_KINDS = ("counterfeit", "inferior", "false_advertising", "price_fraud", "forced_sale", "after_sales", "other")
OTHER_CLAUSE = "other"
# How a signature was given (Signature.method); labels in pledges.labels.
ONLINE, ONSITE_SMS, ONSITE_PAPER = "online", "onsite_sms", "onsite_paper"
SIGNING_METHODS = (ONLINE, ONSITE_SMS, ONSITE_PAPER)


class PledgeVersion(db.Model):
    __tablename__ = "pledge_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(String(100))
    preamble: Mapped[str] = mapped_column(Text)
    preamble_en: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None while a draft; the newest published version is the current one.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Shops whose signature is of an older version must sign this one by then, or they lapse.
    resign_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)

    clauses: Mapped[list[PledgeClause]] = relationship(
        back_populates="version", order_by="PledgeClause.number", lazy="selectin"
    )

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class PledgeClause(db.Model):
    __tablename__ = "pledge_clauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("pledge_versions.id"))
    number: Mapped[int]
    # One of CLAUSE_KINDS: complaints name the kind of promise they say was broken.
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    # An English rendering for English readers; the Chinese text is what is signed.
    text_en: Mapped[str | None] = mapped_column(Text)

    version: Mapped[PledgeVersion] = relationship(back_populates="clauses")

    __table_args__ = (UniqueConstraint("version_id", "number", name="uq_pledge_clauses_version_number"),)


class Signature(db.Model):
    __tablename__ = "signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Opaque id for the public certificate URL.
    certificate_code: Mapped[str] = mapped_column(String(16), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    pledge_version_id: Mapped[int] = mapped_column(ForeignKey("pledge_versions.id"))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(String(64))
    signer_title: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The exact UTF-8 text signed and its SHA-256, so anyone can recompute and compare.
    signed_text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    # How the owner signed (SIGNING_METHODS): online in the owner's account, or on site in front of an
    # officer, confirmed by an SMS code to the shop's phone or by a photo of the signed paper that the
    # officer attests. The officer is staff data: pages name `officer_unit` (the organisation), never them.
    method: Mapped[str] = mapped_column(String(16), default="online", server_default=text("'online'"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    officer_unit: Mapped[str | None] = mapped_column(String(120))

    merchant: Mapped[Merchant] = relationship()
    pledge_version: Mapped[PledgeVersion] = relationship(lazy="joined")

    __table_args__ = (Index("ix_signatures_merchant_signed", "merchant_id", "signed_at"),)

    def is_valid_at(self, moment: datetime) -> bool:
        return self.signed_at <= moment < self.expires_at

    @property
    def is_on_site(self) -> bool:
        return self.method != ONLINE
