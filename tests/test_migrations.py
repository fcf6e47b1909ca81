"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from registry.extensions import db
from tests.conftest import make_app


@pytest.fixture
def empty_app(database_url):
    app = make_app(database_url)
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

    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
