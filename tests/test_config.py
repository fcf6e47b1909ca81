"""Production settings: secure session cookies and a refusal to start half-configured."""

from __future__ import annotations

import pytest

from registry.config import DEMO_ISSUER, ConfigurationError, build_config
from tests.production import BADGE_SIGNING_TEST_KEY
from registry.extensions import db
from tests.conftest import PASSWORD, make_app


@pytest.fixture
def production_app(database_url):
    app = make_app(database_url, REGISTRY_ENV="production", TESTING=False, BADGE_SIGNING_KEY=BADGE_SIGNING_TEST_KEY,
                   **DEMO_ISSUER)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def test_production_session_cookie_is_host_only_secure_httponly_lax(production_app):
    from registry.auth.models import Role
    from registry.auth.services import create_user

    create_user("13912340000", PASSWORD, "店主", Role.MERCHANT)
    db.session.commit()
    client = production_app.test_client()
    response = client.post("/login", data={"login": "13912340000", "password": PASSWORD},
                           base_url="https://cxm.example.cn")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain=" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_production_refuses_to_start_without_secret_and_public_url(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError) as error:
        build_config({"REGISTRY_ENV": "production"})
    assert "SECRET_KEY" in str(error.value) and "PUBLIC_BASE_URL" in str(error.value)


def test_production_refuses_a_short_secret(monkeypatch):
    monkeypatch.setenv("ISSUER_NAME", "西子市消费者协会")
    monkeypatch.setenv("ISSUER_PHONE", "0571-86000315")
    monkeypatch.setenv("BADGE_SIGNING_KEY", BADGE_SIGNING_TEST_KEY)
    monkeypatch.setenv("SECRET_KEY", "short")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://cxm.example.cn")
    with pytest.raises(ConfigurationError, match="32 characters"):
        build_config({"REGISTRY_ENV": "production"})


def test_development_keeps_its_secret_between_starts(monkeypatch, tmp_path):
    import registry.config as config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    first = build_config({"REGISTRY_ENV": "development"})["SECRET_KEY"]
    second = build_config({"REGISTRY_ENV": "development"})["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "dev_secret_key").stat().st_mode & 0o777 == 0o600


def test_postgres_urls_use_psycopg3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.internal/registry")
    config = build_config({"REGISTRY_ENV": "testing"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal/registry"


def test_untrusted_host_is_refused(database_url):
    app = make_app(database_url, TRUSTED_HOSTS=["cxm.example.cn"])
    response = app.test_client().get("/", base_url="http://evil.example")
    assert response.status_code == 400
