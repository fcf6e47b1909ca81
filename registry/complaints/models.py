"""Complaints against the pledge, their append-only timeline and evidence photos."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import UTCDateTime
from registry.clock import china_date, utcnow
from registry.extensions import db
from registry.uploads import StoredImage

from registry.pledges.models import CLAUSE_KINDS as PLEDGE_CLAUSE_KINDS, PledgeVersion

if TYPE_CHECKING:
    from registry.auth.models import User
    from registry.merchants.models import Merchant

# The kind of promise the consumer says was broken: the pledge's own vocabulary (pledges.models), whose
# "other" also stands for a problem no clause of the signed pledge covers.
CLAUSE_KINDS = PLEDGE_CLAUSE_KINDS
DEMANDS = ("refund", "exchange", "apology", "compensation")
# Grounds for not accepting a complaint (市场监督管理投诉举报处理暂行办法 第十五条, condensed).
# How the complaint reached the association: "online" is the QR page's form (网上); the others are
# registered by staff on the consumer's behalf (complaints.intake): 来电, 来信, 来访, 网络 (another platform).
CHANNELS = ("online", "phone", "letter", "visit", "network")
STAFF_CHANNELS = CHANNELS[1:]
# How the consumer consented to their data being processed: ticked on the online form, or given to an
# officer (verbally on the phone or at the desk, in writing in a letter or on a signed form).
CONSENT_KINDS = ("online", "verbal", "written")
REFUSAL_GROUNDS = ("not_consumer_dispute", "no_jurisdiction", "already_handled", "court_or_arbitration",
                   "time_limit", "no_evidence", "duplicate", "other")


def _received_default(context) -> date:
    """An online complaint arrives when it is filed (in Beijing)."""
    filed = context.get_current_parameters().get("filed_at") if context is not None else None
    return china_date(filed or utcnow())


class Complaint(db.Model):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(20), unique=True)
    # The registered shop complained about; NULL while the complaint is against a business not in the
    # registry (business_id), until staff link that business to a shop (complaints.intake).
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    business_id: Mapped[int | None] = mapped_column(ForeignKey("unlisted_businesses.id"), index=True)
    # Filed once, never edited: corrections and replies are events.
    # The pledge the shop had signed when the complaint was filed (the current one if it had signed
    # none) and the number of the clause cited in it; no number: a problem none of its clauses covers.
    # Complaints filed before these were recorded carry what the migration could infer, or NULL.
    pledge_version_id: Mapped[int | None] = mapped_column(ForeignKey("pledge_versions.id"))
    clause_number: Mapped[int | None]
    # The cited clause's kind (or "other"), kept on the complaint: counts and labels go by kind.
    clause_kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    purchase_date: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int]
    demands: Mapped[str] = mapped_column(String(100))  # comma-separated DEMANDS
    consumer_name: Mapped[str | None] = mapped_column(String(64))
    consumer_phone: Mapped[str | None] = mapped_column(String(11))
    # A letter may carry only a postal address: personal data like the phone (never public, never shown
    # to the shop, purged with the phone by complaints.retention).
    consumer_address: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16), default="online", server_default="online", index=True)
    # The officer who registered it on the consumer's behalf (NULL: filed online by the consumer).
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    consent_kind: Mapped[str] = mapped_column(String(16), default="online", server_default="online")
    consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Marked by staff as the same case as another complaint, which carries on (status "duplicate").
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    privacy_consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Separate, optional consent: only then does the shop see the full phone number.
    share_phone_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SHA-256 of the secret in the consumer's case link; the link itself is never stored.
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The form's one-time key, so a double-submitted form creates one complaint.
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)

    status: Mapped[str] = mapped_column(String(16), default="filed", index=True)
    outcome: Mapped[str | None] = mapped_column(String(16))
    refusal_ground: Mapped[str | None] = mapped_column(String(32))
    public_summary: Mapped[str | None] = mapped_column(String(200))
    amount_recovered_cents: Mapped[int | None]
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The China date the complaint reached the association (the letter's date, within limits, for
    # staff intake); the decision clock and the "received" figures start from it. Declared after
    # filed_at so its default can read it.
    received_on: Mapped[date] = mapped_column(Date, index=True, default=_received_default)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The legal clock now running (decision, reply or mediation), as a China date.
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    due_uses_fallback: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    mediation_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followup_resolved: Mapped[bool | None]
    followup_satisfaction: Mapped[int | None]
    followup_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optimistic lock carried through staff forms: two officers acting at once, one wins.
    version: Mapped[int] = mapped_column(default=1)

    merchant: Mapped[Merchant | None] = relationship()
    business: Mapped[UnlistedBusiness | None] = relationship(foreign_keys=[business_id])
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])
    consent_recorded_by: Mapped[User | None] = relationship(foreign_keys=[consent_recorded_by_id])
    duplicate_of: Mapped[Complaint | None] = relationship(remote_side=[id], foreign_keys=[duplicate_of_id])
    pledge_version: Mapped[PledgeVersion | None] = relationship()
    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id", lazy="selectin"
    )
    photos: Mapped[list[EvidencePhoto]] = relationship(back_populates="complaint", order_by="EvidencePhoto.id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_complaints_merchant_status_filed", "merchant_id", "status", "filed_at"),
        # The QR page's newest published complaints and the 12-month figures read this range.
        Index("ix_complaints_merchant_decided", "merchant_id", "decided_at"),
        CheckConstraint("merchant_id IS NOT NULL OR business_id IS NOT NULL", name="merchant_or_business"),
    )

    @property
    def demand_list(self) -> list[str]:
        return [d for d in self.demands.split(",") if d]

    @property
    def is_public(self) -> bool:
        """Published once staff accepted it; refused and undecided complaints stay private."""
        return self.decided_at is not None and self.status not in ("filed", "refused", "duplicate")

    @property
    def district(self) -> str:
        """The district of the shop, or of the unregistered business (staff scoping goes by it)."""
        return self.merchant.district if self.merchant is not None else self.business.district

    @property
    def township(self) -> str | None:
        return self.merchant.township if self.merchant is not None else self.business.township

    @property
    def business_name(self) -> str:
        return self.merchant.name if self.merchant is not None else self.business.name


class UnlistedBusiness(db.Model):
    """A business complained about that is not in the registry (yet): what the consumer could tell.

    Staff may later link it to a registered shop; its complaints then move to that shop (audited) and
    this row keeps the link for the record.
    """

    __tablename__ = "unlisted_businesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="", server_default="")
    credit_code: Mapped[str | None] = mapped_column(String(18))
    district: Mapped[str] = mapped_column(String(64), index=True)
    township: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    linked_merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    linked_merchant: Mapped[Merchant | None] = relationship(foreign_keys=[linked_merchant_id])


class ComplaintEvent(db.Model):
    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_role: Mapped[str] = mapped_column(String(16))  # consumer / merchant / staff / system
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str | None] = mapped_column(Text)
    # Structured facts of the event (ground, amount, offer, meeting time…), JSON text.
    data: Mapped[str] = mapped_column(Text, default="{}")
    is_public: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A shop's reply in which personal data was found is stored masked and waits for staff
    # (complaints.replies) before it is public.
    held_for_review: Mapped[bool] = mapped_column(default=False, server_default=text("false"), index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Staff hid a published reply: the public sees only this reason in its place.
    hidden_reason: Mapped[str | None] = mapped_column(String(200))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complaint: Mapped[Complaint] = relationship(back_populates="events")

    @property
    def public_text(self) -> str:
        """What the public reads for this event: a hidden reply's reason, never its words."""
        return self.hidden_reason if self.hidden_reason is not None else (self.body or "")


class EvidencePhoto(StoredImage, db.Model):
    __tablename__ = "evidence_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)

    complaint: Mapped[Complaint] = relationship(back_populates="photos")


class CallBack(db.Model):
    """One 回访 call staff made to the consumer after the case was concluded (complaints.callbacks).

    Several attempts per case are normal (no answer, then reached). `remarks` are the officer's notes:
    internal, never on the consumer's, the shop's or any public page, and not copied into the timeline
    or the audit chain.
    """

    __tablename__ = "complaint_callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    reached: Mapped[bool]
    # Asked only when the consumer was reached.
    resolved: Mapped[bool | None]
    satisfaction: Mapped[int | None]
    remarks: Mapped[str | None] = mapped_column(Text)


class ShopComplaintFigures(db.Model):
    """A shop's last-12-months complaint figures as the QR page shows them (complaints.figures).

    Kept by the complaint services whenever a case of the shop moves, and rolled forward daily by
    `flask complaints refresh-figures`, so the QR page reads one row instead of the shop's cases.
    Shops without a row have no counted complaints.
    """

    __tablename__ = "shop_complaint_figures"

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True)
    accepted: Mapped[int]
    resolved: Mapped[int]
    concluded: Mapped[int] = mapped_column(default=0, server_default=text("0"))  # closed with an outcome
    median_reply_days: Mapped[float | None]
    by_clause: Mapped[str] = mapped_column(Text, default="{}")  # JSON {clause_kind: count}
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
