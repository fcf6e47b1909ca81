"""Handing a committed job to the RQ queue in Redis (JOBS_REDIS_URL), or running it here without one.

Production requires the queue (registry/config.py refuses to start without it): a request must never
do a minute of work. Development and tests without Redis run the job in-process at once, through the
same `runner.perform`, so the pages behave the same, only slower to answer.
"""

from __future__ import annotations

import logging
import secrets

from flask import current_app

from registry.extensions import db
from registry.jobs import runner
from registry.jobs.models import UNQUEUED, Failure, Job, JobStatus

log = logging.getLogger(__name__)

QUEUE_NAME = "registry"


def redis_url() -> str | None:
    return current_app.config.get("JOBS_REDIS_URL") or None


def connection():
    from redis import Redis

    return Redis.from_url(redis_url(), socket_connect_timeout=2, socket_timeout=10)


def rq_queue(redis=None):
    from rq import Queue

    return Queue(QUEUE_NAME, connection=redis or connection(),
                 default_timeout=current_app.config["JOBS_TIMEOUT_SECONDS"])


def submit(job: Job) -> None:
    """Queue a committed job (or run it now when no queue is configured)."""
    if redis_url() is None:
        if current_app.config["REGISTRY_ENV"] == "production":
            # A gunicorn worker doing a minute's work would be killed at its timeout, half done.
            log.error("job %s not run: JOBS_REDIS_URL is not set (deploy/DEPLOY.md, \"Jobs worker\")", job.id)
            _mark_unqueued(job)
            return
        runner.perform(job.id, reraise=False)
        return
    from redis.exceptions import RedisError
    from rq import Retry

    config = current_app.config
    try:
        rq_queue().enqueue_call(
            runner.perform, args=(job.id,), job_id=f"registry-job-{job.id}-{secrets.token_hex(4)}",
            timeout=config["JOBS_TIMEOUT_SECONDS"], result_ttl=3600, failure_ttl=7 * 24 * 3600,
            retry=Retry(max=config["JOBS_RETRIES"], interval=config["JOBS_RETRY_INTERVALS"]),
            description=f"{job.kind} #{job.id}")
    except RedisError:
        # The queue is away: the job says so (and may be retried from its page) instead of a 500.
        log.exception("job %s could not be queued", job.id)
        _mark_unqueued(job)


def _mark_unqueued(job: Job) -> None:
    """The job's page says the queue is away, and offers 重试 for when it is back."""
    db.session.rollback()
    stored = db.session.get(Job, job.id)
    stored.status, stored.failure, stored.stage = JobStatus.FAILED.value, Failure.CRASHED.value, UNQUEUED
    db.session.commit()
