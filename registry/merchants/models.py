"""Shops and the n-gram index that lets 1–2 character Chinese names be searched."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Index, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import UTCDateTime
from registry.clock import utcnow
from registry.extensions import db
from registry.uploads import StoredImage

if TYPE_CHECKING:
    from registry.auth.models import User


class Standing(str, enum.Enum):
    PENDING = "pending"
    ACTIVE = "active"
    WARNED = "warned"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    LAPSED = "lapsed"


# Stored values; labels live in merchants.labels so they are translated per request.
CATEGORIES = ("supermarket", "catering", "food", "liquor", "cosmetics", "clothing", "appliances", "services", "other")


class Merchant(db.Model):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # The name as search compares it (see merchants.services.normalize_search_text).
    search_name: Mapped[str] = mapped_column(String(100), default="")
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    category: Mapped[str] = mapped_column(String(32))
    district: Mapped[str] = mapped_column(String(64), index=True)
    township: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(200))
    contact_phone: Mapped[str] = mapped_column(String(11))
    owner_name: Mapped[str] = mapped_column(String(64))
    # Opaque, unguessable code in the QR URL; never the database id.
    public_code: Mapped[str] = mapped_column(String(16), unique=True)
    standing: Mapped[str] = mapped_column(String(16), default=Standing.PENDING.value, index=True)
    standing_reason: Mapped[str | None] = mapped_column(String(500))
    standing_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The Beijing date the association last verified the business licence (merchants/licences.py), None
    # when it never did or withdrew it: the QR page, search and the API say it in one line.
    licence_verified_on: Mapped[date | None] = mapped_column(Date)
    # Optimistic lock: an edit made from a stale form is refused instead of silently overwriting.
    version: Mapped[int] = mapped_column(default=1)
    # The version of the shop's public page: bumped in the same transaction as every change the QR
    # page shows (registry/page_versions.py); the page cache is keyed by it (lookup/page_cache.py).
    page_version: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    owner: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_public(self) -> bool:
        return self.standing != Standing.PENDING.value

    def __repr__(self) -> str:
        return f"<Merchant {self.id} {self.name}>"


class MerchantNameGram(db.Model):
    """Every 1- and 2-character piece of a shop's name, so 超市 is an indexed equality lookup.

    SQLite's FTS5 trigram tokenizer and PostgreSQL's pg_trgm both ignore queries shorter than
    three characters, which are most Chinese shop-name searches.
    """

    __tablename__ = "merchant_name_grams"

    gram: Mapped[str] = mapped_column(String(2), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True)
    # Where the gram sits in the name (GRAM_RANK_*): search lists the whole name first, then names
    # that start with the query, then the rest. Kept in the index so a 1-character query matching
    # most of a million shops reads its first page in index order instead of sorting every match.
    rank: Mapped[int] = mapped_column(SmallInteger, default=2, server_default=text("2"))
    # The length of the shop's search name: within a rank the shorter name is the closer match
    # (美好生活 finds 美好生活超市 before 美好生活生活超市).
    name_length: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))
    # Whether the shop is public (not pending): search counts and pages one gram's public shops from
    # the index alone, without reading a shop row per match. merchants.services keeps it in step.
    listed: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # The shop's district (a copy of Merchant.district, renamed with it): a search in one district reads
    # only that district's matches, however few of a common gram's shops are there.
    district: Mapped[str] = mapped_column(String(64), default="", server_default="")

    __table_args__ = (Index("ix_merchant_name_grams_merchant_id", "merchant_id"),
                      # Search's indexes: a gram's public shops in result order (lookup.queries), everywhere
                      # and in one district.
                      Index("ix_merchant_name_grams_search_order", "gram", "listed", "rank", "name_length",
                            "merchant_id"),
                      Index("ix_merchant_name_grams_district_order", "gram", "listed", "district", "rank",
                            "name_length", "merchant_id"))


GRAM_RANK_WHOLE_NAME, GRAM_RANK_PREFIX, GRAM_RANK_INSIDE = 0, 1, 2


# Why a shop's stored standing changed (StandingChange.cause).
CAUSE_SIGNED = "signed"  # the pledge was signed (first time, renewal, after a lapse or a reinstatement)
CAUSE_LAPSE = "lapse"  # the signature ran out, or a new version was not re-signed in time
CAUSE_SANCTION = "sanction"  # a warning, suspension or revocation took effect
CAUSE_SANCTION_ENDED = "sanction_ended"  # a sanction reached its end
CAUSE_APPEAL_GRANTED = "appeal_granted"  # a sanction was lifted on appeal
CAUSE_REINSTATED = "reinstated"  # lifted after rectification (信用修复); the shop must sign again
CAUSE_REPAIRED = "repaired"  # the shop's credit repair application was granted (moderation.repairs)
STANDING_CAUSES = (CAUSE_SIGNED, CAUSE_LAPSE, CAUSE_SANCTION, CAUSE_SANCTION_ENDED, CAUSE_APPEAL_GRANTED,
                   CAUSE_REINSTATED, CAUSE_REPAIRED)


class StandingChange(db.Model):
    """Each change of a shop's stored standing, as data (reports count lapses from it; the audit
    log keeps the same change in its chain)."""

    __tablename__ = "standing_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    old: Mapped[str | None] = mapped_column(String(16))
    new: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(String(16))
    # The reason written on the shop (public), if any.
    reason: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None for the daily jobs.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index("ix_standing_changes_new_at", "new", "at"),)



# How an officer saw the business licence (LicenceCheck.method).
LICENCE_ON_SITE = "on_site"  # the original, on the shop's wall, during a visit
LICENCE_PHOTO = "photo"  # a photo of the licence, kept privately with the check
LICENCE_METHODS = (LICENCE_ON_SITE, LICENCE_PHOTO)


class LicenceCheck(db.Model):
    """An officer's check of a shop's business licence: name and credit code matched what was
    registered. Withdrawn rather than deleted, so the history (and the audit log) keeps it."""

    __tablename__ = "licence_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    checked_on: Mapped[date] = mapped_column(Date)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(200))  # internal: staff only
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdraw_reason: Mapped[str | None] = mapped_column(String(200))

    officer: Mapped[User] = relationship(foreign_keys=[officer_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])
    photos: Mapped[list[LicencePhoto]] = relationship(back_populates="check", order_by="LicencePhoto.id")

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None


class LicencePhoto(StoredImage, db.Model):
    """A photo of the licence behind a check (private storage: staff of the shop's district only)."""

    __tablename__ = "licence_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("licence_checks.id"), index=True)

    check: Mapped[LicenceCheck] = relationship(back_populates="photos")
