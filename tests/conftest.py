"""Shared fixtures: an app on a fresh database (SQLite, or PostgreSQL via TEST_DATABASE_URL),
clients, and factories that build domain objects through the real services."""

from __future__ import annotations

import itertools
import os
import random

import pytest
from sqlalchemy import text

from registry import create_app
from registry.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct horse battery"


def _reset_postgres_schema(url: str) -> None:
    """Start from an empty schema: nothing may depend on what an earlier run left behind."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(database_url: str, **overrides):
    config = {
        "REGISTRY_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "PUBLIC_BASE_URL": "https://cxm.example.cn",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    if database_url.startswith("postgresql"):
        # Test data need not survive a crash: skipping the WAL flush on commit makes the
        # PostgreSQL run several times faster without changing what the tests observe.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True,
                                               "connect_args": {"options": "-c synchronous_commit=off"}}
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def database_url(tmp_path):
    if TEST_DATABASE_URL:
        _reset_postgres_schema(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def app_overrides():
    """Tests override settings by overriding this fixture (e.g. CSRF on)."""
    return {}


@pytest.fixture
def app(database_url, app_overrides):
    app = make_app(database_url, **app_overrides)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_counter = itertools.count(1)


def unique_mobile() -> str:
    return f"139{next(_counter) + random.randrange(10**7):08d}"


def valid_credit_code(seed: int | None = None) -> str:
    from registry.merchants.identifiers import credit_code_check_character

    rng = random.Random(seed if seed is not None else next(_counter) * 7919 + random.randrange(10**6))
    first17 = "91330106" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return first17 + credit_code_check_character(first17)


@pytest.fixture
def make_user(app):
    """Create an account through the service: make_user(role="staff", login=..., password=...)."""
    from registry.auth.models import Role
    from registry.auth.services import create_user

    def factory(role: str = "merchant", login: str | None = None, password: str = PASSWORD,
                name: str = "测试用户", district: str | None = None):
        user = create_user(login or unique_mobile(), password, name, Role(role), district)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def pledge(app):
    from registry.pledges.defaults import publish_default_pledge

    version = publish_default_pledge()
    db.session.commit()
    return version


def shop_details(**fields):
    from registry.merchants.services import ShopDetails

    values = dict(name="美好生活超市", credit_code=valid_credit_code(), category="supermarket", district="西湖区",
                  township="转塘街道", address="转塘直街 88 号", contact_phone=unique_mobile(), owner_name="王美好")
    values.update(fields)
    return ShopDetails(**values)


@pytest.fixture
def make_shop(app, make_user, pledge):
    """Register a shop (signed by default): make_shop(owner=None, signed=True, **fields)."""
    from registry.merchants.services import register_shop
    from registry.pledges.services import sign_pledge

    def factory(owner=None, signed: bool = True, **fields):
        owner = owner or make_user()
        shop = register_shop(owner, shop_details(**fields))
        if signed:
            sign_pledge(shop, pledge, owner, shop.owner_name, "店主", "127.0.0.1", {c.number for c in pledge.clauses})
        db.session.commit()
        return shop

    return factory


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, login: str, password: str = PASSWORD):
        return self._client.post("/login", data={"login": login, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


# --- Added for the package test suites (auth, merchants, pledges, badges, lookup, audit, access). ---


@pytest.fixture(autouse=True)
def fresh_request_globals(monkeypatch):
    """Give every test-client request its own `g`, as a real request has.

    The `app` fixture keeps an application context pushed for the whole test, and Flask reuses a
    pushed context for requests, so `g` outlives a request: the user Flask-Login loaded, the
    locale Flask-Babel chose and Flask-WTF's "CSRF already checked" mark would carry over into
    the next request and make session, language and CSRF tests pass for the wrong reason.
    """
    from flask import g, has_app_context
    from flask.testing import FlaskClient

    original_open = FlaskClient.open

    def open_with_fresh_g(self, *args, **kwargs):
        if has_app_context():
            vars(g._get_current_object()).clear()
        return original_open(self, *args, **kwargs)

    monkeypatch.setattr(FlaskClient, "open", open_with_fresh_g)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """scrypt with a small work factor (still scrypt): each account costs ~1 ms instead of ~0.1 s."""
    from werkzeug.security import generate_password_hash

    import registry.auth.models

    def cheap(password, method="scrypt", salt_length=16):
        return generate_password_hash(password, method="scrypt:1024:8:1" if method == "scrypt" else method,
                                      salt_length=salt_length)

    monkeypatch.setattr(registry.auth.models, "generate_password_hash", cheap)


@pytest.fixture
def login_as(app):
    """Sign `client` in as `user` without a login request: login_as(client, user) -> client."""

    def login(client, user):
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return client

    return login


@pytest.fixture
def shop_form():
    """Form data for the shop form: shop_form(**overrides) -> dict (a new credit code each call)."""

    def build(**overrides):
        data = dict(name="美好生活超市", credit_code=valid_credit_code(), category="supermarket", district="西湖区",
                    township="转塘街道", address="转塘直街88号", owner_name="王美好", contact_phone=unique_mobile())
        data.update(overrides)
        return data

    return build


# --- Added for the staff-governance suites (pledge versions, accounts, consultations, audit log). ---

# The roles of the staff-area access matrices (SECURITY.md: every route × role).
MATRIX_ROLES = ("anonymous", "merchant", "other_merchant", "staff", "staff_elsewhere", "admin")
LOGIN_REDIRECT = "login"  # expected answer: a redirect to the login page with next=<the URL>


@pytest.fixture
def matrix_people(make_user, make_shop):
    """One account per matrix role (staff in 西湖区, staff_elsewhere in 滨江区); the merchant owns a signed shop."""
    owner = make_user(name="王美好")
    return {
        "merchant": owner,
        "shop": make_shop(owner=owner, district="西湖区"),
        "other_merchant": make_user(name="李四"),
        "staff": make_user(role="staff", name="西湖区工作人员", district="西湖区"),
        "staff_elsewhere": make_user(role="staff", name="滨江区工作人员", district="滨江区"),
        "admin": make_user(role="admin", name="管理员"),
    }


def assert_answer(response, expected, url: str) -> None:
    """The response is `expected` (a status code, or LOGIN_REDIRECT to the login page coming back to `url`)."""
    from urllib.parse import parse_qs, urlsplit

    if expected == LOGIN_REDIRECT:
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == [url]
    else:
        assert response.status_code == expected
