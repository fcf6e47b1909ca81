"""The RQ worker with the application: `flask jobs worker` (deploy/systemd/registry-worker.service).

RQ forks a work horse per job; the horse inherits the parent's pooled database connections, which two
processes must never share, so it drops them (without closing the parent's) and runs the job in a fresh
application context. A horse that runs past JOBS_TIMEOUT_SECONDS is killed by RQ and the attempt is
retried like a crash.
"""

from __future__ import annotations

from flask import Flask
from rq import Worker

from registry.extensions import db
from registry.jobs.queue import connection, rq_queue


class AppWorker(Worker):
    app: Flask

    def perform_job(self, job, queue, execution):
        with self.app.app_context():
            db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue, execution)
            finally:
                db.session.remove()


def run_worker(app: Flask, burst: bool = False) -> bool:
    """Work the queue until stopped (SIGTERM finishes the current job first); with burst, until empty."""
    redis = connection()
    worker = AppWorker([rq_queue(redis)], connection=redis, name=None)
    worker.app = app
    return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
