"""registry.database.slow_work: slow work in a request holds no write transaction.

In a POST, SQLite's write lock is taken at the first statement; slow_work() gives it back (the
transaction has written nothing), lets the block read from a snapshot without blocking writers, refuses
writes inside the block, and leaves the pooled connection writable afterwards. Same contract on
PostgreSQL, where the check is that no session sits "idle in transaction" during the block.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from registry.database import slow_work
from registry.extensions import db
from registry.messaging.models import OutboxMessage
from tests.write_lock import another_writer_blocked, committed_rows, in_transaction, is_sqlite


def add_message(body: str = "x") -> None:
    db.session.add(OutboxMessage(phone="13812345678", body=body, purpose="test", sender="outbox"))
    db.session.flush()


def messages() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)))


@pytest.fixture
def post(app):
    """A POST request context, where the first statement takes SQLite's write lock."""
    with app.test_request_context("/", method="POST"):
        yield


def test_the_write_lock_taken_by_a_read_is_given_back_and_reads_inside_hold_none(app, post):
    add_message()
    db.session.commit()
    assert messages() == 1
    if is_sqlite():
        assert another_writer_blocked() == "database is locked"  # the POST's first read took it
    with slow_work():
        assert not in_transaction() and another_writer_blocked() is None
        assert messages() == 1  # reading is allowed ...
        assert another_writer_blocked() is None  # ... and takes no lock that stops a writer
    assert not in_transaction()
    add_message("after")  # a write transaction again, and the connection is writable
    db.session.commit()
    assert committed_rows("outbox_messages") == 2


def test_slow_work_after_a_write_is_refused_and_the_write_is_kept(app, post):
    add_message()
    with pytest.raises(RuntimeError, match="before writing"):
        with slow_work():
            pass
    db.session.commit()
    assert committed_rows("outbox_messages") == 1


def test_a_write_inside_slow_work_fails_and_is_not_kept(app, post):
    with pytest.raises((RuntimeError, OperationalError)):
        with slow_work():
            add_message()
    db.session.rollback()
    assert committed_rows("outbox_messages") == 0
    add_message("after")  # the pooled connection is not left read-only
    db.session.commit()
    assert committed_rows("outbox_messages") == 1


def test_rows_locked_for_update_count_as_written(app, post):
    add_message()
    db.session.commit()
    db.session.scalars(select(OutboxMessage).with_for_update()).all()
    with pytest.raises(RuntimeError, match="before writing"):
        with slow_work():
            pass
