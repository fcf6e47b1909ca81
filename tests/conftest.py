"""Shared fixtures: an app on a fresh database (SQLite, or PostgreSQL via TEST_DATABASE_URL),
clients, and factories that build domain objects through the real services."""

from __future__ import annotations

import itertools
import os
import random
import re
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from jinja2 import BytecodeCache
from sqlalchemy.engine import URL, make_url

from registry import create_app
from registry.clock import use_time_source
from tests.clock import Clock
from registry.extensions import db

PASSWORD = "correct horse battery"

# --- Databases --------------------------------------------------------------------------------------
#
# The schema is built once per test process (`make test` runs one per core with pytest-xdist), and
# every test starts from an empty database with the whole schema, audit triggers included:
# - SQLite: a template file is built once (under /dev/shm when there is one); before each test a copy
#   of it replaces the test database file (a file copy, ~1 ms).
# - PostgreSQL: TEST_DATABASE_URL names the server and a name stem; this process creates its own
#   database next to it (<name>_<xdist worker or "main">_<pid>, so workers and two pytest runs never
#   meet; the `test` database itself is not used), builds the schema there, and before each test
#   deletes every row and restarts the sequences. If a test changed the schema (dropped the audit
#   triggers, reset the schema, ran the migrations), the next test sees it in the catalog and the
#   schema is built again. The database is dropped at the end (and ones that killed runs left behind
#   are dropped the next time).
# Apps built for the same database share one SQLAlchemy engine, and all apps share compiled URL
# builders and templates (see pytest_configure): every test still builds its own app.

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
    # Remember the configured URL: this module may be imported twice (as conftest and tests.conftest).
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


def _reset_postgres_schema(url: str) -> None:
    """Start from an empty schema: nothing may depend on what an earlier run left behind."""
    import psycopg

    _ensure_database(url)
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def pytest_sessionfinish(session):
    _close_connections()
    if TEST_DATABASE_URL:
        _drop_database(TEST_DATABASE_URL)


class _PostgresSchema:
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

        _reset_postgres_schema(self.url)
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


def pytest_configure(config):
    _share_url_builders()
    _share_engines()
    # Hypothesis' default 200 ms per example is a speed check, not what these tests assert, and a
    # busy machine (or parallel workers) can miss it; tests may still set their own.
    from hypothesis import settings

    settings.register_profile("registry-tests", deadline=None)
    settings.load_profile("registry-tests")


def _share_url_builders() -> None:
    """Every test builds its own app, and most of create_app's time went into Werkzeug compiling a
    URL builder (generated Python code) for each of the ~100 routes, the same code every time.
    The builder depends only on the rule's parts, its default names and `append_unknown`, so
    apps in this process share them; rules with a default baked into the code are left alone.
    (~70 ms less per test; routing and url_for behave exactly as before.)"""
    from werkzeug.routing.rules import Rule

    original = Rule._compile_builder
    if getattr(original, "shared_by_tests", False):
        return
    builders = {}

    def compile_builder(self, append_unknown=True):
        defaults = self.defaults or {}
        if any(is_dynamic and part in defaults for is_dynamic, part in self._trace):
            return original(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(defaults), append_unknown)
        if key not in builders:
            builders[key] = original(self, append_unknown)
        return builders[key]

    compile_builder.shared_by_tests = True
    Rule._compile_builder = compile_builder


_ENGINES = {}


def _share_engines() -> None:
    """Apps with the same database settings share one SQLAlchemy engine in this process.

    Every test builds its own app, and with it a new engine, whose SQL compilation cache starts
    empty: every statement a test ran was compiled again (~30 ms per test). Sharing the engine
    keeps that cache; each test still starts with no open connection (database_url disposes of
    the pool before and after the test)."""
    if getattr(db, "_make_engine_shared_by_tests", False):
        return
    make_engine = db._make_engine

    def shared_engine(bind_key, options, app):
        url = make_url(options["url"])
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            return make_engine(bind_key, options, app)  # an in-memory database is the app's own
        key = repr(sorted((name, value.render_as_string(hide_password=False) if isinstance(value, URL) else repr(value))
                          for name, value in options.items()))
        if key not in _ENGINES:
            _ENGINES[key] = make_engine(bind_key, options, app)
        return _ENGINES[key]

    db._make_engine = shared_engine
    db._make_engine_shared_by_tests = True


def _close_connections() -> None:
    for engine in _ENGINES.values():
        engine.dispose()


def make_app(database_url: str, **overrides):
    config = {
        "REGISTRY_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "PUBLIC_BASE_URL": "https://cxm.example.cn",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    if database_url.startswith("postgresql"):
        # Test data need not survive a crash: skipping the WAL flush on commit makes the
        # PostgreSQL run several times faster without changing what the tests observe.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True,
                                               "connect_args": {"options": "-c synchronous_commit=off"}}
    config.update(overrides)
    app = create_app(config)
    app.jinja_env.bytecode_cache = _COMPILED_TEMPLATES
    return app


class _SharedTemplateCode(BytecodeCache):
    """Jinja's compiled templates, shared by the apps of this process.

    Every test has its own app, so its own Jinja environment, which compiled each template it
    rendered again (~60 ms for a page test). A bytecode cache is Jinja's own way to reuse compiled
    templates; entries are keyed by template name and file and checked against the source's hash.
    """

    def __init__(self):
        self._code = {}

    def load_bytecode(self, bucket):
        code = self._code.get((bucket.key, bucket.checksum))
        if code is not None:
            bucket.code = code

    def dump_bytecode(self, bucket):
        self._code[(bucket.key, bucket.checksum)] = bucket.code


_COMPILED_TEMPLATES = _SharedTemplateCode()


@pytest.fixture(scope="session")
def _schema(tmp_path_factory):
    """The schema, built once per process: a template file (SQLite) or this process's database (PostgreSQL)."""
    if TEST_DATABASE_URL:
        make_app(TEST_DATABASE_URL)  # imports every model into db.metadata
        schema = _PostgresSchema(TEST_DATABASE_URL)
        try:
            schema.build()
            yield schema
        finally:
            schema.close()
    else:
        # In memory-backed /dev/shm where there is one: closing a WAL database syncs it to disk,
        # ~10 ms per test on a disk for a file that is deleted right after.
        shm = Path("/dev/shm")
        in_memory = shm.is_dir() and os.access(shm, os.W_OK)
        if in_memory:
            for left in shm.glob("registry-tests-*-*"):  # by runs that were killed
                pid = left.name.split("-")[2]
                if pid.isdigit() and not _process_alive(int(pid)):
                    shutil.rmtree(left, ignore_errors=True)
        folder = Path(tempfile.mkdtemp(prefix=f"registry-tests-{os.getpid()}-", dir=shm)) if in_memory \
            else tmp_path_factory.mktemp("databases")
        try:
            template = folder / "template.sqlite3"
            app = make_app(f"sqlite:///{template}")
            with app.app_context():
                db.create_all()
                db.engine.dispose()  # the last connection closed moves the WAL into the file and removes it
            assert not template.with_name(template.name + "-wal").exists()
            yield template
        finally:
            if in_memory:
                shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database_url(_schema):
    """This test's database: the whole schema (audit triggers included) and no rows."""
    _close_connections()  # no connection of an earlier test may see this one's database
    if TEST_DATABASE_URL:
        _schema.prepare()
        yield TEST_DATABASE_URL
    else:
        path = _schema.with_name("test.sqlite3")
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        copy = _schema.with_name("copy.sqlite3")
        shutil.copyfile(_schema, copy)
        os.replace(copy, path)
        yield f"sqlite:///{path}"
    _close_connections()


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with no tables at all (for the migrations)."""
    if TEST_DATABASE_URL:
        _reset_postgres_schema(TEST_DATABASE_URL)  # the next test's database_url rebuilds the schema
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path / 'empty.sqlite3'}"


@pytest.fixture
def app_overrides(request, tmp_path):
    """Tests override settings by overriding this fixture (e.g. CSRF on). Tests marked
    @pytest.mark.production run the app as deployed behind nginx over https (tests/production.py)."""
    if request.node.get_closest_marker("production"):
        from tests.production import production_overrides

        return production_overrides(EVIDENCE_DIR=str(tmp_path / "evidence"))
    return {}


@pytest.fixture
def app(database_url, app_overrides):
    app = make_app(database_url, **app_overrides)
    with app.app_context():
        seed_areas()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_counter = itertools.count(1)


def unique_mobile() -> str:
    return f"139{next(_counter) + random.randrange(10**7):08d}"


def valid_credit_code(seed: int | None = None) -> str:
    from registry.merchants.identifiers import credit_code_check_character

    rng = random.Random(seed if seed is not None else next(_counter) * 7919 + random.randrange(10**6))
    first17 = "91330106" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return first17 + credit_code_check_character(first17)


@pytest.fixture
def make_user(app):
    """Create an account through the service: make_user(role="staff", login=..., password=...)."""
    from registry.auth.models import Role
    from registry.auth.services import create_user

    def factory(role: str = "merchant", login: str | None = None, password: str = PASSWORD,
                name: str = "测试用户", district: str | None = None):
        user = create_user(login or unique_mobile(), password, name, Role(role), district)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def pledge(app):
    from registry.pledges.defaults import publish_default_pledge

    version = publish_default_pledge()
    db.session.commit()
    return version


def seed_areas() -> None:
    """The demo city's districts and townships (the managed list every shop and staff scope must use),
    in three statements: every test app gets them (areas.services.import_rows takes ~10 times longer)."""
    from sqlalchemy import insert, select

    from registry.areas.models import District, Township
    from registry.demo import CITY_DISTRICTS

    db.session.execute(insert(District), [{"name": name} for name in CITY_DISTRICTS])
    ids = dict(db.session.execute(select(District.name, District.id)).all())
    db.session.execute(insert(Township), [{"district_id": ids[district], "name": township}
                                          for district, (_code, townships) in CITY_DISTRICTS.items()
                                          for township in townships])
    db.session.commit()


def shop_details(**fields):
    from registry.demo import CITY_DISTRICTS
    from registry.merchants.services import ShopDetails

    if fields.get("district") in CITY_DISTRICTS and "township" not in fields:  # a township of that district
        fields["township"] = CITY_DISTRICTS[fields["district"]][1][0]
    values = dict(name="美好生活超市", credit_code=valid_credit_code(), category="supermarket", district="西湖区",
                  township="转塘街道", address="转塘直街 88 号", contact_phone=unique_mobile(), owner_name="王美好")
    values.update(fields)
    return ShopDetails(**values)


@pytest.fixture
def make_shop(app, make_user, pledge):
    """Register a shop (signed by default): make_shop(owner=None, signed=True, **fields)."""
    from registry.merchants.services import register_shop
    from registry.pledges.signing import sign_pledge

    def factory(owner=None, signed: bool = True, **fields):
        owner = owner or make_user()
        shop = register_shop(owner, shop_details(**fields))
        if signed:
            sign_pledge(shop, pledge, owner, shop.owner_name, "店主", "127.0.0.1", {c.number for c in pledge.clauses})
        db.session.commit()
        return shop

    return factory


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, login: str, password: str = PASSWORD):
        return self._client.post("/login", data={"login": login, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


# --- Added for the package test suites (auth, merchants, pledges, badges, lookup, audit, access). ---


@pytest.fixture(autouse=True)
def fresh_request_globals(monkeypatch):
    """Give every test-client request its own `g`, as a real request has.

    The `app` fixture keeps an application context pushed for the whole test, and Flask reuses a
    pushed context for requests, so `g` outlives a request: the user Flask-Login loaded, the
    locale Flask-Babel chose and Flask-WTF's "CSRF already checked" mark would carry over into
    the next request and make session, language and CSRF tests pass for the wrong reason.
    """
    from flask import g, has_app_context
    from flask.testing import FlaskClient

    original_open = FlaskClient.open

    def open_with_fresh_g(self, *args, **kwargs):
        if has_app_context():
            vars(g._get_current_object()).clear()
        return original_open(self, *args, **kwargs)

    monkeypatch.setattr(FlaskClient, "open", open_with_fresh_g)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """scrypt with a small work factor (still scrypt): each account costs well under 1 ms instead of ~0.1 s.
    For the whole session, so module-scoped fixtures' accounts (and logging into them) are cheap too."""
    from werkzeug.security import generate_password_hash

    import registry.auth.models

    def cheap(password, method="scrypt", salt_length=16):
        return generate_password_hash(password, method="scrypt:128:8:1" if method == "scrypt" else method,
                                      salt_length=salt_length)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry.auth.models, "generate_password_hash", cheap)
        yield


@pytest.fixture
def login_as(app):
    """Sign `client` in as `user` without a login request: login_as(client, user) -> client."""

    def login(client, user):
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return client

    return login


@pytest.fixture
def shop_form():
    """Form data for the shop form: shop_form(**overrides) -> dict (a new credit code each call)."""

    def build(**overrides):
        data = dict(name="美好生活超市", credit_code=valid_credit_code(), category="supermarket", district="西湖区",
                    township="转塘街道", address="转塘直街88号", owner_name="王美好", contact_phone=unique_mobile())
        data.update(overrides)
        return data

    return build


# --- Added for the staff-governance suites (pledge versions, accounts, consultations, audit log). ---

# The roles of the staff-area access matrices (SECURITY.md: every route × role).
MATRIX_ROLES = ("anonymous", "merchant", "other_merchant", "staff", "staff_elsewhere", "admin")
LOGIN_REDIRECT = "login"  # expected answer: a redirect to the login page with next=<the URL>


@pytest.fixture
def matrix_people(make_user, make_shop):
    """One account per matrix role (staff in 西湖区, staff_elsewhere in 滨江区); the merchant owns a signed shop."""
    owner = make_user(name="王美好")
    return {
        "merchant": owner,
        "shop": make_shop(owner=owner, district="西湖区"),
        "other_merchant": make_user(name="李四"),
        "staff": make_user(role="staff", name="西湖区工作人员", district="西湖区"),
        "staff_elsewhere": make_user(role="staff", name="滨江区工作人员", district="滨江区"),
        "admin": make_user(role="admin", name="管理员"),
    }


def assert_answer(response, expected, url: str) -> None:
    """The response is `expected` (a status code, or LOGIN_REDIRECT to the login page coming back to `url`)."""
    from urllib.parse import parse_qs, urlsplit

    if expected == LOGIN_REDIRECT:
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == [url]
    else:
        assert response.status_code == expected


@pytest.fixture
def clock():
    """Freeze all of the application's time (`registry.clock.utcnow`) at the current second;
    move it with clock.set(aware datetime) or clock.advance(days=…). Released after the test."""
    frozen = Clock(datetime.now(timezone.utc).replace(microsecond=0))
    use_time_source(frozen)
    yield frozen
    use_time_source(None)
