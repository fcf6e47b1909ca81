"""/healthz for the load balancer: can this worker serve? Database, schema version, limiter storage.

No authentication, no rate limit, no session, no personal data: only the state of each dependency.
200 when the worker can serve (Redis away only degrades the rate limits to per-worker counting);
503 when the database cannot be reached or its schema is older than this code. With a standby configured
(DATABASE_REPLICA_URL), "replica" says whether public reads go to it (ok) or fall back to the primary
(lagging, down, not_standby: degraded, still 200), with the replay lag it measured.
"""

from __future__ import annotations

import logging
from functools import cache

from flask import Blueprint, current_app
from sqlalchemy import text

from registry.config import PROJECT_ROOT
from registry.extensions import db, limiter
from registry.replica import replica_of

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@cache
def known_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """(heads, every revision) of this release's migration scripts, read once per process."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    return frozenset(scripts.get_heads()), frozenset(script.revision for script in scripts.walk_revisions())


def database_checks() -> tuple[str, str]:
    """("ok" | "down", "ok" | "ahead" | "behind" | "unknown") for the database and its schema."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            try:
                applied = frozenset(connection.scalars(text("SELECT version_num FROM alembic_version")))
            except Exception:  # noqa: BLE001 — no alembic_version table: the schema was never migrated
                return "ok", "unknown"
    except Exception as error:  # noqa: BLE001 — any failure to reach the database means "down"
        log.warning("health: database unreachable: %s", error.__class__.__name__)
        return "down", "unknown"
    heads, revisions = known_revisions()
    if applied == heads:
        return "ok", "ok"
    if applied - revisions:
        # Migrated by a newer release during a rolling upgrade: migrations stay compatible with the
        # previous release (DEPLOY.md), so this worker still serves until it is replaced.
        return "ok", "ahead"
    return "ok", "behind"


def limiter_storage_check() -> str:
    """The rate-limit storage: ok, degraded (Redis away: each worker counts alone), memory (no Redis), off."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return "off"
    if not current_app.config.get("RATELIMIT_STORAGE_URI", "memory://").startswith("redis"):
        return "memory"
    return "ok" if limiter.storage.check() else "degraded"


@bp.get("/healthz")
@limiter.exempt
def healthz():
    database, migrations = database_checks()
    storage = limiter_storage_check()
    if database != "ok" or migrations not in ("ok", "ahead"):
        status = "down"
    elif storage == "degraded":
        status = "degraded"
    else:
        status = "ok"
    body = {"status": status, "checks": {"database": database, "migrations": migrations,
                                         "rate_limit_storage": storage}}
    replica = replica_of(current_app)
    if replica is not None:
        standby = replica.status(fresh=True)
        body["checks"]["replica"] = standby.state
        if standby.lag_seconds is not None:
            body["replica_lag_seconds"] = round(standby.lag_seconds, 3)
        if not standby.usable and status == "ok":
            body["status"] = "degraded"
    response = current_app.json.response(body)
    response.status_code = 503 if status == "down" else 200
    response.headers["Cache-Control"] = "no-store"
    return response
