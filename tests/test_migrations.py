"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from registry.extensions import db
from tests.conftest import make_app


@pytest.fixture
def empty_app(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(empty_app):
    upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {"users", "merchants", "merchant_name_grams", "pledge_versions", "pledge_clauses", "signatures",
            "badges", "audit_entries"} <= tables

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"migrations and models differ: {differences}"

    # The migrated database refuses to rewrite history, as the models' create_all does.
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO audit_entries (created_at, action, subject_type, data, prev_hash, hash) "
                "VALUES (CURRENT_TIMESTAMP, 'test', 'test', '{}', :zero, :one)"), {"zero": "0" * 64, "one": "1" * 64})
            connection.execute(text("UPDATE audit_entries SET action = 'forged'"))

    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
