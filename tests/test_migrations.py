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


def test_standing_changes_are_filled_from_the_audit_log(empty_app):
    """Revision 294954eefec6 turns each merchant.standing_changed audit entry into a standing_changes
    row (the cause read from the entry's reason) and leaves the audit log as it was."""
    upgrade(revision="5534c1b6c4eb")
    entries = [("active", "pledge signed", 7), ("lapsed", "expired", None), ("lapsed", "reinstated; must sign again", 7),
               ("warned", "warning issued", 7), ("active", "sanction ended", None), ("suspended", "something new", 7)]
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO users (id, login, display_name, password_hash, role, created_at) "
                                "VALUES (7, 'staff@example.cn', '工作人员', 'x', 'staff', CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO merchants (id, name, search_name, credit_code, category, district, township, address, "
            "contact_phone, owner_name, public_code, standing, created_at, updated_at, version) VALUES "
            "(1, '小店', '小店', '91330100MA27XYZ12X', 'food', '西湖区', '北山街道', '一号', '13800000001', '王', "
            "'abcdefgh23456789', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"))
        for number, (new, reason, actor) in enumerate(entries, start=1):
            data = '{"new": "%s", "old": "pending", "reason": "%s"}' % (new, reason)
            connection.execute(text(
                "INSERT INTO audit_entries (created_at, actor_id, action, subject_type, subject_id, data, prev_hash, "
                "hash) VALUES (CURRENT_TIMESTAMP, :actor, 'merchant.standing_changed', 'merchant', 1, :data, :prev, "
                ":hash)"), {"actor": actor, "data": data, "prev": str(number - 1) * 64, "hash": str(number) * 64})
    upgrade(revision="294954eefec6")
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT merchant_id, old, new, cause, actor_id, at IS NOT NULL "
                                       "FROM standing_changes ORDER BY id")).all()
        audited = connection.execute(text("SELECT count(*) FROM audit_entries")).scalar()
    assert [tuple(row) for row in rows] == [
        (1, "pending", "active", "signed", 7, True), (1, "pending", "lapsed", "lapse", None, True),
        (1, "pending", "lapsed", "reinstated", 7, True), (1, "pending", "warned", "sanction", 7, True),
        (1, "pending", "active", "sanction_ended", None, True), (1, "pending", "suspended", "sanction", 7, True)]
    assert audited == len(entries)
    downgrade(revision="5534c1b6c4eb")
    assert "standing_changes" not in inspect(db.engine).get_table_names()
