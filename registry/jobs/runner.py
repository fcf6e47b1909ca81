"""Running one job: the function RQ calls (`perform`), the same in the worker and in-process.

A rule that refuses the work (a DomainError) ends the job as refused, with its message in the starter's
language; running it again would be refused again, so RQ does not retry it. Anything else (a lost
database, a bug, the worker's time limit) ends the attempt as crashed and is raised again for RQ's
retries; the work functions are written so that a second run continues from the last checkpoint and
never does a step twice (campaigns.imports skips the rows a batch already imported).
"""

from __future__ import annotations

import importlib
import json
import logging
from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import update

from registry.clock import utcnow
from registry.errors import DomainError
from registry.extensions import db
from registry.jobs.models import Failure, Job, JobStatus
from registry.jobs.services import Outcome, Progress, is_stalled

log = logging.getLogger(__name__)

# How long a finished job's file can be downloaded again from its page.
FILES_KEPT = timedelta(days=7)


def _work_function(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def perform(job_id: int, reraise: bool = True) -> str | None:
    """Run the job once; the status it ended with (None when there was nothing to run)."""
    db.session.rollback()
    job = db.session.get(Job, job_id, with_for_update=True)
    if job is None or job.status == JobStatus.DONE.value:
        db.session.rollback()
        return None  # a retry of a job that finished meanwhile: nothing left to do
    if job.status == JobStatus.RUNNING.value and not is_stalled(job):
        db.session.rollback()
        return None  # delivered twice while its first run is alive: one run at a time
    now = utcnow()
    job.status, job.failure, job.message = JobStatus.RUNNING.value, None, ""
    job.attempts += 1
    job.started_at = job.started_at or now
    job.heartbeat_at = now
    db.session.commit()
    try:
        with force_locale(job.locale):
            outcome: Outcome = _work_function(job.function)(Progress(job))
    except DomainError as error:
        db.session.rollback()
        _finish(job_id, JobStatus.FAILED, failure=Failure.REFUSED, message=error.message)
        return JobStatus.FAILED.value
    except Exception:
        db.session.rollback()
        log.exception("job %s (%s) crashed on attempt", job_id, job.kind)
        _finish(job_id, JobStatus.FAILED, failure=Failure.CRASHED)
        if reraise:
            raise
        return JobStatus.FAILED.value
    _finish(job_id, JobStatus.DONE, outcome=outcome)
    return JobStatus.DONE.value


def _finish(job_id: int, status: JobStatus, failure: Failure | None = None, message: str = "",
            outcome: Outcome | None = None) -> None:
    job = db.session.get(Job, job_id)
    job.status, job.failure, job.message = status.value, failure.value if failure else None, message
    job.finished_at = job.heartbeat_at = utcnow()
    if outcome is not None:
        job.result_json = json.dumps(outcome.result, ensure_ascii=False, sort_keys=True, default=str)
        if outcome.file_data is not None:
            job.file_data, job.file_name, job.file_type = outcome.file_data, outcome.file_name, outcome.file_type
        if job.total:
            job.done = job.total
    # A job's file (a poster PDF) is for fetching now, not an archive: older ones are let go here.
    db.session.execute(update(Job).where(Job.finished_at < job.finished_at - FILES_KEPT, Job.file_name.is_not(None))
                       .values(file_data=None, file_name=None, file_type=None))
    db.session.commit()
