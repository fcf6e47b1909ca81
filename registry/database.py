"""Database plumbing shared by every domain package: time columns, SQLite behaviour, and keeping
slow work out of transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from flask import has_request_context, request
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.types import TypeDecorator

from registry.extensions import db


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the only kind stored)."""
    return datetime.now(timezone.utc)


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
    writes = not has_request_context() or request.method in _WRITE_METHODS
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


# --- Slow work never runs inside a transaction ---------------------------------------------------
#
# A POST holds SQLite's single write lock from its first statement (BEGIN IMMEDIATE, above) to its
# commit or rollback, so anything slow in between (Pillow cleaning six photos, a 1.5 s SMS gateway)
# makes every other writer wait and, past busy_timeout, fail with "database is locked". Taking the
# lock later instead (a deferred BEGIN that upgrades at the first write) is not an option: under WAL
# a read transaction that tries to write after another connection committed gets SQLITE_BUSY_SNAPSHOT
# at once, which busy_timeout does not retry, so the request would need to be replayed.
#
# So the rule is: slow, database-free work runs with no transaction open. Two tools:
# - `outside_transaction()` below, around slow work in the middle of a request: it ends the request's
#   transaction, which must not have written anything yet (the work's result is what the write
#   needs), and the next statement opens a fresh one. What was read before is re-read then (the
#   session expires it), so the services still decide on current rows under the lock.
# - Work that must follow a commit (SMS delivery, registry/messaging/outbox.py) runs in an
#   `after_commit` hook, again outside any transaction.
# On PostgreSQL nothing is locked by reads, but the same rule keeps a pooled connection from sitting
# "idle in transaction" during the slow part; the behaviour is otherwise identical.

_WROTE = "registry.database.wrote"


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    # Bulk UPDATE/DELETE/INSERT and text() statements may write; only a SELECT surely does not.
    if not state.is_select:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


@contextmanager
def outside_transaction(session: Session | None = None) -> Iterator[None]:
    """Run slow, database-free work (image decoding, network calls) with no transaction open.

    Ends the session's current transaction first; it must not have written anything (RuntimeError
    otherwise: do the slow work before the first write). Objects loaded before are expired and load
    again on next use. The block itself must not touch the database (RuntimeError on leaving it).
    """
    if session is None:
        session = db.session()
    if session.in_transaction():
        if session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
            raise RuntimeError("outside_transaction() after a write: do the slow work before writing")
        # Nothing was written, so ending the transaction loses nothing; on SQLite it gives back the
        # write lock taken at the first statement, on PostgreSQL the pooled connection.
        session.rollback()
    yield
    if session.in_transaction():
        raise RuntimeError("the database was used inside outside_transaction(): "
                           "load what the slow work needs before it")
