"""Uploaded shop lists (kept server-side until staff decide) and the invitation codes of imported shops."""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import UTCDateTime
from registry.clock import utcnow
from registry.extensions import db
from registry.uploads import StoredImage

if TYPE_CHECKING:
    from registry.auth.models import User
    from registry.merchants.models import Merchant


class BatchStatus(str, enum.Enum):
    VALIDATED = "validated"  # parsed and checked; waiting for staff to import the valid rows or none
    IMPORTING = "importing"  # decided; a job is importing the valid rows (jobs, campaigns.imports.import_rows)
    IMPORTED = "imported"
    DISCARDED = "discarded"


class ImportBatch(db.Model):
    """One uploaded file: every row as read, with what is wrong with it, until staff decide.

    The rows live here rather than in the session: a signed cookie cannot hold 5,000 rows, and the
    decision must be taken once even when the button is pressed twice.
    """

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The uploader's district at upload time: staff of other districts may not see the batch.
    district: Mapped[str | None] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.VALIDATED.value, index=True)
    row_count: Mapped[int] = mapped_column(default=0)
    valid_count: Mapped[int] = mapped_column(default=0)
    # JSON list of {"line": spreadsheet row number, "values": {field: text}, "errors": {field: message}}.
    rows_json: Mapped[str] = mapped_column(Text, default="[]")
    # JSON list of header cells that matched no field (shown so staff know they were left out).
    ignored_columns_json: Mapped[str] = mapped_column(Text, default="[]")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_count: Mapped[int] = mapped_column(default=0)

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def rows(self) -> list[dict]:
        return json.loads(self.rows_json or "[]")

    @property
    def ignored_columns(self) -> list[str]:
        return json.loads(self.ignored_columns_json or "[]")

    @property
    def error_count(self) -> int:
        return self.row_count - self.valid_count

    @property
    def is_open(self) -> bool:
        return self.status == BatchStatus.VALIDATED.value


class ShopInvitation(db.Model):
    """The code on the letter that lets the real owner take over a shop staff imported."""

    __tablename__ = "shop_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), unique=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    merchant: Mapped[Merchant] = relationship()

    @property
    def display_code(self) -> str:
        """Printed and shown as ABCD-EFGH: easier to read aloud and to type."""
        return f"{self.code[:4]}-{self.code[4:]}"

    def is_usable_at(self, moment: datetime) -> bool:
        return self.used_at is None and moment < self.expires_at


class PaperPledgePhoto(StoredImage, db.Model):
    """The photo of a paper 倡议书 an owner without a mobile phone signed in front of an officer.

    Stored privately like complaint evidence (campaigns.onsite), shown to staff only; the officer's
    attestation (who, when, the name they typed) is kept with it and in the audit chain.
    """

    __tablename__ = "paper_pledge_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id"), unique=True)
    attested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    attested_name: Mapped[str] = mapped_column(String(64))
    attested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
