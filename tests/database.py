"""The test databases: where each test process's database lives, how its schema is built once, and how
every test starts from the whole schema with no rows. The fixtures at the bottom are what tests ask for
(tests/conftest.py re-exports them so pytest sees them); the rest are plain functions.

The schema is built once per test process (`make test` runs one per core with pytest-xdist), and
every test starts from an empty database with the whole schema, audit triggers included:
- SQLite: a template file is built once (under /dev/shm when there is one); before each test a copy
  of it replaces the test database file (a file copy, ~1 ms).
- PostgreSQL: TEST_DATABASE_URL names the server and a name stem; this process creates its own
  database next to it (<name>_<xdist worker or "main">_<pid>, so workers and two pytest runs never
  meet; the `test` database itself is not used), builds the schema there, and before each test
  deletes every row and restarts the sequences. If a test changed the schema (dropped the audit
  triggers, reset the schema, ran the migrations), the next test sees it in the catalog and the
  schema is built again. The database is dropped at the end (and ones that killed runs left behind
  are dropped the next time).
Each xdist worker also gets its own Redis test database (the Redis tests flush it).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from registry.extensions import db
from tests.apps import close_connections, make_app

_SERVER_URL = os.environ.get("TEST_DATABASE_URL")


def _own_database_url(server_url: str) -> str:
    url = make_url(server_url)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return url.set(database=f"{url.database}_{worker}_{os.getpid()}").render_as_string(hide_password=False)


# This process's PostgreSQL database (None on SQLite). Tests that build their own app use this URL.
TEST_DATABASE_URL = _own_database_url(_SERVER_URL) if _SERVER_URL else None


def _own_redis_database() -> None:
    """Under xdist each worker uses its own Redis test database (the Redis tests flush it):
    TEST_REDIS_URL's number for gw0, one less for gw1, and so on."""
    from urllib.parse import urlsplit

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    # Remember the configured URL, in case this module is ever imported twice.
    base = os.environ.setdefault("REGISTRY_TESTS_REDIS_URL",
                                 os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    parts = urlsplit(base)
    number = (int(parts.path.strip("/") or 0) - int(worker[2:])) % 16
    os.environ["TEST_REDIS_URL"] = parts._replace(path=f"/{number}").geturl()


_own_redis_database()


def _libpq(url: str, database: str | None = None) -> str:
    """A SQLAlchemy URL as a libpq connection string (for psycopg itself), optionally another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _maintenance(url: str):
    import psycopg

    return psycopg.connect(_libpq(url, "postgres"), autocommit=True)


def _ensure_database(url: str) -> None:
    """Create this process's database if it is not there yet (and drop those that crashed runs left)."""
    from psycopg import errors, sql

    name = make_url(url).database
    with _maintenance(url) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        _drop_abandoned_databases(conn, url)
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except errors.DuplicateDatabase:
            pass


def _drop_abandoned_databases(conn, url: str) -> None:
    """Databases of earlier runs on this machine whose process is gone (killed, crashed)."""
    from psycopg import sql

    parsed = make_url(url)
    if parsed.host not in (None, "", "localhost", "127.0.0.1", "::1"):
        return  # another machine's processes cannot be checked from here
    stem = make_url(_SERVER_URL).database
    pattern = re.compile(rf"{re.escape(stem)}_(?:main|gw\d+)_(\d+)")
    for (name,) in conn.execute("SELECT datname FROM pg_database").fetchall():
        match = pattern.fullmatch(name)
        if match and not _process_alive(int(match.group(1))):
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop_database(url: str) -> None:
    from psycopg import sql

    with _maintenance(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(make_url(url).database)))


def reset_postgres_schema(url: str) -> None:
    """Start from an empty schema: nothing may depend on what an earlier run left behind."""
    import psycopg

    _ensure_database(url)
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


class PostgresSchema:
    """This process's PostgreSQL database with the schema built, emptied before each test."""

    # Everything a test could change about the schema that matters here: tables, columns,
    # indexes, constraints, triggers (the audit ones) and functions.
    FINGERPRINT = """
        SELECT md5(coalesce(string_agg(item, ',' ORDER BY item), '')) FROM (
            SELECT 'r:' || c.relname || ':' || c.relkind::text || ':' || (
                       SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
                       AND NOT a.attisdropped) AS item
              FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
            UNION ALL SELECT 'c:' || conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace
            UNION ALL SELECT 't:' || t.tgname || ':' || t.tgenabled::text FROM pg_trigger t
              JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'public'::regnamespace
              AND NOT t.tgisinternal
            UNION ALL SELECT 'f:' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
        ) AS schema_items
    """

    def __init__(self, url: str):
        self.url = url
        self.expected = None
        self.empty_all = None
        self._conn = None

    def connection(self):
        import psycopg

        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(_libpq(self.url), autocommit=True,
                                         options="-c synchronous_commit=off -c lock_timeout=5s")
        return self._conn

    def build(self) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        reset_postgres_schema(self.url)
        engine = create_engine(self.url, poolclass=NullPool)
        with engine.begin() as conn:
            db.metadata.create_all(conn)
        engine.dispose()
        conn = self.connection()
        self.expected = conn.execute(self.FINGERPRINT).fetchone()[0]
        tables = [row[0] for row in conn.execute(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        # Superuser only (as the tests connect): "replica" skips the foreign-key and audit triggers,
        # so the rows go in one pass, in any order.
        self.empty_all = ("SET session_replication_role = replica; "
                          + "".join(f"DELETE FROM {table}; " for table in tables)
                          + "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s "
                          + "JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = 'public'::regnamespace; "
                          + "RESET session_replication_role")

    def prepare(self) -> None:
        """Empty every table and restart the sequences; rebuild the schema if a test changed it."""
        from psycopg import errors

        conn = self.connection()
        if conn.execute(self.FINGERPRINT).fetchone()[0] != self.expected:
            self.build()
            return
        try:
            conn.execute(self.empty_all)
        except errors.LockNotAvailable:
            # A connection an earlier test leaked holds a lock: this database is ours alone, so end it.
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            conn.execute(self.empty_all)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()



def build_sqlite_template(folder: Path) -> Path:
    """The whole schema in a SQLite file, every connection to it closed (so no WAL file is left)."""
    template = folder / "template.sqlite3"
    app = make_app(f"sqlite:///{template}")
    with app.app_context():
        db.create_all()
    close_connections()  # the last connection closed moves the WAL into the file and removes it
    assert not template.with_name(template.name + "-wal").exists()
    return template


def fresh_sqlite_copy(template: Path) -> str:
    """Replace the test database file with a copy of the template; its URL."""
    path = template.with_name("test.sqlite3")
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    copy = template.with_name("copy.sqlite3")
    shutil.copyfile(template, copy)
    os.replace(copy, path)
    return f"sqlite:///{path}"


def _shared_memory_folder() -> Path | None:
    """/dev/shm where there is one (closing a WAL database syncs it to disk, ~10 ms per test on a disk
    for a file that is deleted right after), cleared of the folders of runs that were killed."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return None
    for left in shm.glob("registry-tests-*-*"):
        pid = left.name.split("-")[2]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(left, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"registry-tests-{os.getpid()}-", dir=shm))


# --- hooks and fixtures -----------------------------------------------------------------------------


def pytest_sessionfinish(session):
    close_connections()
    if TEST_DATABASE_URL:
        _drop_database(TEST_DATABASE_URL)


@pytest.fixture(scope="session")
def _schema(tmp_path_factory):
    """The schema, built once per process: a template file (SQLite) or this process's database (PostgreSQL)."""
    if TEST_DATABASE_URL:
        make_app(TEST_DATABASE_URL)  # imports every model into db.metadata
        schema = PostgresSchema(TEST_DATABASE_URL)
        try:
            schema.build()
            yield schema
        finally:
            schema.close()
    else:
        in_memory = _shared_memory_folder()
        folder = in_memory or tmp_path_factory.mktemp("databases")
        try:
            yield build_sqlite_template(folder)
        finally:
            if in_memory:
                shutil.rmtree(in_memory, ignore_errors=True)


@pytest.fixture
def database_url(_schema):
    """This test's database: the whole schema (audit triggers included) and no rows."""
    close_connections()  # no connection of an earlier test may see this one's database
    if TEST_DATABASE_URL:
        _schema.prepare()
        yield TEST_DATABASE_URL
    else:
        yield fresh_sqlite_copy(_schema)
    close_connections()


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with no tables at all (for the migrations)."""
    if TEST_DATABASE_URL:
        reset_postgres_schema(TEST_DATABASE_URL)  # the next test's database_url rebuilds the schema
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
