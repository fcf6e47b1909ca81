"""A job: long work started by a staff member, run off the request path, with its progress and result.

The row is the durable record (RQ keeps only a job id in Redis): who started it and for which district
(who may see it), how far it got (committed with the work itself, so the count is never ahead of the rows),
how it ended, and a result file when the work produces one (a poster PDF).
"""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from registry.clock import utcnow
from registry.database import UTCDateTime
from registry.extensions import db

if TYPE_CHECKING:
    from registry.auth.models import User


class JobStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Failure(str, enum.Enum):
    REFUSED = "refused"  # a rule refused the work (its message is kept); running it again changes nothing
    CRASHED = "crashed"  # an unexpected error or a killed worker; running it again continues the work


# The stage of a job the queue never took (Redis away, or not configured in production).
UNQUEUED = "unqueued"


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)  # labels.KIND_LABELS
    # The work function, "package.module:function" (jobs.services.start); called with a Progress.
    function: Mapped[str] = mapped_column(String(200))
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    # The record the work is about (an import batch), to find its job from the record's page.
    subject_id: Mapped[int | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value, index=True)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The starter's district: staff of that district may follow the job too (auth.access).
    district: Mapped[str | None] = mapped_column(String(64), index=True)
    # The starter's language: a refusal is worded in it.
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Touched at every progress step: a running job whose heartbeat stops has lost its worker.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    stage: Mapped[str] = mapped_column(String(32), default="")  # labels.STAGE_LABELS
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    result_json: Mapped[str] = mapped_column(Text, default="{}")
    failure: Mapped[str | None] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_type: Mapped[str | None] = mapped_column(String(100))
    file_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    started_by: Mapped[User] = relationship()

    @property
    def params(self) -> dict:
        return json.loads(self.params_json or "{}")

    @property
    def result(self) -> dict:
        return json.loads(self.result_json or "{}")

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE.value, JobStatus.FAILED.value)

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE.value:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0
