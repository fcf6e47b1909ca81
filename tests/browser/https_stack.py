"""The production stack as deployed, for browser tests: gunicorn with gunicorn.conf.py and
REGISTRY_ENV=production behind nginx with the shipped deploy/nginx/app.conf + maps.conf over TLS
(a self-signed certificate made here with the openssl CLI), on free 127.0.0.1 ports, against this
test's database. Processes come from bench/servers.py (the same launchers the benchmark measures);
each is stopped by its own pid, and every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from bench.servers import Server, free_port, gunicorn, nginx, self_signed_certificate
from registry.config import DEMO_ISSUER
from registry.extensions import db
from tests.conftest import make_app
from tests.production import BADGE_SIGNING_TEST_KEY

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "https-stack-secret-key-0123456789-abcdefghijklmnop"


@dataclass
class HttpsStack:
    url: str  # https://127.0.0.1:<nginx port>, also the app's PUBLIC_BASE_URL (printed in QR codes)
    app: Flask  # in-process, on the same database: for seeding and reading back (testing settings)
    gunicorn: Server  # the first app instance
    nginx: Server
    instances: list[Server]  # every app instance in nginx's upstream (one unless asked for more)
    evidence: Path  # EVIDENCE_DIR, shared by the instances
    worker: subprocess.Popen | None = None  # `flask jobs worker` on the same Redis, when asked for


@contextmanager
def jobs_worker(env: dict, workdir: Path) -> Iterator[subprocess.Popen]:
    """`flask jobs worker` (RQ, forking a work horse per job) as deployed; stopped with its own process group
    (the worker and its horse), SIGTERM first."""
    log_file = open(workdir / "jobs-worker.log", "ab")
    process = subprocess.Popen([str(REPO_ROOT / ".venv" / "bin" / "flask"), "jobs", "worker"], cwd=REPO_ROOT,
                               env=dict(env, FLASK_APP="wsgi:app"), stdout=log_file, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log_file.close()


def missing_tools() -> str | None:
    """Why the stack cannot start here (None when it can)."""
    for tool, package in (("nginx", "nginx-light"), ("openssl", "openssl")):
        if shutil.which(tool) is None:
            return f"{tool} not found (apt-get install {package})"
    return None


def _flush_redis(url: str) -> None:
    """Rate-limit counters of earlier runs must not decide this one (the test's own Redis database)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


@contextmanager
def https_stack(database_url: str, workdir: Path, redis_url: str, workers: int = 2,
                instances: int = 1, with_jobs_worker: bool = False) -> Iterator[HttpsStack]:
    """Start nginx (TLS) → gunicorn (production settings) on `database_url`; stop both on exit. With
    `instances` > 1, that many gunicorns, each with `workers`, sharing the database, Redis and EVIDENCE_DIR,
    in one nginx upstream (as two hosts would be). With `with_jobs_worker`, jobs go to an RQ queue on
    `redis_url` and a `flask jobs worker` runs them."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    evidence = workdir / "evidence"
    app = make_app(database_url, PUBLIC_BASE_URL=url, EVIDENCE_DIR=str(evidence))
    _flush_redis(redis_url)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("GUNICORN_", "RATELIMIT_", "SMS_", "JOBS_")) and name not in ("DATABASE_URL", "WEB_CONCURRENCY")}
    env.update(REGISTRY_ENV="production", SECRET_KEY=SECRET_KEY, PUBLIC_BASE_URL=url, TRUSTED_HOSTS="127.0.0.1",
               PROXY_COUNT="1", RATELIMIT_STORAGE_URI=redis_url, SMS_SENDER="outbox", DATABASE_URL=database_url,
               EVIDENCE_DIR=str(evidence), BADGE_SIGNING_KEY=BADGE_SIGNING_TEST_KEY, **DEMO_ISSUER)
    if with_jobs_worker:
        env["JOBS_REDIS_URL"] = redis_url
    with ExitStack() as stack:
        app_servers = [stack.enter_context(gunicorn(f"https-app-{n}" if n else "https-app", "wsgi:app", env, workdir,
                                                    workers)) for n in range(instances)]
        proxy = stack.enter_context(nginx("https", [server.port for server in app_servers], workdir, REPO_ROOT,
                                          port=port, tls=self_signed_certificate(workdir),
                                          ready_path="/static/css/app.css"))
        worker = stack.enter_context(jobs_worker(env, workdir)) if with_jobs_worker else None
        try:
            yield HttpsStack(url, app, app_servers[0], proxy, app_servers, evidence, worker)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
