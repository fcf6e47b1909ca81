"""Signed checkpoints anchor the chain's head outside the database: deleting the newest entries or
editing one and re-hashing everything after it passes the plain chain check, but not `--checkpoint`."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from registry.audit import checkpoints
from registry.audit.models import GENESIS_HASH
from registry.audit.services import record, verify_chain
from registry.audit.triggers import downgrade_statements
from registry.extensions import db
from tests.audit.test_services import entries, tamper

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
def key(app):
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
    app.config["AUDIT_CHECKPOINT_KEY"] = base64.b64encode(seed).decode()
    yield private
    app.config["AUDIT_CHECKPOINT_KEY"] = None


@pytest.fixture
def chain(make_user) -> list[int]:
    user = make_user()
    ids = [record("test.action", user, user, step=step).id for step in range(5)]
    db.session.commit()
    return ids


@pytest.fixture
def checkpoint_file(app, key, chain, tmp_path):
    document = checkpoints.make_checkpoint(checkpoints.signing_key())
    path = tmp_path / "checkpoint-2026-12-06.json"
    path.write_text(json.dumps(document), "utf-8")
    return path


def verify(runner, *paths, public_key=None):
    args = ["audit", "verify"]
    for path in paths:
        args += ["--checkpoint", str(path)]
    if public_key is not None:
        args += ["--public-key", str(public_key)]
    return runner.invoke(args=args)


def test_a_clean_log_matches_its_checkpoint(checkpoint_file, runner, make_user):
    user = make_user()
    record("test.later", user, user)  # entries after the checkpoint are fine
    db.session.commit()

    result = verify(runner, checkpoint_file)

    assert result.exit_code == 0, result.output
    assert "OK: the log still holds its 5 entries" in result.output


def test_deleting_the_tail_after_a_checkpoint_fails(checkpoint_file, chain, runner):
    tamper("DELETE FROM audit_entries WHERE id >= :id", id=chain[3])
    assert verify_chain().ok  # what the plain check cannot see

    result = verify(runner, checkpoint_file)

    assert result.exit_code != 0
    assert "holds 3 entries but the checkpoint" in result.output and "entries were deleted" in result.output


def test_deleting_the_tail_and_writing_new_entries_fails(checkpoint_file, chain, runner, make_user):
    tamper("DELETE FROM audit_entries WHERE id >= :id", id=chain[3])
    user = make_user()
    for step in range(4):
        record("test.forged", user, user, step=step)
    db.session.commit()
    assert verify_chain().ok

    result = verify(runner, checkpoint_file)

    assert result.exit_code != 0 and "diverges from the checkpoint" in result.output


def test_an_edit_rehashed_to_the_end_fails(checkpoint_file, chain, runner):
    for statement in downgrade_statements(db.engine.dialect.name):
        db.session.execute(text(statement))
    previous = None
    for entry in entries():
        if entry.id == chain[1]:
            entry.data = '{"step": 99}'
        if previous is not None:
            entry.prev_hash = previous
        if entry.id >= chain[1]:
            entry.hash = entry.compute_hash()
            db.session.flush()
        previous = entry.hash
    db.session.commit()
    assert verify_chain().ok  # a consistent, rewritten chain

    result = verify(runner, checkpoint_file)

    assert result.exit_code != 0
    assert "diverges from the checkpoint" in result.output and f"id {chain[4]}" in result.output


@pytest.mark.parametrize("field, value", [("entries", 2), ("head_hash", GENESIS_HASH), ("signature", None)])
def test_a_tampered_checkpoint_fails_on_its_signature(checkpoint_file, runner, field, value):
    document = json.loads(checkpoint_file.read_text("utf-8"))
    if value is None:
        signature = bytearray(base64.b64decode(document["signature"]))
        signature[0] ^= 1
        value = base64.b64encode(bytes(signature)).decode()
    document[field] = value
    checkpoint_file.write_text(json.dumps(document), "utf-8")

    result = verify(runner, checkpoint_file)

    assert result.exit_code != 0 and "signature is invalid" in result.output


def test_a_checkpoint_signed_by_another_key_fails(checkpoint_file, runner, tmp_path):
    stranger = tmp_path / "stranger.pub"
    stranger.write_text(checkpoints.public_pem(Ed25519PrivateKey.generate().public_key()))

    result = verify(runner, checkpoint_file, public_key=stranger)

    assert result.exit_code != 0 and "unknown key" in result.output


def test_the_published_public_key_verifies_without_the_private_key(checkpoint_file, key, app, runner, tmp_path):
    published = tmp_path / "audit-key.pub"
    published.write_text(checkpoints.public_pem(key.public_key()))
    app.config["AUDIT_CHECKPOINT_KEY"] = None
    app.config["REGISTRY_ENV"] = "production"
    try:
        result = verify(runner, checkpoint_file, public_key=published)
    finally:
        app.config["REGISTRY_ENV"] = "testing"

    assert result.exit_code == 0, result.output


def test_a_retired_key_verifies_only_checkpoints_of_its_days(checkpoint_file, key, app, runner):
    retired_pem = checkpoints.public_pem(key.public_key())
    app.config["AUDIT_CHECKPOINT_KEY"] = base64.b64encode(
        Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                   serialization.NoEncryption())).decode()
    app.config["AUDIT_CHECKPOINT_RETIRED_KEYS"] = json.dumps(
        [{"public_key": retired_pem, "valid_from": "2020-01-01", "valid_until": "2099-12-31"}])
    try:
        assert verify(runner, checkpoint_file).exit_code == 0
        app.config["AUDIT_CHECKPOINT_RETIRED_KEYS"] = json.dumps(
            [{"public_key": retired_pem, "valid_from": "2020-01-01", "valid_until": "2020-12-31"}])
        result = verify(runner, checkpoint_file)
    finally:
        app.config["AUDIT_CHECKPOINT_RETIRED_KEYS"] = "[]"

    assert result.exit_code != 0 and "outside the key's validity" in result.output


def test_production_refuses_to_sign_without_a_key(app):
    app.config["REGISTRY_ENV"] = "production"
    try:
        with pytest.raises(checkpoints.CheckpointKeyMissing, match="AUDIT_CHECKPOINT_KEY"):
            checkpoints.signing_key()
    finally:
        app.config["REGISTRY_ENV"] = "testing"


def test_development_signs_with_a_kept_development_key(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_DEV_KEY_FILE", str(tmp_path / "dev.pem"))
    first, second = checkpoints.signing_key(), checkpoints.signing_key()

    assert first.development and checkpoints.key_id(first.public) == checkpoints.key_id(second.public)
    assert checkpoints.make_checkpoint(first)["development_key"] is True
