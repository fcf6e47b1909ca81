"""Public reads from a PostgreSQL hot standby, and engine settings that survive PgBouncer.

Deny by default: a request reads from the standby (DATABASE_REPLICA_URL) only inside a view decorated
with `@replica_reads`, and only when all of these hold:
- it is a GET or HEAD from someone not signed in (Flask-Login's `_user_id` is not in the session);
- the client wrote nothing within REPLICA_OWN_WRITES_SECONDS: every request that posts or writes gets a
  short-lived cookie (`OWN_WRITES_COOKIE`) that sends its reads to the primary, so a user always sees
  what they just changed;
- this worker's last look at the standby (at most REPLICA_CHECK_SECONDS old) found it in recovery with
  its replay no more than REPLICA_MAX_LAG_SECONDS behind.
Otherwise, and whenever a query on the standby fails (retried once on the primary), the request reads
from the primary; each change of the standby's state is logged once per worker and /healthz shows it.

A declared view must never write: on every request it serves (replica or not, any database) a flush,
a bulk statement, a non-SELECT text statement or SELECT … FOR UPDATE raises `ReplicaWriteError`.

One session, two engines: `RoutingSession` (db.session's class) asks this module which engine the
statement goes to; Flask-SQLAlchemy chooses as usual outside declared views.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps

from flask import Flask, current_app, g, has_request_context, request, session
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState

log = logging.getLogger(__name__)

EXTENSION = "registry.replica"
OWN_WRITES_COOKIE = "read-primary"
READ_METHODS = frozenset({"GET", "HEAD"})
_WROTE_FLAG = "_registry_replica_wrote"

# Lag as PostgreSQL's docs measure it on a standby: nothing received that is not replayed → 0; else how
# long ago the last replayed transaction committed on the primary (an overestimate right after a quiet
# spell, which only sends reads to the primary a moment longer).
LAG_QUERY = text("""
    SELECT pg_is_in_recovery(),
           CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0.0
                ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()),
                              'Infinity')::float8 END
""")

# The view being served declared @replica_reads (writes refused), and the engine its reads go to
# (None: the primary, through Flask-SQLAlchemy's usual choice).
_declared: ContextVar[bool] = ContextVar("registry.replica.declared", default=False)
_routed: ContextVar[Engine | None] = ContextVar("registry.replica.routed", default=None)


class ReplicaWriteError(RuntimeError):
    """A view that declared @replica_reads tried to write."""


class RoutingSession(FlaskSession):
    """db.session: inside a replica-routed view every statement goes to the standby."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None:
            engine = _routed.get()
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@event.listens_for(RoutingSession, "before_flush")
def _refuse_flush(session, _context, _instances) -> None:
    if _declared.get():
        raise ReplicaWriteError("a @replica_reads view tried to save changes: it must only read")


@event.listens_for(RoutingSession, "do_orm_execute")
def _refuse_writing_statement(state: ORMExecuteState) -> None:
    if not _declared.get():
        if not state.is_select:
            _note_write()
        return
    statement = state.statement
    textual = getattr(statement, "text", None)
    plain_select = state.is_select if textual is None else textual.lstrip().upper().startswith("SELECT")
    if not plain_select or getattr(statement, "_for_update_arg", None) is not None:
        raise ReplicaWriteError("a @replica_reads view ran a statement that may write or lock rows")


@event.listens_for(RoutingSession, "after_flush")
def _note_flush(_session, _context) -> None:
    _note_write()


def _note_write() -> None:
    if has_request_context():
        setattr(g, _WROTE_FLAG, True)


# --- The standby's state, looked at briefly per worker -------------------------------------------


@dataclass(frozen=True)
class ReplicaStatus:
    state: str  # "ok", "lagging", "down", "not_standby" (promoted or misconfigured), "unknown"
    lag_seconds: float | None = None

    @property
    def usable(self) -> bool:
        return self.state == "ok"


class Replica:
    """The standby's engine and this worker's last look at it."""

    def __init__(self, engine: Engine, max_lag: float, check_seconds: float, retry_seconds: float):
        self.engine, self.max_lag = engine, max_lag
        self.check_seconds, self.retry_seconds = check_seconds, retry_seconds
        self._status = ReplicaStatus("unknown")
        self._next_check = 0.0
        self._lock = threading.Lock()

    def status(self, fresh: bool = False) -> ReplicaStatus:
        """The cached state; looked at again when due (by one thread; the others use the last one)."""
        if fresh or time.monotonic() >= self._next_check:
            if self._lock.acquire(blocking=fresh):
                try:
                    self._record(self.measure())
                finally:
                    self._lock.release()
        return self._status

    def measure(self) -> ReplicaStatus:
        try:
            with self.engine.connect() as connection:
                in_recovery, lag = connection.execute(LAG_QUERY).one()
        except SQLAlchemyError as error:
            log.warning("replica: cannot reach the standby (%s)", error.__class__.__name__)
            return ReplicaStatus("down")
        if not in_recovery:
            return ReplicaStatus("not_standby")
        lag = float(lag)
        return ReplicaStatus("ok" if lag <= self.max_lag else "lagging", lag)

    def query_failed(self, error: Exception) -> None:
        """A query on the standby failed mid-request: look again before the next request uses it."""
        log.warning("replica: a query on the standby failed (%s); served from the primary",
                    error.__class__.__name__)
        self._next_check = 0.0

    def _record(self, status: ReplicaStatus) -> None:
        previous, self._status = self._status, status
        self._next_check = time.monotonic() + (self.check_seconds if status.usable else self.retry_seconds)
        if status.state == previous.state:
            return
        if status.usable:
            log.info("replica: public reads go to the standby (lag %.1f s)", status.lag_seconds or 0.0)
        else:
            lag = "" if status.lag_seconds is None else f", lag {status.lag_seconds:.1f} s > {self.max_lag:g} s"
            log.warning("replica: standby %s%s; public reads fall back to the primary", status.state, lag)


def replica_of(app: Flask) -> Replica | None:
    return app.extensions.get(EXTENSION)


# --- Which engine a request reads from ----------------------------------------------------------


def _wrote_recently() -> bool:
    value = request.cookies.get(current_app.config["REPLICA_OWN_WRITES_COOKIE"], "")
    return value.isdigit() and int(value) > time.time()


def engine_for_request(replica: Replica | None) -> Engine | None:
    """The standby's engine when this request may read from it; None for the primary."""
    if replica is None or request.method not in READ_METHODS:
        return None
    # `in`, not session.get(): choosing the database must not by itself mark the session accessed
    # (which adds "Vary: Cookie" to the page).
    if "_user_id" in session or _wrote_recently():
        return None
    return replica.engine if replica.status().usable else None


def reading_from_standby() -> bool:
    """Whether this request's statements go to the standby (a replica-routed view that may use it)."""
    return _routed.get() is not None


def replica_reads(view: Callable) -> Callable:
    """Declare that a public view only reads and may read from the standby (see the module docstring)."""

    @wraps(view)
    def serve(*args, **kwargs):
        replica = replica_of(current_app)
        engine = engine_for_request(replica)
        declared, routed = _declared.set(True), _routed.set(engine)
        try:
            try:
                return view(*args, **kwargs)
            except (OperationalError, InterfaceError) as error:
                if engine is None:
                    raise
                replica.query_failed(error)
                current_app.extensions["sqlalchemy"].session.rollback()
                _routed.set(None)
                return view(*args, **kwargs)
        finally:
            _routed.reset(routed)
            _declared.reset(declared)

    serve.replica_reads = True
    return serve


def declares_replica_reads(view: Callable) -> bool:
    return getattr(view, "replica_reads", False)


# --- Settings and installation ------------------------------------------------------------------


def pooler_engine_options(config: dict) -> None:
    """Behind PgBouncer in transaction pooling (DATABASE_PGBOUNCER=1), no server-side prepared statements:
    psycopg prepares a query it has run 5 times on one server connection, and the pooler hands the next
    transaction another (PgBouncer < 1.21 cannot track them; Debian 12 ships 1.18)."""
    if not config.get("DATABASE_PGBOUNCER") or not config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def install(app: Flask) -> None:
    """Before db.init_app: the pooler's engine options; the standby's engine; the own-writes cookie."""
    from registry.config import ConfigurationError

    config = app.config
    pooler_engine_options(config)
    url = config.get("DATABASE_REPLICA_URL")
    if not url:
        return
    if not url.startswith("postgresql"):
        raise ConfigurationError("DATABASE_REPLICA_URL must name a PostgreSQL hot standby.")
    if config["REPLICA_OWN_WRITES_SECONDS"] < config["REPLICA_MAX_LAG_SECONDS"] + config["REPLICA_CHECK_SECONDS"]:
        raise ConfigurationError("REPLICA_OWN_WRITES_SECONDS must cover REPLICA_MAX_LAG_SECONDS + "
                                 "REPLICA_CHECK_SECONDS, or a user could miss their own change on the standby.")
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # A standby that is away must fail the check fast, not hold a request for the system's TCP timeout.
    options["connect_args"] = {**options.get("connect_args", {}),
                               "connect_timeout": config["REPLICA_CONNECT_TIMEOUT_SECONDS"]}
    engine = create_engine(url, **options)
    app.extensions[EXTENSION] = Replica(engine, config["REPLICA_MAX_LAG_SECONDS"], config["REPLICA_CHECK_SECONDS"],
                                        config["REPLICA_RETRY_SECONDS"])
    if not config.get("REPLICA_OWN_WRITES_COOKIE"):
        config["REPLICA_OWN_WRITES_COOKIE"] = ("__Host-" if config["SESSION_COOKIE_SECURE"] else "") \
            + OWN_WRITES_COOKIE
    app.after_request(_mark_writer)


def _mark_writer(response):
    """After a request that posted or wrote: this client reads from the primary for a while."""
    if request.method in READ_METHODS and not g.get(_WROTE_FLAG):
        return response
    config = current_app.config
    window = int(config["REPLICA_OWN_WRITES_SECONDS"])
    response.set_cookie(config["REPLICA_OWN_WRITES_COOKIE"], str(int(time.time()) + window), max_age=window,
                        path="/", secure=config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax")
    return response
