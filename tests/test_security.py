"""Security promises from SECURITY.md that cut across packages: CSRF, headers, caching, XSS, errors, config."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

import registry.config
from tests.production import BADGE_SIGNING_TEST_KEY
from conftest import PASSWORD
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.pledges.signing import latest_signature

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_posts_without_a_csrf_token_are_refused(app, client, make_user, login_as, shop_form):
    user = make_user()

    refused_login = client.post("/login", data={"login": user.login, "password": PASSWORD})
    assert refused_login.status_code == 400
    assert client.get("/my/shops").status_code == 302  # not signed in

    token = csrf_token(client.get("/login").get_data(as_text=True))
    accepted_login = client.post("/login", data={"login": user.login, "password": PASSWORD, "csrf_token": token})
    assert accepted_login.status_code == 302
    assert client.get("/my/shops").status_code == 200

    data = shop_form()
    assert client.post("/my/shops/new", data=data).status_code == 400
    assert client.post("/my/shops/new", data=data | {"csrf_token": "forged"}).status_code == 400
    assert db.session.scalar(select(func.count(Merchant.id))) == 0

    token = csrf_token(client.get("/my/shops/new").get_data(as_text=True))
    assert client.post("/my/shops/new", data=data | {"csrf_token": token}).status_code == 302
    assert db.session.scalar(select(func.count(Merchant.id))) == 1


def test_every_response_carries_the_security_headers(client):
    response = client.get("/")

    policy = {directive.split()[0]: directive for directive in response.headers["Content-Security-Policy"].split("; ")}
    assert policy["default-src"] == "default-src 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["form-action"] == "form-action 'self'"
    assert policy["object-src"] == "object-src 'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert re.fullmatch(r"[0-9a-f]{12}", response.headers["X-Request-Id"])


def test_pages_with_personal_data_are_never_cached(client, make_shop, login_as):
    shop = make_shop()
    login_as(client, shop.owner)

    for path in ("/my/shops", f"/my/shops/{shop.id}", f"/my/shops/{shop.id}/edit", f"/my/shops/{shop.id}/poster"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    assert client.get(f"/m/{shop.public_code}").headers["Cache-Control"] == "no-cache"


def test_a_shop_name_with_markup_is_escaped_everywhere_it_is_shown(client, make_shop, login_as):
    shop = make_shop(name=XSS, owner_name=XSS, address=XSS)
    login_as(client, shop.owner)
    pages = {
        "QR page": f"/m/{shop.public_code}",
        "search": "/search",
        "search by name": "/search?q=alert",
        "certificate": f"/certificate/{latest_signature(shop).certificate_code}",
        "desk": f"/my/shops/{shop.id}",
        "my shops": "/my/shops",
        "poster": f"/my/shops/{shop.id}/poster",
        "edit form": f"/my/shops/{shop.id}/edit",
    }

    for label, path in pages.items():
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, label
        assert XSS not in html, label
        assert XSS_ESCAPED in html, label


@pytest.mark.own_app  # adds a route
def test_an_unexpected_error_shows_the_500_page_with_a_request_id_and_no_traceback(app, client):
    def boom():
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/boom", "boom", boom)

    response = client.get("/boom")

    assert response.status_code == 500
    html = response.get_data(as_text=True)
    request_id = response.headers["X-Request-Id"]
    assert f"请求编号：{request_id}" in html
    assert "服务器出错了" in html
    assert "Traceback" not in html and "secret internal detail" not in html and "RuntimeError" not in html


def test_production_refuses_to_start_without_secret_key_and_public_base_url(monkeypatch):
    for name in ("SECRET_KEY", "PUBLIC_BASE_URL", "REGISTRY_ENV", "ISSUER_NAME", "ISSUER_PHONE", "BADGE_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(registry.config.ConfigurationError) as refused:
        registry.config.build_config({"REGISTRY_ENV": "production"})

    assert "without SECRET_KEY, PUBLIC_BASE_URL, ISSUER_NAME, ISSUER_PHONE, BADGE_SIGNING_KEY." in str(refused.value)

    monkeypatch.setenv("ISSUER_NAME", "西子市消费者协会")
    monkeypatch.setenv("ISSUER_PHONE", "0571-86000315")
    monkeypatch.setenv("BADGE_SIGNING_KEY", BADGE_SIGNING_TEST_KEY)

    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    with pytest.raises(registry.config.ConfigurationError) as refused:
        registry.config.build_config({"REGISTRY_ENV": "production"})
    assert "without PUBLIC_BASE_URL." in str(refused.value)

    monkeypatch.setenv("SECRET_KEY", "too-short")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://cxm.example.cn/")
    with pytest.raises(registry.config.ConfigurationError, match="SECRET_KEY must be at least 32"):
        registry.config.build_config({"REGISTRY_ENV": "production"})


def test_production_sessions_are_secure_cookies(monkeypatch):
    monkeypatch.setenv("ISSUER_NAME", "西子市消费者协会")
    monkeypatch.setenv("ISSUER_PHONE", "0571-86000315")
    monkeypatch.setenv("BADGE_SIGNING_KEY", BADGE_SIGNING_TEST_KEY)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://cxm.example.cn/")

    config = registry.config.build_config({"REGISTRY_ENV": "production"})

    assert config["PUBLIC_BASE_URL"] == "https://cxm.example.cn"
    assert config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert (config["SESSION_COOKIE_SECURE"], config["SESSION_COOKIE_HTTPONLY"]) == (True, True)
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["HSTS_SECONDS"] >= 31536000
