"""The app through PgBouncer in transaction pooling mode (deploy/DEPLOY.md, "PgBouncer").

A PgBouncer started here on a free port (bench/servers.py `PgBouncer`, Debian's 1.18: no tracking of
prepared statements) stands in front of this test process's PostgreSQL database; the app connects
only through it, with DATABASE_PGBOUNCER=1 and the production settings. The public pages are read more
often than psycopg's prepare threshold (5), and the consumer, staff and shop-owner journey of a
complaint (tests/complaints/test_over_https.py) runs unchanged. Skipped on SQLite; without PgBouncer
skipped, or failed under REQUIRE_STANDBY=1 (CI).
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy.engine import make_url

from registry.extensions import db
from tests.complaints.conftest import evidence_dir, world  # noqa: F401 — the journey's fixtures
from tests.complaints.test_over_https import (  # noqa: F401 — run again here, through the pooler
    test_a_consumer_files_and_follows_a_case_through_every_form_over_https as test_the_complaint_journey_through_pgbouncer,
)
from tests.conftest import TEST_DATABASE_URL
from tests.production import BrowserClient, production_overrides

pytestmark = pytest.mark.production


@pytest.fixture(scope="session")
def pgbouncer(tmp_path_factory):
    from bench.servers import PgBouncer, pgbouncer_available

    if not TEST_DATABASE_URL:
        pytest.skip("PgBouncer pools PostgreSQL connections (TEST_DATABASE_URL); skipped on SQLite")
    if not pgbouncer_available():
        message = "pgbouncer not found (apt-get install pgbouncer)"
        if os.environ.get("REQUIRE_STANDBY") == "1":
            pytest.fail(f"{message}: required by REQUIRE_STANDBY=1", pytrace=False)
        pytest.skip(message)
    server = make_url(TEST_DATABASE_URL)
    with PgBouncer("tests", server.host or "127.0.0.1", server.port or 5432, tmp_path_factory.mktemp("pgbouncer"),
                   pool_size=3) as bouncer:
        yield bouncer


@pytest.fixture
def database_url(database_url, pgbouncer):
    """This test's database (emptied directly), reached through PgBouncer."""
    return pgbouncer.url(make_url(database_url).database)


@pytest.fixture
def app_overrides(tmp_path):
    return production_overrides(EVIDENCE_DIR=str(tmp_path / "evidence"), DATABASE_PGBOUNCER=True)


def test_the_app_connects_through_pgbouncer_without_prepared_statements(app, pgbouncer):
    assert db.engine.url.port == pgbouncer.port
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["prepare_threshold"] is None
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW port").scalar() != str(pgbouncer.port)  # the server answers


def test_the_public_pages_through_pgbouncer(app, make_shop, make_user):
    shops = [make_shop(name=f"第{n}家诚信超市", district="西湖区") for n in range(3)]
    browser = BrowserClient(app)
    for _round in range(8):  # past psycopg's prepare threshold on every statement
        for shop in shops:
            page = browser.get(f"/m/{shop.public_code}")
            assert page.status == 200 and shop.name in page.text
        assert "第0家诚信超市" in browser.get("/search?q=诚信").text
        assert browser.get("/").status == 200
        assert browser.get(f"/api/v1/shops/{shops[0].public_code}").response.get_json()["name"] == "第0家诚信超市"
        assert browser.get("/stats").status == 200
