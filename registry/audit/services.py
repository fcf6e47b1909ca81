"""Writing and verifying the audit chain."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select, text

from registry.audit.models import GENESIS_HASH, AuditEntry
from registry.clock import utcnow
from registry.extensions import db

# Any constant works; it names the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 0x43584D41


def record(action: str, subject, actor=None, **data) -> AuditEntry:
    """Append an entry for `action` on `subject` to the chain (flushes, never commits)."""
    [entry] = record_each(action, [(subject, data)], actor)
    return entry


def record_each(action: str, items: list[tuple[object, dict]], actor=None) -> list[AuditEntry]:
    """One entry for `action` per (subject, data), chained in order and flushed at once: what `record`
    does for each, with the chain's head read once (a job importing shops by the thousand)."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        # Two transactions appending at once would both chain onto the same predecessor.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    # On SQLite writers already hold the database write lock (BEGIN IMMEDIATE).
    previous = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS_HASH
    now = utcnow()
    entries = []
    for subject, data in items:
        entry = AuditEntry(
            created_at=now,
            actor_id=actor.id if actor is not None else None,
            action=action,
            subject_type=type(subject).__name__.lower(),
            subject_id=subject.id,
            data=json.dumps(data, sort_keys=True, ensure_ascii=False, default=str),
            prev_hash=previous,
        )
        entry.hash = previous = entry.compute_hash()
        entries.append(entry)
    # Inserted in the order added, so ids follow the chain (verify_chain walks it by id).
    session.add_all(entries)
    session.flush()
    return entries


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the chain in id order and name the first entry whose hash or link does not hold."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        batch = db.session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch_size)
        ).all()
        if not batch:
            return ChainReport(checked, None, None)
        for entry in batch:
            if entry.prev_hash != expected_prev:
                return ChainReport(checked, entry.id, "link to the previous entry is broken")
            if entry.compute_hash() != entry.hash:
                return ChainReport(checked, entry.id, "content does not match its hash")
            expected_prev = entry.hash
            checked += 1
            last_id = entry.id
