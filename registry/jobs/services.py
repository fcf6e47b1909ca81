"""Starting a job, following its progress, and who may see it.

A view calls a package's start function (which calls `start` here and flushes the row), commits, and
then `queue.submit(job)`: the worker must never look for a row that is not committed yet. The work
function runs later, in the worker (jobs.runner), with a `Progress` to report through.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from registry.auth.access import covers_district, in_district
from registry.auth.models import User
from registry.clock import utcnow
from registry.database import side_transaction
from registry.errors import Conflict, NotFound, NotPermitted
from registry.extensions import db
from registry.jobs.models import UNQUEUED, Failure, Job, JobStatus


@dataclass
class Outcome:
    """What a finished job hands back: facts for its result template, and a file when it makes one."""

    result: dict = field(default_factory=dict)
    file_data: bytes | None = None
    file_name: str | None = None
    file_type: str | None = None


class Progress:
    """How a work function reports: stages, rows done of a total, and checkpoints.

    `advance` commits: the rows the work flushed so far and the count of them become durable together,
    so a job killed after a checkpoint resumes from it and the bar never runs ahead of the database.
    """

    # Progress noted outside the work's transaction is written at most this often.
    REPORT_EVERY_SECONDS = 0.5

    def __init__(self, job: Job):
        self.job = job
        self.job_id = job.id
        self._reported_at = 0.0

    @property
    def params(self) -> dict:
        return self.job.params

    @property
    def staff(self) -> User:
        return self.job.started_by

    def stage(self, stage: str, total: int = 0, done: int = 0) -> None:
        self.job.stage, self.job.total, self.job.done = stage, total, done
        self.advance(done)

    def report(self, done: int, total: int | None = None, stage: str | None = None) -> None:
        """Note progress without committing the work: from inside slow_work(), where the session only reads
        (a PDF being drawn). Written in a short transaction of its own, at most every half second."""
        now = time.monotonic()
        if stage is None and total is None and now - self._reported_at < self.REPORT_EVERY_SECONDS:
            return
        self._reported_at = now
        values = {"done": done, "heartbeat_at": utcnow()}
        values.update({name: value for name, value in (("total", total), ("stage", stage)) if value is not None})
        with side_transaction() as connection:
            connection.execute(update(Job).where(Job.id == self.job_id).values(**values))

    def advance(self, done: int) -> None:
        self.job.done = done
        self.job.heartbeat_at = utcnow()
        db.session.commit()


def start(kind: str, work: Callable[[Progress], Outcome], staff: User, params: dict | None = None,
          subject_id: int | None = None) -> Job:
    """A queued job for `work`, started by `staff` (flushed; submit it after the commit)."""
    if not staff.is_staff:
        raise NotPermitted(_("只有工作人员可以处理。"))
    locale = get_locale()
    job = Job(kind=kind, function=f"{work.__module__}:{work.__name__}",
              params_json=json.dumps(params or {}, ensure_ascii=False, sort_keys=True), subject_id=subject_id,
              started_by_id=staff.id, district=staff.district, locale=str(locale) if locale else "zh",
              status=JobStatus.QUEUED.value, created_at=utcnow())
    db.session.add(job)
    db.session.flush()
    return job


# --- Reading ---------------------------------------------------------------------------------------

def may_see(job: Job, user: User | None) -> bool:
    """The staff member who started it, and staff covering its district (auth.access)."""
    if user is None or not user.is_staff:
        return False
    return job.started_by_id == user.id or covers_district(user, job.district)


def job_for(job_id: int, user: User) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound(_("没有找到这项任务。"))
    if not may_see(job, user):
        raise NotPermitted(_("这项任务不是您或您所在区县的同事发起的。"))
    return job


def recent_jobs(user: User, limit: int = 50) -> list[Job]:
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    return list(db.session.scalars(in_district(query, user, Job.district)))


def latest_for(kind: str, subject_id: int) -> Job | None:
    """The newest job of `kind` about one record (its page shows the progress)."""
    return db.session.scalar(select(Job).where(Job.kind == kind, Job.subject_id == subject_id)
                             .order_by(Job.id.desc()).limit(1))


def stalled_after() -> timedelta:
    return timedelta(seconds=current_app.config["JOBS_STALLED_SECONDS"])


def is_stalled(job: Job) -> bool:
    """Running, but no progress reported for a long while: its worker was killed or lost the database."""
    if job.status != JobStatus.RUNNING.value:
        return False
    last = job.heartbeat_at or job.started_at or job.created_at
    return last < utcnow() - stalled_after()


def may_retry(job: Job) -> bool:
    """A crashed or stalled job can be run again: the work continues where its last checkpoint left it."""
    return (job.status == JobStatus.FAILED.value and job.failure == Failure.CRASHED.value) or is_stalled(job)


def requeue(job: Job, user: User) -> Job:
    """Queue a crashed or stalled job again (flushed; submit it after the commit)."""
    if not may_see(job, user):
        raise NotPermitted(_("这项任务不是您或您所在区县的同事发起的。"))
    db.session.refresh(job, with_for_update=True)  # two presses of 重试 queue it once
    if not may_retry(job):
        raise Conflict(_("这项任务已经在运行或已经结束，不需要重试。"))
    job.status, job.failure, job.message = JobStatus.QUEUED.value, None, ""
    job.stage = "" if job.stage == UNQUEUED else job.stage
    job.heartbeat_at = utcnow()
    db.session.flush()
    return job


def status_of(job: Job) -> dict:
    """What the progress endpoint answers (numbers and codes; the page words them)."""
    return {"id": job.id, "status": job.status, "stage": job.stage, "done": job.done, "total": job.total,
            "percent": job.percent, "finished": job.is_finished, "stalled": is_stalled(job)}
