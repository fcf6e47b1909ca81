"""The open-data export signs the audit log's head: checkpoint-<day>.json beside the files, the public
keys at stable addresses, the latest checkpoint on /open-data, and no export in production without a key."""

from __future__ import annotations

import json

import pytest

from registry.audit import checkpoints as anchoring
from registry.audit.models import AuditEntry
from registry.extensions import db
from registry.opendata import services

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


def test_the_export_writes_a_signed_checkpoint_and_the_public_keys(app, seeded, export_dir, moment, runner):
    NOW, DAY = moment
    report = services.export(DAY, now=NOW)

    document = json.loads((export_dir / f"checkpoint-{DAY}.json").read_text("utf-8"))
    assert document == report.checkpoint
    assert document["entries"] == db.session.query(AuditEntry).count() > 0
    assert document["development_key"] is True
    published = anchoring.load_public_key((export_dir / "audit-key.pub").read_text())
    assert anchoring.check_signature(document, [anchoring.PublishedKey(published)]) is None
    keys = json.loads((export_dir / "audit-keys.json").read_text("utf-8"))
    assert keys["current"] == document["key_id"] == keys["keys"][0]["key_id"]

    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(export_dir / f"checkpoint-{DAY}.json"),
                                 "--public-key", str(export_dir / "audit-key.pub")])
    assert result.exit_code == 0, result.output


def test_the_cli_warns_about_a_development_key(app, seeded, export_dir, runner):
    result = runner.invoke(args=["opendata", "export"])

    assert result.exit_code == 0, result.output
    assert "Audit checkpoint:" in result.output and "DEVELOPMENT key" in result.output


def test_production_refuses_to_export_without_a_key(app, seeded, export_dir, runner, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRY_ENV", "production")

    result = runner.invoke(args=["opendata", "export"])

    assert result.exit_code != 0 and "AUDIT_CHECKPOINT_KEY is not set" in result.output
    assert not export_dir.exists() or not [p for p in export_dir.iterdir() if not p.name.startswith(".")]


def test_the_page_shows_the_latest_checkpoint_and_the_key_addresses(client, seeded, export_dir, moment):
    NOW, DAY = moment
    document = services.export(DAY, now=NOW).checkpoint

    html = client.get("/open-data").get_data(as_text=True)

    assert "审计日志签名检查点" in html and f'href="/open-data/checkpoint-{DAY}.json"' in html
    assert document["head_hash"] in html and document["key_id"] in html
    assert "开发用密钥" in html  # no AUDIT_CHECKPOINT_KEY in tests
    assert 'href="/open-data/audit-key.pub"' in html and 'href="/open-data/audit-keys.json"' in html
    with client.get("/open-data/audit-key.pub") as key:
        assert key.status_code == 200 and key.get_data(as_text=True).startswith("-----BEGIN PUBLIC KEY-----")
        assert key.mimetype == "text/plain"
    with client.get(f"/open-data/checkpoint-{DAY}.json") as checkpoint:
        assert checkpoint.status_code == 200 and json.loads(checkpoint.data) == document
    with client.get("/open-data/audit-keys.json") as keys:
        assert keys.json["current"] == document["key_id"]


def test_before_any_export_there_is_no_key_and_no_checkpoint(client, export_dir):
    assert "还没有签名检查点" in client.get("/open-data").get_data(as_text=True)
    assert client.get("/open-data/audit-key.pub").status_code == 404
    assert client.get("/open-data/checkpoint-2026-01-01.json").status_code == 404
