"""Database plumbing shared by every domain package: time columns and SQLite behaviour."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from flask import has_request_context, request
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator


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
