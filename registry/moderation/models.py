"""Flags, flag rules, sanctions and appeals."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import UTCDateTime
from registry.clock import utcnow
from registry.extensions import db
from registry.clock import CHINA
from registry.uploads import StoredImage
from registry.merchants import standing as standing_rule

if TYPE_CHECKING:
    from registry.auth.models import User
    from registry.merchants.models import Merchant

# Why a flag was raised.
FLAG_RULE, FLAG_MISUSED_BADGE, FLAG_STAFF = "rule", "misused_badge", "staff"
FLAG_KINDS = (FLAG_RULE, FLAG_MISUSED_BADGE, FLAG_STAFF)
FLAG_OPEN, FLAG_DISMISSED, FLAG_ACTIONED = "open", "dismissed", "actioned"
FLAG_STATUSES = (FLAG_OPEN, FLAG_DISMISSED, FLAG_ACTIONED)

# The rules an administrator can tune (see flags.DEFAULT_RULES for their defaults).
RULE_ACCEPTED_IN_WINDOW = "accepted_in_window"
RULE_COUNTERFEIT_ACCEPTED = "counterfeit_accepted"
RULE_BURST_SAME_PHONE = "burst_same_phone"
RULE_REPLY_OVERDUE = "reply_overdue"
RULE_CODES = (RULE_ACCEPTED_IN_WINDOW, RULE_COUNTERFEIT_ACCEPTED, RULE_BURST_SAME_PHONE, RULE_REPLY_OVERDUE)

WARNING, SUSPENSION, REVOCATION, REINSTATEMENT = "warning", "suspension", "revocation", "reinstatement"
SANCTION_KINDS = (WARNING, SUSPENSION, REVOCATION, REINSTATEMENT)
# The kinds that count against a shop (a reinstatement is the record of one being lifted).
NEGATIVE_KINDS = (WARNING, SUSPENSION, REVOCATION)

# A revocation is proposed, then approved by another officer, which puts it in force at once
# (approved_by/approved_at keep who and when); warnings and suspensions are in force when issued.
PROPOSED, ACTIVE, ENDED, REJECTED = "proposed", "active", "ended", "rejected"
SANCTION_STATUSES = (PROPOSED, ACTIVE, ENDED, REJECTED)

# Why a sanction stopped being in force.
END_EXPIRED, END_REINSTATED, END_APPEAL_GRANTED = "expired", "reinstated", "appeal_granted"
# Ended early because the shop's credit repair (信用修复) application was granted (moderation.repairs).
END_REPAIRED = "repaired"

APPEAL_PENDING, APPEAL_UPHELD, APPEAL_GRANTED = "pending", "upheld", "granted"
APPEAL_STATUSES = (APPEAL_PENDING, APPEAL_UPHELD, APPEAL_GRANTED)


class FlagRule(db.Model):
    """An automatic flag rule's settings; a rule without a row runs with its default settings."""

    __tablename__ = "flag_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # How many complaints within the last `window_days` days raise the flag.
    threshold: Mapped[int]
    window_days: Mapped[int]
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Flag(db.Model):
    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The FlagRule.code for kind "rule"; None for reports and staff flags.
    rule_code: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(500))
    # What made it fire, as JSON: counts, tracking numbers, the badge serial a consumer scanned…
    source_data: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default=FLAG_OPEN, index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    # The sanction taken on it, when staff acted.
    sanction_id: Mapped[int | None] = mapped_column(ForeignKey("sanctions.id"))

    merchant: Mapped[Merchant] = relationship()
    raised_by: Mapped[User | None] = relationship(foreign_keys=[raised_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    sanction: Mapped[Sanction | None] = relationship(back_populates="flags")

    __table_args__ = (
        # Never two open flags of one rule for one shop, even when two complaints arrive at once.
        Index("uq_flags_open_rule", "merchant_id", "rule_code", unique=True,
              sqlite_where=text("status = 'open' AND rule_code IS NOT NULL"),
              postgresql_where=text("status = 'open' AND rule_code IS NOT NULL")),
    )

    @property
    def source(self) -> dict:
        return json.loads(self.source_data or "{}")

    @property
    def is_open(self) -> bool:
        return self.status == FLAG_OPEN


class Sanction(db.Model):
    __tablename__ = "sanctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The pledge clause broken (complaints.models.CLAUSE_KINDS); None for a reinstatement.
    clause_kind: Mapped[str | None] = mapped_column(String(32))
    # Shown to the public on the QR page and to the shop.
    public_reason: Mapped[str] = mapped_column(String(500))
    # Staff only.
    internal_note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # In force from starts_at until ends_at (None: until lifted by reinstatement or appeal).
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # A suspension lifted only once the shop has put things right (整改后恢复).
    until_rectified: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(16))
    # Who turned a proposed revocation down, when and why.
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_note: Mapped[str | None] = mapped_column(Text)
    # The public page lists the mark until then (None: as long as it is in force).
    visible_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The standing the shop had before, so the record reads as a change.
    previous_standing: Mapped[str | None] = mapped_column(String(16))
    # When a credit repair (信用修复) ended this mark early: it stops counting at once and its public
    # listing says so for a short while (moderation.repairs).
    repaired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    merchant: Mapped[Merchant] = relationship()
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    rejected_by: Mapped[User | None] = relationship(foreign_keys=[rejected_by_id])
    flags: Mapped[list[Flag]] = relationship(back_populates="sanction")
    appeal: Mapped[Appeal | None] = relationship(back_populates="sanction", uselist=False)
    statement: Mapped[SanctionStatement | None] = relationship(back_populates="sanction", uselist=False)

    __table_args__ = (Index("ix_sanctions_merchant_status", "merchant_id", "status"),)

    @property
    def is_negative(self) -> bool:
        return self.kind in NEGATIVE_KINDS

    @property
    def last_day(self) -> date | None:
        """The last day (Beijing time) a sanction with an end is in force: 暂停至 <last_day>."""
        if self.ends_at is None:
            return None
        return (self.ends_at.astimezone(CHINA) - timedelta(microseconds=1)).date()

    def as_facts(self) -> standing_rule.SanctionFacts:
        """This row as the standing rule's plain input (merchants.standing)."""
        return standing_rule.SanctionFacts(self.id, self.kind, self.status, self.issued_at, self.starts_at,
                                           self.ends_at)

    def in_force_at(self, moment: datetime) -> bool:
        """Whether this sanction binds the shop at `moment` (the daily job may not have ended it yet);
        the standing rule decides, so pages and the API never disagree with the standing shown."""
        return self.as_facts().in_force_at(moment)

    def visible_at(self, moment: datetime) -> bool:
        """Whether the public page lists it: proposals and rejections never, marks until visible_until."""
        if self.status not in (ACTIVE, ENDED):
            return False
        return self.visible_until is None or moment < self.visible_until


class Appeal(db.Model):
    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One appeal per sanction, ever.
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanctions.id"), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=APPEAL_PENDING, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Told to the shop with the decision.
    decision_note: Mapped[str | None] = mapped_column(Text)
    # The decision's reasoning for staff only: never on the shop's pages, in its SMS or in public.
    internal_note: Mapped[str | None] = mapped_column(Text)

    sanction: Mapped[Sanction] = relationship(back_populates="appeal")
    merchant: Mapped[Merchant] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    photos: Mapped[list[AppealPhoto]] = relationship(back_populates="appeal", order_by="AppealPhoto.id")


class AppealPhoto(StoredImage, db.Model):
    """A photo the shop sent with its appeal (stored like complaint evidence, outside static/)."""

    __tablename__ = "appeal_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), index=True)

    appeal: Mapped[Appeal] = relationship(back_populates="photos")


class SanctionStatement(db.Model):
    """The shop's one short public statement beside a sanction (its right to reply).

    Screened like a complaint reply (complaints.replies): stored masked and held for staff when it
    carries personal data; staff may hide it with a public reason shown in its place.
    """

    __tablename__ = "sanction_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanctions.id"), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    body: Mapped[str] = mapped_column(String(400))
    held_for_review: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    written_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Public: the QR page shows it in place of a hidden statement.
    hidden_reason: Mapped[str | None] = mapped_column(String(200))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optimistic lock: an edit from a stale form, or a review racing an edit, is refused.
    version: Mapped[int] = mapped_column(default=1)

    sanction: Mapped[Sanction] = relationship(back_populates="statement")
    merchant: Mapped[Merchant] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_published(self) -> bool:
        """What the public reads: the statement itself (not held, not hidden)."""
        return not self.held_for_review and self.hidden_reason is None


# A credit repair application (信用修复): waiting, granted by one officer and waiting for a second
# (revocations only: the two-person rule), granted or refused.
REPAIR_PENDING, REPAIR_PROPOSED, REPAIR_GRANTED, REPAIR_REFUSED = "pending", "proposed", "granted", "refused"
REPAIR_STATUSES = (REPAIR_PENDING, REPAIR_PROPOSED, REPAIR_GRANTED, REPAIR_REFUSED)
REPAIR_OPEN = (REPAIR_PENDING, REPAIR_PROPOSED)


class CreditRepair(db.Model):
    __tablename__ = "credit_repairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanctions.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The shop's rectification statement (what it put right), for staff.
    rectification: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=REPAIR_PENDING, index=True)
    # The first officer's grant of a revoked shop's repair, waiting for a second officer.
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Told to the shop with the decision.
    decision_note: Mapped[str | None] = mapped_column(Text)
    # Staff only.
    internal_note: Mapped[str | None] = mapped_column(Text)

    sanction: Mapped[Sanction] = relationship()
    merchant: Mapped[Merchant] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    photos: Mapped[list[CreditRepairPhoto]] = relationship(back_populates="repair", order_by="CreditRepairPhoto.id")

    __table_args__ = (
        # One open application per sanction, even when the form is sent twice at once.
        Index("uq_credit_repairs_open", "sanction_id", unique=True,
              sqlite_where=text("status IN ('pending', 'proposed')"),
              postgresql_where=text("status IN ('pending', 'proposed')")),
    )

    @property
    def is_open(self) -> bool:
        return self.status in REPAIR_OPEN


class CreditRepairPhoto(StoredImage, db.Model):
    """Rectification evidence sent with a credit repair application (private, like appeal photos)."""

    __tablename__ = "credit_repair_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("credit_repairs.id"), index=True)

    repair: Mapped[CreditRepair] = relationship(back_populates="photos")
