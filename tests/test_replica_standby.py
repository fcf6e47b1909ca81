"""Public reads from a real streaming standby (registry/replica.py).

The PostgreSQL run starts its own primary and a `pg_basebackup -R` standby of it (tests/standby.py, once
per test process) and points the app at both: DATABASE_URL the primary, DATABASE_REPLICA_URL the standby.
Which database served a page is told by what it shows: the standby's replay is paused, a sanction is
written on the primary, and the QR page shows it (primary) or not yet (standby).
Skipped on SQLite (the rules that need no standby are in tests/test_replica.py); REQUIRE_STANDBY=1 (CI) turns a missing PostgreSQL toolset into a failure instead of a skip.
"""

from __future__ import annotations

import logging
import os
import time

import pytest

from registry.extensions import db
from registry.moderation import sanctions
from registry.moderation.sanctions import SanctionInput
from registry.replica import replica_of
from tests.apps import close_connections
from tests.conftest import PASSWORD, TEST_DATABASE_URL, make_app

REASON = "经核实出售假冒品牌白酒，暂停公示"


@pytest.fixture(scope="session")
def pair():
    """This process's primary + streaming standby (tests/standby.py), with the schema built on the primary."""
    from tests.database import PostgresSchema
    from tests.standby import missing_tools, standby_pair

    if not TEST_DATABASE_URL:
        pytest.skip("the standby tests need PostgreSQL (TEST_DATABASE_URL); skipped on SQLite")
    reason = missing_tools()
    if reason:
        if os.environ.get("REQUIRE_STANDBY") == "1":
            pytest.fail(f"{reason}: required by REQUIRE_STANDBY=1", pytrace=False)
        pytest.skip(f"{reason}: standby tests skipped")
    make_app(TEST_DATABASE_URL)  # every model in db.metadata
    with standby_pair("registry") as made:
        schema = PostgresSchema(made.primary.url("registry"))
        schema.build()
        _stamp_migration_heads(schema)
        made.schema = schema
        try:
            yield made
        finally:
            close_connections()
            schema.close()


def _stamp_migration_heads(schema) -> None:
    """/healthz wants the schema at this code's migration head: record it as `flask db upgrade` would.
    Not a table the tests empty; the schema's fingerprint is taken again with it."""
    from registry.health import known_revisions

    conn = schema.connection()
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    for head in known_revisions()[0]:
        conn.execute("INSERT INTO alembic_version (version_num) VALUES (%s)", [head])
    schema.expected = conn.execute(schema.FINGERPRINT).fetchone()[0]


@pytest.fixture
def database_url(pair):
    """The throw-away primary, emptied, with the standby caught up (replaces tests/database.py's)."""
    close_connections()
    pair.resume_replay()
    pair.schema.prepare()
    pair.wait_until_replayed()
    yield pair.primary.url("registry")
    close_connections()


@pytest.fixture
def app_overrides(pair):
    return {"DATABASE_REPLICA_URL": pair.standby.url("registry"), "REPLICA_MAX_LAG_SECONDS": 30,
            "REPLICA_OWN_WRITES_SECONDS": 60, "REPLICA_CHECK_SECONDS": 0, "REPLICA_RETRY_SECONDS": 0}


@pytest.fixture
def replica(app):
    """The app's standby; what a test changes of it (bound, intervals) is put back (the app is reused)."""
    standby = replica_of(app)
    settings = (standby.max_lag, standby.check_seconds, standby.retry_seconds)
    yield standby
    standby.max_lag, standby.check_seconds, standby.retry_seconds = settings
    standby.engine.dispose()


@pytest.fixture
def code(app, make_shop, pair) -> str:
    """A signed shop's public code, replayed on the standby."""
    shop = make_shop(name="老字号酒行")
    pair.wait_until_replayed()
    return shop.public_code


@pytest.fixture
def officer(make_user) -> tuple[int, str]:
    """(id, login) of 西湖区's officer."""
    user = make_user(role="staff", district="西湖区", name="西湖区工作人员")
    return user.id, user.login


def suspend_on_primary(code: str, officer: tuple[int, str]) -> None:
    from registry.auth.models import User
    from registry.merchants.services import merchant_by_public_code

    sanctions.suspend(merchant_by_public_code(code), db.session.get(User, officer[0]),
                      SanctionInput("counterfeit", REASON), None, True)
    db.session.commit()
    db.session.remove()


def fetch(client, path: str):
    """One request with a session of its own, as in production (the test's app context, and so its
    session, is shared by its requests: a row another request loaded would be shown again)."""
    db.session.remove()
    try:
        return client.get(path)
    finally:
        db.session.remove()


def qr_page(client, code: str) -> str:
    response = fetch(client, f"/m/{code}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def health(client) -> dict:
    response = fetch(client, "/healthz")
    assert response.status_code in (200, 503)
    return response.get_json()


def test_a_sanction_on_the_primary_reaches_the_qr_page_through_the_standby(pair, app, client, replica, code, officer):
    pair.pause_replay()
    suspend_on_primary(code, officer)
    # The standby has not replayed it (and is within the 30 s bound): the page is the standby's.
    assert REASON not in qr_page(client, code)
    assert health(client)["checks"]["replica"] == "ok"
    pair.resume_replay()
    started = time.monotonic()
    while REASON not in qr_page(client, code):
        assert time.monotonic() - started < replica.max_lag, "not on the standby within the lag bound"
        time.sleep(0.02)
    print(f"standby: suspension on the QR page {time.monotonic() - started:.3f} s after replay resumed")
    # Unpaused, the sanction is there the moment the standby replays it.
    pair.pause_replay()
    pair.resume_replay()
    elapsed = pair.wait_until_replayed()
    print(f"standby: caught up in {elapsed:.3f} s")


def test_own_writes_and_signed_in_users_read_from_the_primary(pair, app, client, replica, code, officer):
    writer, signed_in = app.test_client(), app.test_client()
    # Any post marks the client (here: signing in with a wrong password changes nothing but is a post).
    assert writer.post("/login", data={"login": "13900000000", "password": "wrong"}).status_code in (200, 400)
    marker = writer.get_cookie(app.config["REPLICA_OWN_WRITES_COOKIE"])
    assert marker is not None and int(marker.value) > time.time() + 50
    assert signed_in.post("/login", data={"login": officer[1], "password": PASSWORD}).status_code == 302
    signed_in.delete_cookie(app.config["REPLICA_OWN_WRITES_COOKIE"])  # still signed in: primary anyway
    pair.pause_replay()
    suspend_on_primary(code, officer)
    assert REASON not in qr_page(client, code)  # anyone else: the standby, not replayed yet
    assert REASON in qr_page(writer, code)
    assert REASON in qr_page(signed_in, code)
    # The window ends: the writer reads from the standby again, unless the page cache already holds the
    # primary's newer page (keyed by the primary's version, which the fast path reads): never older.
    writer.set_cookie(app.config["REPLICA_OWN_WRITES_COOKIE"], str(int(time.time()) - 1))
    again = fetch(writer, f"/m/{code}")
    if again.headers.get("X-Page-Cache") in ("local", "redis"):
        assert REASON in again.get_data(as_text=True)
    else:
        assert REASON not in again.get_data(as_text=True)
    pair.resume_replay()


def test_a_standby_lagging_beyond_the_bound_sends_reads_to_the_primary(pair, app, client, replica, code, officer,
                                                                       caplog):
    replica.max_lag = 0.5
    pair.pause_replay()
    suspend_on_primary(code, officer)
    time.sleep(1.0)
    with caplog.at_level(logging.WARNING, logger="registry.replica"):
        assert REASON in qr_page(client, code)
        search = fetch(client, "/search?q=老字号").get_data(as_text=True)
    assert "老字号酒行" in search
    assert any("lagging" in record.getMessage() for record in caplog.records)
    body = health(client)
    assert body["status"] == "degraded" and body["checks"]["replica"] == "lagging"
    assert body["replica_lag_seconds"] > 0.5
    pair.resume_replay()
    pair.wait_until_replayed()
    assert health(client)["checks"]["replica"] == "ok"


def test_with_the_standby_stopped_the_pages_are_still_served(pair, app, client, replica, code, officer, caplog):
    # Looked at a moment ago and fine: the first request after the stop finds out by its query failing.
    replica.check_seconds = replica.retry_seconds = 3600
    assert replica.status(fresh=True).usable
    assert "老字号酒行" in qr_page(client, code)
    suspend_on_primary(code, officer)
    pair.standby.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="registry.replica"):
            assert REASON in qr_page(client, code)  # retried on the primary
            for path in ("/", "/search?q=老字号", "/stats", f"/api/v1/shops/{code}", "/open-data"):
                assert fetch(client, path).status_code == 200, path
        messages = [record.getMessage() for record in caplog.records]
        assert any("failed" in message for message in messages), messages
        body = health(client)
        assert body["status"] == "degraded" and body["checks"]["replica"] == "down"
    finally:
        pair.standby.start()
    pair.wait_until_replayed()
    assert health(client)["checks"]["replica"] == "ok"


def test_a_promoted_or_misnamed_standby_is_not_read_from(pair, app, database_url):
    """DATABASE_REPLICA_URL naming a server that is not in recovery (a promoted standby has its own
    history): reads stay on the primary."""
    primary_as_replica = make_app(database_url, DATABASE_REPLICA_URL=database_url, REPLICA_CHECK_SECONDS=0,
                                  REPLICA_RETRY_SECONDS=0)
    with primary_as_replica.app_context():
        assert replica_of(primary_as_replica).status(fresh=True).state == "not_standby"
        replica_of(primary_as_replica).engine.dispose()
