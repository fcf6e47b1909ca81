"""The append-only, hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.audit import triggers
from registry.database import UTCDateTime
from registry.clock import utcnow
from registry.extensions import db

GENESIS_HASH = "0" * 64


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None]
    # Canonical JSON of the facts recorded (what changed, from what to what).
    data: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    # A district officer's page looks entries up by subject and by actor (audit.queries.entries_about_district);
    # with these both databases read only the district's entries instead of every one.
    __table_args__ = (Index("ix_audit_entries_subject", "subject_type", "subject_id"),)

    def canonical_json(self) -> str:
        """The exact text the hash covers: every field but the id and the hashes themselves."""
        payload = {
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "action": self.action,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "data": json.loads(self.data),
        }
        return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.canonical_json()).encode("utf-8")).hexdigest()


# The database refuses UPDATE and DELETE on this table (see registry.audit.triggers).
triggers.install(AuditEntry.__table__)
