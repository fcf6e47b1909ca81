"""The managed list of districts (区/县) and their townships (乡镇/街道).

Shops, staff scopes, consultations and import batches keep the district and township *name* as text
(every scope check, report, search, API field and open-data column reads `merchant.district`); this
list decides which names may be stored, and renaming an entry rewrites those columns in the same
transaction (see areas.services).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import UTCDateTime
from registry.clock import utcnow
from registry.extensions import db


def _spellings(aliases: str) -> list[str]:
    return [line for line in (aliases or "").split("\n") if line]


class District(db.Model):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The canonical name, exactly as stored on shops and staff accounts, e.g. 西湖区.
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # Other accepted spellings, one per line (spaces, width and the 区/县 suffix are matched anyway).
    aliases: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The administrative division code (GB/T 2260, e.g. 330106 for 西湖区). A credit code's digits 3–8 name
    # the registration authority's division: a shop's code must come from this city (merchants.identifiers).
    division_code: Mapped[str | None] = mapped_column(String(6))
    # Inactive districts stay on existing records but are no longer offered or accepted.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    townships: Mapped[list[Township]] = relationship(back_populates="district", order_by="Township.id")

    @property
    def alias_list(self) -> list[str]:
        return _spellings(self.aliases)

    def __repr__(self) -> str:
        return f"<District {self.id} {self.name}>"


class Township(db.Model):
    __tablename__ = "townships"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    # Unique within its district only (two districts may both have a 城关镇).
    name: Mapped[str] = mapped_column(String(64))
    aliases: Mapped[str] = mapped_column(Text, default="", server_default="")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    district: Mapped[District] = relationship(back_populates="townships")

    __table_args__ = (UniqueConstraint("district_id", "name"),)

    @property
    def alias_list(self) -> list[str]:
        return _spellings(self.aliases)

    def __repr__(self) -> str:
        return f"<Township {self.id} {self.name}>"
