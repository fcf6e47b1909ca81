"""Which requests may read from the standby (registry/replica.py), on both databases: only the public
read pages declare it, a declared view that writes fails loudly, and the settings are checked. The
behaviour against a real streaming standby is in tests/test_replica_standby.py."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from registry.config import ConfigurationError
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.replica import ReplicaWriteError, declares_replica_reads, replica_of, replica_reads
from tests.conftest import make_app

# Public, read-only, and nothing else (deny by default): every endpoint that may read from the standby.
DECLARED = {"lookup.home", "lookup.search", "lookup.shop", "public_stats.stats", "api.index", "api.openapi_document",
            "api.shops", "api.shop", "api.shop_complaints", "api.statistics", "opendata.index",
            "opendata.audit_public_key", "opendata.audit_public_keys", "opendata.download"}



def test_only_the_public_read_pages_declare_replica_reads(app):
    declared = {endpoint for endpoint, view in app.view_functions.items() if declares_replica_reads(view)}
    assert declared == DECLARED


@pytest.mark.own_app
def test_a_declared_view_that_writes_fails_loudly(app, client, make_shop, caplog):
    shop = make_shop()

    @replica_reads
    def renames():
        shop.name = "改名"
        db.session.commit()
        return "saved"

    @replica_reads
    def locks():
        db.session.execute(select(Merchant).with_for_update())
        return "locked"

    @replica_reads
    def deletes():
        db.session.execute(text(f"UPDATE {Merchant.__tablename__} SET name = name"))
        return "deleted"

    def undeclared_write():
        db.session.get(Merchant, shop.id).name = "改了名"
        db.session.commit()
        return "saved"

    for view in (renames, locks, deletes, undeclared_write):
        app.add_url_rule(f"/test-{view.__name__}", view.__name__, view)
    for name in ("renames", "locks", "deletes"):
        caplog.clear()
        assert client.get(f"/test-{name}").status_code == 500
        assert [type(record.exc_info[1]) for record in caplog.records if record.exc_info] == [ReplicaWriteError]
        db.session.rollback()
    assert db.session.get(Merchant, shop.id).name != "改名"
    # Undeclared views write as before; reading a declared page still works.
    assert client.get("/test-undeclared_write").data == b"saved"
    assert client.get(f"/m/{shop.public_code}").status_code == 200


def test_settings_are_checked_and_pgbouncer_turns_prepared_statements_off(database_url):
    standby = "postgresql+psycopg://postgres@127.0.0.1:1/standby"
    with pytest.raises(ConfigurationError, match="PostgreSQL"):
        make_app(database_url, DATABASE_REPLICA_URL="sqlite:///elsewhere.sqlite3")
    with pytest.raises(ConfigurationError, match="REPLICA_OWN_WRITES_SECONDS"):
        make_app(database_url, DATABASE_REPLICA_URL=standby, REPLICA_MAX_LAG_SECONDS=30, REPLICA_OWN_WRITES_SECONDS=10)
    assert replica_of(make_app(database_url)) is None
    postgres = "postgresql+psycopg://postgres@127.0.0.1:6432/registry"
    pooled = make_app(postgres, DATABASE_PGBOUNCER=True, DATABASE_REPLICA_URL=standby)
    assert pooled.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["prepare_threshold"] is None
    assert replica_of(pooled).engine.dialect.name == "postgresql"  # made, not connected: nothing listens on :1
