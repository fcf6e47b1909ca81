"""The hash-chained audit log: entries link to their predecessor, and tampering is found and located."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from registry.audit.models import GENESIS_HASH, AuditEntry
from registry.audit.services import record, verify_chain
from registry.audit.triggers import downgrade_statements
from registry.extensions import db

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
def chain(make_user) -> list[int]:
    """Four committed entries (ids in order)."""
    user = make_user()
    ids = [record("test.action", user, user, step=step, note="第 %d 步" % step).id for step in range(4)]
    db.session.commit()
    return ids


def entries() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def tamper(sql: str, **params) -> None:
    """Change the table behind the application's back, as someone with the rights to drop the
    append-only triggers could (registry.audit.triggers; they are tested in test_triggers.py)."""
    for statement in downgrade_statements(db.engine.dialect.name):
        db.session.execute(text(statement))
    db.session.execute(text(sql), params)
    db.session.commit()
    db.session.expire_all()


def test_record_links_each_entry_to_the_one_before(chain):
    rows = entries()

    assert [row.id for row in rows] == chain
    assert rows[0].prev_hash == GENESIS_HASH
    for previous, entry in zip(rows, rows[1:]):
        assert entry.prev_hash == previous.hash
    assert all(row.hash == row.compute_hash() for row in rows)
    assert len({row.hash for row in rows}) == len(rows)


def test_record_stores_who_did_what_to_which_subject(make_user):
    user = make_user()

    entry = record("test.action", user, user, changed={"name": ["旧", "新"]})
    db.session.commit()

    stored = entries()[-1]
    assert stored.id == entry.id
    assert (stored.action, stored.subject_type, stored.subject_id, stored.actor_id) == (
        "test.action", "user", user.id, user.id)
    assert stored.data == '{"changed": {"name": ["旧", "新"]}}'


def test_a_fresh_chain_verifies(chain):
    report = verify_chain()

    assert report.ok
    assert report.checked == len(chain)


def test_an_empty_chain_verifies(app):
    assert verify_chain().ok


def test_verification_walks_the_chain_in_batches(chain):
    report = verify_chain(batch_size=3)

    assert report.ok and report.checked == len(chain)


@pytest.mark.parametrize(("column", "value"), [("data", '{"step": 99}'), ("action", "test.other"),
                                                ("actor_id", None)])
def test_changing_one_entry_names_exactly_that_entry(chain, column, value):
    tamper(f"UPDATE audit_entries SET {column} = :value WHERE id = :id", value=value, id=chain[2])

    report = verify_chain()

    assert report.first_broken_id == chain[2]
    assert report.reason == "content does not match its hash"
    assert report.checked == 2


def test_rewriting_an_entry_with_a_fresh_hash_breaks_the_next_link(chain):
    forged = entries()[1]
    db.session.expunge(forged)  # a copy to forge, not a change the session would write
    forged.data = '{"step": 99}'
    tamper("UPDATE audit_entries SET data = :data, hash = :hash WHERE id = :id",
           data=forged.data, hash=forged.compute_hash(), id=chain[1])

    report = verify_chain()

    assert report.first_broken_id == chain[2]
    assert report.reason == "link to the previous entry is broken"


def test_deleting_an_entry_names_the_one_after_it(chain):
    tamper("DELETE FROM audit_entries WHERE id = :id", id=chain[1])

    report = verify_chain()

    assert report.first_broken_id == chain[2]
    assert report.reason == "link to the previous entry is broken"


def test_the_cli_verifies_and_then_names_the_broken_entry(chain, runner):
    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 0
    assert f"Audit chain OK: {len(chain)} entries verified." in result.output

    tamper("UPDATE audit_entries SET data = :value WHERE id = :id", value='{"step": 99}', id=chain[1])
    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code != 0
    assert f"BROKEN at entry {chain[1]}:" in result.output
    assert "Audit chain OK" not in result.output
