"""The database refuses UPDATE and DELETE on audit_entries (SQLite and PostgreSQL triggers); someone who
drops the triggers can tamper, and the chain check then names the entry."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from registry.audit.models import AuditEntry
from registry.audit.services import record, verify_chain
from registry.audit.triggers import MESSAGE, downgrade_statements, upgrade_statements
from registry.extensions import db

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
def chain(make_user) -> list[int]:
    user = make_user()
    ids = [record("test.action", user, user, step=step).id for step in range(3)]
    db.session.commit()
    return ids


def rows() -> list[tuple]:
    db.session.expire_all()
    return list(db.session.execute(select(AuditEntry.id, AuditEntry.action, AuditEntry.data, AuditEntry.hash)
                                   .order_by(AuditEntry.id)).all())


def refused(sql: str, **params) -> str:
    """Run `sql` and return the database's refusal (the transaction is rolled back)."""
    with pytest.raises(DBAPIError) as error:
        db.session.execute(text(sql), params)
        db.session.flush()
    db.session.rollback()
    return str(error.value.orig)


@pytest.mark.parametrize("sql", [
    "UPDATE audit_entries SET data = '{\"step\": 99}' WHERE id = :id",
    "UPDATE audit_entries SET actor_id = NULL",
    "DELETE FROM audit_entries WHERE id = :id",
    "DELETE FROM audit_entries",
])
def test_the_database_refuses_to_change_or_remove_entries(chain, sql):
    before = rows()

    assert MESSAGE in refused(sql, id=chain[1])

    assert rows() == before
    assert verify_chain().ok


def test_truncating_is_refused_too_on_postgresql(chain):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    before = rows()

    assert MESSAGE in refused("TRUNCATE audit_entries")

    assert rows() == before


def test_changing_an_entry_through_the_orm_is_refused(chain):
    entry = db.session.get(AuditEntry, chain[0])
    entry.data = '{"step": 42}'

    with pytest.raises(DBAPIError):
        db.session.commit()

    db.session.rollback()
    assert db.session.get(AuditEntry, chain[0]).data == '{"step": 0}'


def test_appending_still_works(chain, make_user):
    user = make_user()

    record("test.more", user, user)
    db.session.commit()

    assert db.session.scalar(select(func.count(AuditEntry.id))) == len(chain) + 1
    assert verify_chain().ok


def test_with_the_triggers_dropped_tampering_is_named_by_the_chain_check(chain):
    for statement in downgrade_statements(db.engine.dialect.name):
        db.session.execute(text(statement))
    db.session.execute(text("UPDATE audit_entries SET data = :data WHERE id = :id"),
                       {"data": '{"step": 99}', "id": chain[1]})
    db.session.commit()

    report = verify_chain()

    assert (report.ok, report.first_broken_id, report.checked) == (False, chain[1], 1)
    assert report.reason == "content does not match its hash"


def test_the_migration_statements_put_the_protection_back(chain):
    dialect = db.engine.dialect.name
    for statement in downgrade_statements(dialect):
        db.session.execute(text(statement))
    db.session.commit()
    db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": chain[-1]})  # unprotected now
    db.session.commit()

    for statement in upgrade_statements(dialect):
        db.session.execute(text(statement))
    db.session.commit()

    assert MESSAGE in refused("DELETE FROM audit_entries WHERE id = :id", id=chain[0])
    assert [row[0] for row in rows()] == chain[:-1]
