"""The registry's public address (registry/web.py `public_base_url`), printed in QR codes, posters, letters,
texts, the API page and the open data: PUBLIC_BASE_URL when set (production cannot start without it,
tests/test_security.py); in development without it, the address the request came to, so a phone on the
LAN gets codes it can scan; outside a request, the address `flask run` serves."""

from __future__ import annotations

import pytest

from registry.badges.services import qr_target
from registry.campaigns.claims import claim_url
from registry.web import public_base_url

pytestmark = pytest.mark.usefixtures("fresh_request_globals")

LAN = "http://192.168.1.20:5106"
UNSET = pytest.mark.parametrize("app_overrides", [{"REGISTRY_ENV": "development", "PUBLIC_BASE_URL": None}])


@UNSET
def test_unset_it_follows_the_address_the_page_was_opened_at(app, client):
    with app.test_request_context("/m/abc", base_url=LAN):
        assert public_base_url() == LAN
        assert qr_target("abc", "S1", "proof") == f"{LAN}/m/abc?s=S1&v=proof"

    page = client.get("/api", base_url=LAN).get_data(as_text=True)
    assert f"curl -G &#39;{LAN}/api/v1/shops&#39;" in page
    assert "127.0.0.1:5000" not in page


@UNSET
def test_unset_outside_a_request_it_is_the_flask_run_address(app, monkeypatch):
    monkeypatch.delenv("FLASK_RUN_PORT", raising=False)
    assert public_base_url() == "http://127.0.0.1:5000"
    monkeypatch.setenv("FLASK_RUN_PORT", "5106")
    assert public_base_url() == "http://127.0.0.1:5106"


def test_set_it_is_printed_whoever_asks(app, client):
    with app.test_request_context("/", base_url=LAN):
        assert public_base_url() == "https://cxm.example.cn"

        class Invitation:
            code = "ABCD2345"

        assert claim_url(Invitation()) == "https://cxm.example.cn/my/claim?code=ABCD2345"
    assert "curl -G &#39;https://cxm.example.cn/api/v1/shops&#39;" in client.get("/api", base_url=LAN).get_data(
        as_text=True)


def test_development_no_longer_invents_an_address(monkeypatch):
    from registry.config import build_config

    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    assert build_config({"REGISTRY_ENV": "development"})["PUBLIC_BASE_URL"] is None
