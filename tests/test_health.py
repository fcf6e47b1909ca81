"""/healthz, the load balancer's probe (issue 10, item 9): database reachable, schema at this code's
migration head, Redis reachable (degraded, not down, when it is away). JSON, no personal data, no
authentication, no rate limit, no session cookie, never cached."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from conftest import TEST_DATABASE_URL, make_app
from registry.extensions import db, limiter
from registry.health import known_revisions

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def limiter_state(monkeypatch):
    """The limiter is one object per process: whatever a test does to it must not outlive the test."""
    monkeypatch.setattr(limiter, "_storage_dead", False)
    monkeypatch.setattr(limiter.limit_manager, "_default_limits", [])


def stamp(*revisions: str) -> None:
    """Record `revisions` as applied, as `flask db upgrade` would (the test schema is built without Alembic)."""
    db.session.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
    for revision in revisions:
        db.session.execute(text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": revision})
    db.session.commit()


@pytest.fixture
def migrated(app):
    """The database stamped at this code's head; the table goes again afterwards (the next test's schema)."""
    heads, _revisions = known_revisions()
    stamp(*heads)
    yield
    db.session.rollback()
    db.session.execute(text("DROP TABLE alembic_version"))
    db.session.commit()


def older_revision() -> str:
    heads, revisions = known_revisions()
    return sorted(revisions - heads)[0]


def probe(client):
    response = client.get("/healthz")
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    return response.status_code, response.get_json()


def test_all_well_is_200_ok_with_nothing_personal(client, migrated, make_user, make_shop):
    owner = make_user(login="13867452301", name="欧阳锋锐")
    make_shop(owner=owner)
    status, body = probe(client)
    assert status == 200
    # Exactly these keys and words: no names, phones, counts or versions of anything.
    assert body == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "rate_limit_storage": "off"}}


def test_no_login_session_or_rate_limit_applies(database_url, migrated, make_user, login_as):
    # An app-wide default limit of 3 a minute, which every other page obeys…
    app = make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="3 per minute")
    client = app.test_client()
    assert [client.get("/pledge").status_code for _ in range(4)][-1] == 429
    # …does not reach the probe, which a load balancer calls every few seconds.
    assert {probe(client)[0] for _ in range(20)} == {200}
    assert probe(client)[1]["checks"]["rate_limit_storage"] == "memory"  # no shared storage configured
    # A signed-in visitor's cookie is neither needed nor touched.
    login_as(client, make_user(role="staff", district="西湖区"))
    assert probe(client)[0] == 200


def test_schema_behind_the_code_is_503(client, app):
    heads, _revisions = known_revisions()
    stamp(older_revision())
    try:
        status, body = probe(client)
    finally:
        db.session.execute(text("DROP TABLE alembic_version"))
        db.session.commit()
    assert status == 503
    assert body["status"] == "down" and body["checks"]["migrations"] == "behind"
    assert body["checks"]["database"] == "ok"


def test_schema_never_migrated_is_503(client):
    status, body = probe(client)
    assert status == 503
    assert body["checks"] == {"database": "ok", "migrations": "unknown", "rate_limit_storage": "off"}


def test_schema_migrated_by_a_newer_release_still_serves(client, app):
    # During a rolling upgrade the new release migrates first; old hosts keep serving (DEPLOY.md).
    stamp("0123456789ab")
    try:
        status, body = probe(client)
    finally:
        db.session.execute(text("DROP TABLE alembic_version"))
        db.session.commit()
    assert status == 200
    assert body["checks"]["migrations"] == "ahead"


def test_database_unreachable_is_503(tmp_path):
    unreachable = ("postgresql+psycopg://postgres@127.0.0.1:1/nothing" if TEST_DATABASE_URL
                   else f"sqlite:///{tmp_path / 'no' / 'such' / 'directory' / 'registry.sqlite3'}")
    app = make_app(unreachable)
    status, body = probe(app.test_client())
    assert status == 503
    assert body == {"status": "down", "checks": {"database": "down", "migrations": "unknown",
                                                 "rate_limit_storage": "off"}}


def test_redis_away_is_degraded_not_down(database_url, migrated):
    app = make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=DEAD_REDIS)
    status, body = probe(app.test_client())
    assert status == 200
    assert body == {"status": "degraded", "checks": {"database": "ok", "migrations": "ok",
                                                     "rate_limit_storage": "degraded"}}


def test_redis_reachable_is_ok(database_url, migrated):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    app = make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL)
    status, body = probe(app.test_client())
    assert status == 200
    assert body["status"] == "ok" and body["checks"]["rate_limit_storage"] == "ok"


def test_the_migration_head_is_read_once_per_process(client, migrated):
    before = known_revisions.cache_info()
    probe(client)
    probe(client)
    after = known_revisions.cache_info()
    assert after.misses == before.misses and after.hits >= before.hits + 2
