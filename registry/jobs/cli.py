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
