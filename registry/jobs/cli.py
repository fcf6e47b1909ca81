"""`flask jobs worker`: the process that runs queued jobs (deploy/DEPLOY.md, "Jobs worker")."""

from __future__ import annotations

import click
from flask import current_app


@click.group("jobs")
def jobs_group() -> None:
    """Long work off the request path (imports, poster PDFs, exports) on the RQ queue."""


@jobs_group.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (tests, one-off runs).")
def worker_command(burst: bool) -> None:
    """Run queued jobs from JOBS_REDIS_URL until stopped."""
    from registry.jobs.queue import redis_url
    from registry.jobs.worker import run_worker

    if redis_url() is None:
        raise click.ClickException("JOBS_REDIS_URL is not set: without a queue, jobs run inside the request "
                                   "that starts them and no worker is needed.")
    app = current_app._get_current_object()
    run_worker(app, burst=burst)


@jobs_group.command("status")
def status_command() -> None:
    """Queue length, workers, and jobs failed or stalled in the last day; exits 1 when something needs a person
    (for monitoring: a timer or a check that runs it)."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from registry.clock import utcnow
    from registry.extensions import db
    from registry.jobs.models import Job, JobStatus
    from registry.jobs.queue import connection, redis_url, rq_queue

    problems = []
    if redis_url() is None:
        click.echo("queue: none (JOBS_REDIS_URL not set): jobs run inside the request that starts them")
        if current_app.config["REGISTRY_ENV"] == "production":
            problems.append("production without a jobs queue")
    else:
        from rq import Worker

        redis = connection()
        workers = Worker.all(connection=redis)
        click.echo(f"queue: {len(rq_queue(redis))} waiting, {len(workers)} worker(s)")
        if not workers:
            problems.append("no worker is running")
    since = utcnow() - timedelta(days=1)
    failed = db.session.scalar(select(func.count()).where(Job.status == JobStatus.FAILED.value,
                                                          Job.failure == "crashed", Job.created_at >= since))
    stalled_before = utcnow() - timedelta(seconds=current_app.config["JOBS_STALLED_SECONDS"])
    stalled = db.session.scalar(select(func.count()).where(Job.status == JobStatus.RUNNING.value,
                                                           Job.heartbeat_at < stalled_before))
    click.echo(f"last 24 h: {failed} crashed job(s); now: {stalled} stalled job(s)")
    if stalled:
        problems.append(f"{stalled} stalled job(s)")
    if problems:
        raise click.ClickException("; ".join(problems))
