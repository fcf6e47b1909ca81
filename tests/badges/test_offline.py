"""The QR's offline proof: signed at issue, checked without the database (page, CLI, standalone script)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event

from registry.badges import offline
from registry.badges.keys import BadgeKeyMissing, badge_signing_key, keys_document, published_badge_keys
from registry.badges.services import badge_url, current_badge, issue_badge, reissue_badge
from registry.extensions import db
from registry.signing import PublishedKey, public_pem

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://cxm.example.cn"
PLEDGE = "ab" * 32


def seed(key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives import serialization

    return base64.b64encode(key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                              serialization.NoEncryption())).decode()


def signed_url(key, code="k7m2q9txabcd2345", serial="CX20261206-000001-AB12", issued=date(2026, 12, 6)):
    return f"{BASE}/m/{code}?s={serial}&v={offline.sign_badge(key, code, serial, issued, PLEDGE)}"


def test_a_signed_url_verifies_and_says_what_was_signed():
    key = Ed25519PrivateKey.generate()
    url = signed_url(key)

    check = offline.verify_badge_url(url, [PublishedKey(key.public_key())], BASE)

    assert check.ok
    assert (check.code, check.serial, check.issued_on, check.pledge_hash) == (
        "k7m2q9txabcd2345", "CX20261206-000001-AB12", date(2026, 12, 6), "ab" * 8)
    assert len(url.split("v=")[1]) == offline.PROOF_CHARS


@pytest.mark.parametrize("tamper", [
    lambda url: url.replace("k7m2q9txabcd2345", "k7m2q9txabcd2346"),  # another shop
    lambda url: url.replace("AB12", "AB13"),  # another serial
    lambda url: url[:-3] + ("AAA" if url[-3:] != "AAA" else "BBB"),  # signature bytes
])
def test_a_tampered_url_is_refused(tamper):
    key = Ed25519PrivateKey.generate()

    check = offline.verify_badge_url(tamper(signed_url(key)), [PublishedKey(key.public_key())], BASE)

    assert check.problem == offline.BAD_SIGNATURE


def test_a_changed_issue_date_inside_the_proof_is_refused():
    key = Ed25519PrivateKey.generate()
    url = signed_url(key)
    proof = bytearray(base64.urlsafe_b64decode(url.split("v=")[1] + "=="))
    proof[6] ^= 1  # one day earlier or later
    forged = url.split("v=")[0] + "v=" + base64.urlsafe_b64encode(bytes(proof)).rstrip(b"=").decode()

    assert offline.verify_badge_url(forged, [PublishedKey(key.public_key())], BASE).problem == offline.BAD_SIGNATURE


def test_a_key_that_was_never_published_is_unknown():
    ours, theirs = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()

    check = offline.verify_badge_url(signed_url(theirs), [PublishedKey(ours.public_key())], BASE)

    assert check.problem == offline.UNKNOWN_KEY


def test_a_retired_key_verifies_what_it_signed_while_in_service_only():
    old = Ed25519PrivateKey.generate()
    retired = PublishedKey(old.public_key(), "2026-01-01", "2026-12-31")

    assert offline.verify_badge_url(signed_url(old, issued=date(2026, 12, 6)), [retired], BASE).ok
    late = offline.verify_badge_url(signed_url(old, issued=date(2027, 1, 2)), [retired], BASE)
    assert late.problem == offline.OUTSIDE_VALIDITY


@pytest.mark.parametrize("url", ["", "https://cxm.example.cn/search?q=x", f"{BASE}/m/abc?s=CX1",
                                 f"{BASE}/m/abc?s=CX1&v=short", f"{BASE}/m/abc?s=CX1&v=!!!!"])
def test_malformed_urls_are_refused(url):
    assert offline.verify_badge_url(url, [], BASE).problem == offline.MALFORMED


def test_a_signed_url_at_another_address_is_refused():
    key = Ed25519PrivateKey.generate()
    url = signed_url(key).replace(BASE, "https://cxm.example.cn.evil.example")

    assert offline.verify_badge_url(url, [PublishedKey(key.public_key())], BASE).problem == offline.FOREIGN_HOST


# --- Issuing ----------------------------------------------------------------------------------------

def test_an_issued_badge_carries_a_proof_over_its_shop_serial_date_and_pledge(app, make_shop):
    shop = make_shop()
    badge = current_badge(shop)

    check = offline.verify_badge_url(badge_url(shop, badge), published_badge_keys(), BASE)

    assert check.ok and check.serial == badge.serial and check.code == shop.public_code
    from registry.pledges.signing import latest_signature
    assert check.pledge_hash == latest_signature(shop).text_sha256[:16]


def test_reissuing_signs_with_the_current_key_and_the_old_poster_still_verifies(app, make_shop):
    shop = make_shop()
    old_badge = current_badge(shop)
    old_url = badge_url(shop, old_badge)
    old_public = badge_signing_key().public
    new_key = Ed25519PrivateKey.generate()
    app.config["BADGE_SIGNING_KEY"] = seed(new_key)
    app.config["BADGE_SIGNING_RETIRED_KEYS"] = json.dumps([{"public_key": public_pem(old_public),
                                                            "valid_from": None, "valid_until": None}])
    try:
        badge = reissue_badge(shop, shop.owner)
        db.session.commit()

        check = offline.verify_badge_url(badge_url(shop, badge), published_badge_keys(), BASE)
        assert check.ok and check.key_id == offline.short_key_id(new_key.public_key()).hex()
        assert offline.verify_badge_url(old_url, published_badge_keys(), BASE).ok
        assert [row["current"] for row in keys_document()["keys"]] == [True, False]
    finally:
        app.config["BADGE_SIGNING_KEY"] = None
        app.config["BADGE_SIGNING_RETIRED_KEYS"] = "[]"


def test_production_refuses_to_issue_a_badge_without_the_key(app, make_shop):
    shop = make_shop()
    app.config.update(REGISTRY_ENV="production", BADGE_SIGNING_KEY=None)
    try:
        with pytest.raises(BadgeKeyMissing, match="BADGE_SIGNING_KEY"):
            badge_signing_key()
        with pytest.raises(BadgeKeyMissing):
            issue_badge(shop, shop.owner)
        db.session.rollback()
        assert published_badge_keys() == []
    finally:
        app.config["REGISTRY_ENV"] = "testing"
    assert current_badge(shop) is not None  # the badge from signing is still the valid one


# --- /verify, /verify/keys, the CLI and the standalone script -------------------------------------------

def test_the_verify_page_checks_a_url_without_the_database(app, client, make_shop):
    shop = make_shop()
    url = badge_url(shop, current_badge(shop))
    statements = []
    engine = db.engine

    def count(*_args, **_kwargs):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get("/verify", query_string={"url": url})
    finally:
        event.remove(engine, "before_cursor_execute", count)

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and statements == []
    assert "离线签名有效，截至" in page and "扫码联网查看当前状态" in page
    tampered = client.get("/verify", query_string={"url": url.replace("?s=CX", "?s=CY")}).get_data(as_text=True)
    assert "签名无效" in tampered and "离线签名有效" not in tampered


def test_the_public_keys_are_published_as_json(client, app):
    document = client.get("/verify/keys").get_json()

    assert document["format"] == "cxm-badge-keys-1"
    assert document["keys"][0]["short_id"] == offline.short_key_id(badge_signing_key().public).hex()
    assert document["keys"][0]["public_key"].startswith("-----BEGIN PUBLIC KEY-----")


def test_the_cli_verifies_and_refuses(app, runner, make_shop):
    shop = make_shop()
    url = badge_url(shop, current_badge(shop))

    good = runner.invoke(args=["badges", "verify", url])
    bad = runner.invoke(args=["badges", "verify", url.replace("&v=A", "&v=B")])

    assert good.exit_code == 0 and "VALID" in good.output
    assert bad.exit_code == 1 and "INVALID" in bad.output


def test_the_cli_verifies_against_a_saved_keys_document(app, runner, make_shop, tmp_path):
    shop = make_shop()
    url = badge_url(shop, current_badge(shop))
    saved, stranger = tmp_path / "keys.json", tmp_path / "stranger.json"
    saved.write_text(json.dumps(keys_document()))
    other = PublishedKey(Ed25519PrivateKey.generate().public_key())
    stranger.write_text(json.dumps({"keys": [other.as_dict()]}))

    assert runner.invoke(args=["badges", "verify", url, "--keys", str(saved)]).exit_code == 0
    refused = runner.invoke(args=["badges", "verify", url, "--keys", str(stranger)])
    assert refused.exit_code == 1 and "not among the published keys" in refused.output


def test_the_standalone_script_agrees(app, make_shop, tmp_path):
    shop = make_shop()
    url = badge_url(shop, current_badge(shop))
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(keys_document()))
    script = str(ROOT / "docs" / "verify_badge.py")

    good = subprocess.run([sys.executable, script, url, str(keys)], capture_output=True, text=True)
    forged = subprocess.run([sys.executable, script, url.replace(shop.public_code, "x" * 16), str(keys)],
                            capture_output=True, text=True)

    assert good.returncode == 0 and "VALID" in good.stdout
    assert forged.returncode == 1 and "INVALID" in forged.stdout


@pytest.mark.production
def test_in_production_badges_are_signed_with_the_configured_key(app, make_shop):
    from registry.signing import load_private_key
    from tests.production import BADGE_SIGNING_TEST_KEY

    shop = make_shop()
    check = offline.verify_badge_url(badge_url(shop, current_badge(shop)), published_badge_keys(),
                                     app.config["PUBLIC_BASE_URL"])

    configured = load_private_key(BADGE_SIGNING_TEST_KEY).public_key()
    assert check.ok and check.key_id == offline.short_key_id(configured).hex()
    assert keys_document()["keys"][0]["development_key"] is False
