"""Probes for "slow work holds no transaction" tests: can another connection write right now, and
what has been committed, seen from a connection of its own (never the app's session)."""

from __future__ import annotations

import sqlite3

from sqlalchemy.engine import make_url

from registry.extensions import db


def _url():
    return db.engine.url


def is_sqlite() -> bool:
    return _url().get_backend_name() == "sqlite"


def _libpq() -> str:
    return make_url(_url()).set(drivername="postgresql").render_as_string(hide_password=False)


def another_writer_blocked() -> str | None:
    """None when no write transaction is open on the test database right now.

    SQLite: BEGIN IMMEDIATE from a second connection, without waiting; the error ("database is
    locked") when another connection holds the write lock. PostgreSQL (which locks rows, not the
    database, and where reading transactions block nobody): a description when another session holds
    a transaction that has written or locked rows (it has a transaction id)."""
    if not is_sqlite():
        import psycopg

        with psycopg.connect(_libpq(), connect_timeout=5) as connection:
            writing = connection.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()").fetchone()[0]
        return f"{writing} session(s) in a write transaction" if writing else None
    connection = sqlite3.connect(_url().database, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return None
    except sqlite3.OperationalError as error:
        return str(error)
    finally:
        connection.close()


def committed_rows(table: str) -> int:
    """COUNT(*) of `table` as another connection sees it: only what has been committed."""
    url = _url()
    if is_sqlite():
        connection = sqlite3.connect(url.database, timeout=0, isolation_level=None)
        try:
            return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608 — test names
        finally:
            connection.close()
    import psycopg

    with psycopg.connect(_libpq(), connect_timeout=5) as connection:
        return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608


def in_transaction() -> bool:
    """Whether the app's session (the request's, in a test client request) has a transaction open."""
    return db.session().in_transaction()
