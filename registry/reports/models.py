"""Stored reports: the public figures computed by the daily job, so /stats and the API's yearly
statistics do not recount millions of complaints on a page view."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.database import UTCDateTime
from registry.extensions import db


class ReportSnapshot(db.Model):
    __tablename__ = "report_snapshots"

    # "<start>|<end>|<district or empty>" (reports.snapshots.snapshot_key)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[str] = mapped_column(Text)  # the Report's fields as JSON (aggregates only)
