"""Database plumbing shared by every domain package: time columns, SQLite behaviour, and keeping
slow work out of transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timezone

from flask import has_request_context, request
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.types import TypeDecorator

from registry.extensions import db


class UTCDateTime(TypeDecorator):
    """An aware UTC timestamp on every backend.

    SQLite has no time zones and hands back naive values; we store UTC and re-attach it on load,
    so comparisons with utcnow() never mix naive and aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@event.listens_for(Engine, "connect")
def _configure_sqlite_connection(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # We issue BEGIN ourselves (below); pysqlite's own transaction handling would defer it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite_transaction(conn):
    if conn.dialect.name != "sqlite":
        return
    # A deferred transaction that later writes can fail with "database is locked" instead of
    # waiting; requests that may write (and CLI commands) take the write lock up front, while
    # page views read concurrently under WAL.
    if _begin_read_only(conn):
        return
    writes = not has_request_context() or request.method in _WRITE_METHODS
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


# --- Slow work never runs inside a write transaction ---------------------------------------------
#
# A POST holds SQLite's single write lock from its first statement (BEGIN IMMEDIATE, above) to its
# commit or rollback, so anything slow in between (Pillow cleaning six photos, a PDF of 500 posters, a
# 1.5 s SMS gateway) makes every other writer wait and, past busy_timeout, fail with "database is
# locked". Taking the lock later instead (a deferred BEGIN that upgrades at the first write) is not an
# option: under WAL a read transaction that tries to write after another connection committed gets
# SQLITE_BUSY_SNAPSHOT at once, which busy_timeout does not retry, so the request would have to be
# replayed.
#
# So the rule is: write transactions only write (milliseconds); slow work happens outside them.
# - `slow_work()` below, around slow work in a request: it ends the request's transaction, which must
#   not have written anything yet, and inside the block the database may only be read, on SQLite in a
#   deferred transaction (a WAL snapshot, no lock that stops writers) with `PRAGMA query_only` so a
#   stray write fails loudly instead of upgrading. Leaving the block ends that read too; the next
#   statement opens a fresh write transaction, and what was loaded is re-read then (the session
#   expires it), so services still decide on current rows under the lock.
# - Work that must follow a commit (SMS delivery, registry/messaging/outbox.py) runs in an
#   `after_commit` hook, outside any transaction.
# On PostgreSQL nothing is locked by reads, but the same rule keeps a pooled connection from sitting
# "idle in transaction" during the slow part and rows from staying locked; behaviour is otherwise the same.

_WROTE = "registry.database.wrote"
_read_only: ContextVar[bool] = ContextVar("registry.database.read_only", default=False)


def _begin_read_only(conn) -> bool:
    """In slow_work(): a deferred, query-only SQLite transaction; True when that is what was begun."""
    if not _read_only.get():
        return False
    conn.exec_driver_sql("BEGIN")
    conn.exec_driver_sql("PRAGMA query_only = ON")
    conn.info["query_only"] = True
    return True


@event.listens_for(Engine, "rollback")
@event.listens_for(Engine, "commit")
def _end_read_only(conn) -> None:
    if conn.dialect.name == "sqlite" and conn.info.pop("query_only", False):
        # Straight on the DBAPI connection: the pooled connection must not stay read-only.
        conn.connection.dbapi_connection.execute("PRAGMA query_only = OFF")


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    # Bulk UPDATE/DELETE/INSERT and text() statements may write, and SELECT … FOR UPDATE locks rows
    # that ending the transaction would let go of; only a plain SELECT surely changes nothing.
    if not state.is_select or getattr(state.statement, "_for_update_arg", None) is not None:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


@contextmanager
def slow_work(session: Session | None = None) -> Iterator[None]:
    """Run slow work (decoding photos, drawing PDFs, parsing uploads) without a write transaction.

    Ends the session's current transaction first; it must not have written anything (RuntimeError
    otherwise: do the slow work before the first write). Inside, the database may be read, not
    written. On leaving, the read is ended too; objects loaded so far are expired and load again on
    next use, in the next (write) transaction.
    """
    if session is None:
        session = db.session()
    _end_unwritten(session)
    token = _read_only.set(True)
    try:
        yield
    finally:
        _read_only.reset(token)
        if session.in_transaction():
            if session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
                session.rollback()
                raise RuntimeError("a write inside slow_work(): write after the block")
            session.rollback()


def _end_unwritten(session: Session) -> None:
    if not session.in_transaction():
        return
    if session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
        raise RuntimeError("slow_work() after a write: do the slow work before writing")
    # Nothing was written, so ending the transaction loses nothing; on SQLite it gives back the write
    # lock taken at the first statement, on PostgreSQL the pooled connection.
    session.rollback()


@contextmanager
def reading_only() -> Iterator[None]:
    """Transactions begun inside only read: deferred and query-only on SQLite, so code outside any request
    (the QR page cache's fast path, registry/lookup/page_cache.py) never queues for the write lock that
    `_begin_sqlite_transaction` would otherwise take for it, and cannot write by mistake."""
    token = _read_only.set(True)
    try:
        yield
    finally:
        _read_only.reset(token)


@contextmanager
def side_transaction() -> Iterator:
    """A short write on a connection of its own, committed on leaving, also from inside slow_work() (a job
    noting its progress while it draws a PDF); the session's transaction is not touched."""
    token = _read_only.set(False)
    try:
        with db.engine.begin() as connection:
            yield connection
    finally:
        _read_only.reset(token)
