"""The fixtures tests ask for: an app on a fresh database (SQLite, or PostgreSQL via TEST_DATABASE_URL),
clients, one clock, and factories that build domain objects through the real services.

How the databases are made and emptied is in tests/database.py; how apps are built and reused between
tests is in tests/apps.py."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timezone

import pytest

from registry.clock import use_time_source
from registry.extensions import db
from tests.apps import app_for_test, make_app, put_back
from tests.clock import Clock
from tests.database import TEST_DATABASE_URL, _schema, database_url, empty_database_url, pytest_sessionfinish

# The database fixtures and hook (tests/database.py) are made visible to pytest here; tests import
# the rest of these names from this module.
__all__ = ["_schema", "database_url", "empty_database_url", "pytest_sessionfinish",
           "PASSWORD", "TEST_DATABASE_URL", "make_app", "seed_areas", "shop_details", "unique_mobile",
           "valid_credit_code", "LOGIN_REDIRECT", "MATRIX_ROLES", "assert_answer"]

PASSWORD = "correct horse battery"


def pytest_configure(config):
    config.addinivalue_line("markers", "own_app: the test gets an app of its own (it adds routes to it)")
    # Hypothesis' default 200 ms per example is a speed check, not what these tests assert, and a
    # busy machine (or parallel workers) can miss it; tests may still set their own.
    from hypothesis import settings

    settings.register_profile("registry-tests", deadline=None)
    settings.load_profile("registry-tests")


@pytest.fixture
def app_overrides(request, tmp_path):
    """Tests override settings by overriding this fixture (e.g. CSRF on). Tests marked
    @pytest.mark.production run the app as deployed behind nginx over https (tests/production.py)."""
    if request.node.get_closest_marker("production"):
        from tests.production import production_overrides

        return production_overrides(EVIDENCE_DIR=str(tmp_path / "evidence"))
    return {}


@pytest.fixture
def app(request, database_url, app_overrides):
    """The app on this test's database, with the demo city's districts; the previous test's app when
    it had the same settings (tests/apps.py), put back as built afterwards."""
    app = app_for_test(database_url, app_overrides, own=request.node.get_closest_marker("own_app") is not None)
    try:
        with app.app_context():
            seed_areas()
            yield app
            db.session.remove()
    finally:
        put_back(app)


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


def seed_areas() -> None:
    """The demo city's districts and townships (the managed list every shop and staff scope must use),
    in three statements: every test app gets them (areas.services.import_rows takes ~10 times longer)."""
    from sqlalchemy import insert, select

    from registry.areas.models import District, Township
    from registry.demo import CITY_DISTRICTS

    db.session.execute(insert(District), [{"name": name} for name in CITY_DISTRICTS])
    ids = dict(db.session.execute(select(District.name, District.id)).all())
    db.session.execute(insert(Township), [{"district_id": ids[district], "name": township}
                                          for district, (_code, townships) in CITY_DISTRICTS.items()
                                          for township in townships])
    db.session.commit()


def shop_details(**fields):
    from registry.demo import CITY_DISTRICTS
    from registry.merchants.services import ShopDetails

    if fields.get("district") in CITY_DISTRICTS and "township" not in fields:  # a township of that district
        fields["township"] = CITY_DISTRICTS[fields["district"]][1][0]
    values = dict(name="美好生活超市", credit_code=valid_credit_code(), category="supermarket", district="西湖区",
                  township="转塘街道", address="转塘直街 88 号", contact_phone=unique_mobile(), owner_name="王美好")
    values.update(fields)
    return ShopDetails(**values)


@pytest.fixture
def make_shop(app, make_user, pledge):
    """Register a shop (signed by default): make_shop(owner=None, signed=True, **fields)."""
    from registry.merchants.services import register_shop
    from registry.pledges.signing import sign_pledge

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


@pytest.fixture
def fresh_request_globals():
    """Every request of a test client gets its own `g`: the test apps' client class does it
    (tests/apps.py, FreshRequestClient). Modules name this fixture to say they rely on it."""


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """scrypt with a small work factor (still scrypt): each account costs well under 1 ms instead of ~0.1 s.
    For the whole session, so module-scoped fixtures' accounts (and logging into them) are cheap too."""
    from werkzeug.security import generate_password_hash

    import registry.auth.models

    def cheap(password, method="scrypt", salt_length=16):
        return generate_password_hash(password, method="scrypt:128:8:1" if method == "scrypt" else method,
                                      salt_length=salt_length)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry.auth.models, "generate_password_hash", cheap)
        yield


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


@pytest.fixture
def clock():
    """Freeze all of the application's time (`registry.clock.utcnow`) at the current second;
    move it with clock.set(aware datetime) or clock.advance(days=…). Released after the test."""
    frozen = Clock(datetime.now(timezone.utc).replace(microsecond=0))
    use_time_source(frozen)
    yield frozen
    use_time_source(None)
