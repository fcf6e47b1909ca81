"""Signed checkpoints: the audit chain's head anchored outside the database.

The hash chain alone proves only that the rows agree with each other: someone who can write to the
database can delete the newest entries, or edit one and re-hash everything after it, and
`flask audit verify` still passes. A checkpoint records how many entries the log held at a moment and
the hash of the last of them, signed with an Ed25519 key the database never sees. Once a checkpoint has
been published (the daily open-data export writes one, anyone may keep a copy), a log that is shorter,
or whose entry at that position has another hash, no longer matches it.

The private key comes from the environment (AUDIT_CHECKPOINT_KEY: PEM, or the base64 of the 32-byte
seed). Without it, production refuses to sign; development and tests sign with a development key kept in
AUDIT_CHECKPOINT_DEV_KEY_FILE, and every checkpoint says so. Retired public keys stay trusted for the
checkpoints signed while they were current (AUDIT_CHECKPOINT_RETIRED_KEYS, see deploy/DEPLOY.md).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from flask import current_app
from sqlalchemy import func, select

from registry.audit.models import GENESIS_HASH, AuditEntry
from registry.clock import utcnow
from registry.extensions import db
from registry import signing
from registry.signing import PublishedKey, SigningKey, SigningKeyInvalid, SigningKeyMissing, key_id

# Callers (the open-data export, tests) name these through this module.
load_public_key, public_pem = signing.load_public_key, signing.public_pem

FORMAT = "cxm-audit-checkpoint-1"
_SIGNED_FIELDS = ("format", "entries", "head_id", "head_hash", "created_at", "key_id", "development_key")


class CheckpointKeyMissing(SigningKeyMissing):
    """Production without AUDIT_CHECKPOINT_KEY: no checkpoint can be signed."""


class CheckpointKeyInvalid(SigningKeyInvalid):
    """AUDIT_CHECKPOINT_KEY is set but is not an Ed25519 private key."""


# --- Keys (loading, ids and formats are shared with the badges: registry/signing.py) -------------

def load_private_key(text: str):
    """An Ed25519 private key from PEM (PKCS#8) or from the base64 of its 32-byte seed."""
    return signing.load_private_key(text, "AUDIT_CHECKPOINT_KEY", CheckpointKeyInvalid)


def signing_key() -> SigningKey:
    """The configured key; in development and tests a development key (created once, kept on disk)."""
    config = current_app.config
    path = Path(config.get("AUDIT_CHECKPOINT_DEV_KEY_FILE") or Path(current_app.instance_path) / "audit-checkpoint-dev-key.pem")
    return signing.configured_key(
        config, "AUDIT_CHECKPOINT_KEY", path,
        "AUDIT_CHECKPOINT_KEY is not set: refusing to export without signing the audit checkpoint. "
        "Generate a key as deploy/DEPLOY.md describes (\"Audit checkpoints\") and set it in the environment.",
        missing=CheckpointKeyMissing, invalid=CheckpointKeyInvalid)


def published_keys(current: SigningKey | None = None) -> list[PublishedKey]:
    """The current public key first, then the retired ones with their validity dates."""
    keys = []
    if current is not None:
        keys.append(PublishedKey(current.public, current_app.config.get("AUDIT_CHECKPOINT_KEY_SINCE"), None))
    return keys + retired_keys()


def retired_keys() -> list[PublishedKey]:
    """AUDIT_CHECKPOINT_RETIRED_KEYS: a JSON list of {"public_key", "valid_from", "valid_until"}."""
    return signing.parse_retired_keys(current_app.config.get("AUDIT_CHECKPOINT_RETIRED_KEYS"))


# --- Making and checking checkpoints -----------------------------------------------------------

def _signed_bytes(document: dict) -> bytes:
    payload = {name: document.get(name) for name in _SIGNED_FIELDS}
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def make_checkpoint(key: SigningKey, now: datetime | None = None) -> dict:
    """The signed checkpoint of the log as it stands: entry count, the last entry's id and hash, the time."""
    count = db.session.scalar(select(func.count(AuditEntry.id))) or 0
    head = db.session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    document = {
        "format": FORMAT,
        "entries": count,
        "head_id": head.id if head else None,
        "head_hash": head.hash if head else GENESIS_HASH,
        "created_at": (now or utcnow()).isoformat(timespec="seconds"),
        "key_id": key_id(key.public),
        "development_key": key.development,
    }
    document["signature"] = base64.b64encode(key.private.sign(_signed_bytes(document))).decode()
    return document


@dataclass(frozen=True)
class CheckpointCheck:
    entries: int
    problem: str | None  # None: the log still holds what the checkpoint recorded

    @property
    def ok(self) -> bool:
        return self.problem is None


def check_signature(document: dict, trusted: list[PublishedKey]) -> str | None:
    """Why the checkpoint's signature cannot be trusted, or None when a trusted key signed it."""
    key = next((k for k in trusted if k.key_id == document.get("key_id")), None)
    if key is None:
        return f"signed by an unknown key ({document.get('key_id')}); none of the trusted public keys matches"
    try:
        key.public.verify(base64.b64decode(document.get("signature") or "", validate=True), _signed_bytes(document))
    except (InvalidSignature, binascii.Error, ValueError):
        return "the signature is invalid: the checkpoint was altered or not signed by this key"
    day = (document.get("created_at") or "")[:10]
    if not key.covers(day):
        return f"signed on {day}, outside the key's validity ({key.valid_from or '…'} to {key.valid_until or '…'})"
    return None


def check_log(document: dict) -> CheckpointCheck:
    """Does the log still hold the checkpoint's entries: at least as many, the last of them unchanged?"""
    recorded = int(document["entries"])
    count = db.session.scalar(select(func.count(AuditEntry.id))) or 0
    if count < recorded:
        return CheckpointCheck(count, f"the log holds {count} entries but the checkpoint of {document['created_at']} "
                                      f"recorded {recorded}: entries were deleted")
    if recorded == 0:
        return CheckpointCheck(count, None)
    at_position = db.session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id).offset(recorded - 1).limit(1)).first()
    if at_position.hash != document["head_hash"] or at_position.id != document["head_id"]:
        return CheckpointCheck(count, f"the log diverges from the checkpoint of {document['created_at']}: entry "
                                      f"{recorded} (id {at_position.id}) has hash {at_position.hash}, the checkpoint "
                                      f"recorded id {document['head_id']} with hash {document['head_hash']}")
    return CheckpointCheck(count, None)
