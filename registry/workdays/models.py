"""The working-day calendar: only the days that break the Monday-to-Friday rule are stored."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column

from registry.database import UTCDateTime
from registry.clock import utcnow
from registry.extensions import db


class CalendarSource(str, enum.Enum):
    LIBRARY = "library"  # seeded from the chinesecalendar package (State Council schedules)
    STAFF = "staff"  # entered or corrected by staff; seeding never touches it


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


class CalendarDay(db.Model):
    """A day whose status differs from the weekday rule (a holiday on a weekday, a 调休 Saturday),
    or any day staff decided explicitly."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool]
    # What the day is, e.g. 春节, 国庆节, 调休上班（国庆节）; stored data, shown as entered.
    name: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (CheckConstraint("source IN ('library', 'staff')", name="source"),)

    @property
    def id(self) -> int:
        """The audit log's subject id: the day as the number yyyymmdd."""
        return self.day.year * 10000 + self.day.month * 100 + self.day.day

    @property
    def matches_weekday_rule(self) -> bool:
        """True when storing the day changes nothing (staff restated the plain rule)."""
        return self.is_workday != is_weekend(self.day)

    def __repr__(self) -> str:
        return f"<CalendarDay {self.day} {'work' if self.is_workday else 'rest'} {self.source}>"


class CalendarYear(db.Model):
    """A year whose holiday schedule has been entered; years without a row count weekends only."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(16))
    # Staff checked the year against the State Council's published schedule.
    confirmed: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (CheckConstraint("source IN ('library', 'staff')", name="source"),)

    @property
    def id(self) -> int:
        """The audit log's subject id."""
        return self.year

    def __repr__(self) -> str:
        return f"<CalendarYear {self.year} {self.source}{' confirmed' if self.confirmed else ''}>"
