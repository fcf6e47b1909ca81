"""Who may open what: every route × every role, in one table.

Owner-area pages need a signed-in account (anonymous → login with `next`), and a shop's pages answer
only to its owner — other merchants, staff and administrators get 403 (the staff area is separate).
Public pages answer everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from conftest import PASSWORD, TEST_DATABASE_URL, make_app, seed_areas, shop_details
from tests.database import reset_postgres_schema
from registry.auth.models import Role, User
from registry.auth.services import create_user
from registry.badges.models import Badge
from registry.badges.services import current_badge
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.merchants.services import register_shop
from registry.pledges.defaults import publish_default_pledge
from registry.pledges.models import Signature
from registry.pledges.signing import latest_signature, sign_pledge

pytestmark = pytest.mark.usefixtures("fresh_request_globals")

ROLES = ("anonymous", "owner", "other_merchant", "staff", "admin")
LOGIN = "login"  # expected: redirect to the login page with next=<this path>


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app and database for the whole matrix (a fresh one per case would take most of a minute).

    Cases leave the data as they found it, except the owner's re-issue, which `world` follows.
    """
    if TEST_DATABASE_URL:
        reset_postgres_schema(TEST_DATABASE_URL)
        url = TEST_DATABASE_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('access') / 'test.sqlite3'}"
    app = make_app(url)
    with app.app_context():
        db.create_all()
        seed_areas()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(scope="module")
def people(app) -> dict[str, int]:
    """An account per role (ids), and the owner's signed shop."""
    ids = {}
    for role, user_role, district in [("owner", Role.MERCHANT, None), ("other_merchant", Role.MERCHANT, None),
                                      ("staff", Role.STAFF, "西湖区"), ("admin", Role.ADMIN, None)]:
        ids[role] = create_user(f"{role}@access.example.cn", PASSWORD, role, user_role, district).id
    owner = db.session.get(User, ids["owner"])
    pledge = publish_default_pledge()
    shop = register_shop(owner, shop_details())
    sign_pledge(shop, pledge, owner, "王美好", "店主", "127.0.0.1", {c.number for c in pledge.clauses})
    db.session.commit()
    ids["shop"] = shop.id
    return ids


@dataclass
class World:
    shop: Merchant
    values: dict

    def url(self, template: str) -> str:
        return template.format(**self.values)


@pytest.fixture
def world(people) -> World:
    """The owner's shop and the public codes that point at it now (re-issuing changes the serial)."""
    shop = db.session.get(Merchant, people["shop"])
    return World(shop, {"id": shop.id, "code": shop.public_code, "cert": latest_signature(shop).certificate_code,
                        "serial": current_badge(shop).serial})


def everyone(status):
    return dict.fromkeys(ROLES, status)


def owner_only(owner_status):
    return {"anonymous": LOGIN, "owner": owner_status, "other_merchant": 403, "staff": 403, "admin": 403}


def signed_in(status):
    return {"anonymous": LOGIN} | dict.fromkeys(ROLES[1:], status)


def signed_out_only():
    return {"anonymous": 200} | dict.fromkeys(ROLES[1:], 302)


ROUTES = [
    # Owner area, not about one shop.
    ("GET", "/my/shops", signed_in(200)),
    ("GET", "/my/shops/new", signed_in(200)),
    ("POST", "/my/shops/new", signed_in(200)),  # empty form: shown again with errors
    ("GET", "/my/shops/999999", signed_in(404)),
    # Owner area, one shop.
    ("GET", "/my/shops/{id}", owner_only(200)),
    ("GET", "/my/shops/{id}/edit", owner_only(200)),
    ("POST", "/my/shops/{id}/edit", owner_only(200)),  # empty form: shown again with errors
    ("GET", "/my/shops/{id}/sign", owner_only(302)),  # already signed: back to the desk
    ("POST", "/my/shops/{id}/sign", owner_only(302)),
    ("GET", "/my/shops/{id}/poster", owner_only(200)),
    ("GET", "/my/shops/{id}/poster?size=A5", owner_only(200)),
    ("GET", "/my/shops/{id}/poster.pdf?size=A5", owner_only(200)),
    ("GET", "/my/shops/{id}/badge/reissue", owner_only(200)),  # the confirmation page
    ("POST", "/my/shops/{id}/badge/reissue", owner_only(400)),  # not ticked: shown again, nothing voided
    # Accounts.
    ("GET", "/login", signed_out_only()),
    ("POST", "/login", signed_out_only()),  # empty form: shown again with errors
    ("GET", "/register", signed_out_only()),
    ("POST", "/register", signed_out_only()),
    ("GET", "/register/confirm", everyone(302)),  # no code asked for yet: back to /register
    ("POST", "/register/confirm", everyone(302)),
    ("GET", "/account/password", signed_in(200)),
    ("POST", "/account/password", signed_in(200)),  # empty form: shown again with errors
    ("GET", "/password/forgot", signed_out_only()),
    ("POST", "/password/forgot", signed_out_only()),  # empty form: shown again with errors
    ("GET", "/password/reset", everyone(302)),  # no code asked for yet: back to /password/forgot
    ("POST", "/password/reset", everyone(302)),
    ("POST", "/logout", signed_in(302)),
    ("GET", "/lang/en?next=/search", everyone(302)),
    # Public pages.
    ("GET", "/", everyone(200)),
    ("GET", "/search", everyone(200)),
    ("GET", "/search?q=超市", everyone(200)),
    ("GET", "/verify", everyone(200)),
    ("GET", "/verify?url=https://cxm.example.cn/m/x?s=CX1%26v=AAAA", everyone(200)),  # checked offline: refused
    ("GET", "/verify/keys", everyone(200)),
    ("GET", "/issuer/logo", everyone(404)),  # no logo configured
    ("GET", "/favicon.ico", everyone(200)),
    ("GET", "/pledge", everyone(200)),
    ("GET", "/m/{code}", everyone(200)),
    ("GET", "/certificate/{cert}", everyone(200)),
    # The exact signed text carries the signer's full name: the owner and staff only.
    ("GET", "/certificate/{cert}.txt", {"anonymous": 403, "owner": 200, "other_merchant": 403, "staff": 200, "admin": 200}),
    ("GET", "/badge/{serial}.png", everyone(200)),
    ("GET", "/badge/{serial}.svg", everyone(200)),
    ("GET", "/m/{code}/card.png", everyone(200)),
]

CASES = [
    pytest.param(method, path, role, expected[role], id=f"{method} {path} as {role}")
    for method, path, expected in ROUTES
    for role in ROLES
]


def snapshot(shop_id: int):
    """What no visitor but the owner may change: the shop row, its badges and signatures."""
    db.session.expire_all()
    shop = db.session.get(Merchant, shop_id)
    badges = db.session.execute(select(Badge.serial, Badge.voided_at).where(Badge.merchant_id == shop_id)).all()
    signatures = db.session.scalars(select(Signature.id).where(Signature.merchant_id == shop_id)).all()
    row = {column.key: getattr(shop, column.key) for column in Merchant.__table__.columns}
    return row, sorted(badges), sorted(signatures)


@pytest.mark.parametrize(("method", "path", "role", "expected"), CASES)
def test_access(client, people, world, login_as, method, path, role, expected):
    if role != "anonymous":
        login_as(client, db.session.get(User, people[role]))
    url = world.url(path)
    before = snapshot(world.shop.id)

    response = client.open(url, method=method)

    if expected == LOGIN:
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == [url]
    else:
        assert response.status_code == expected
    # Nothing here changes the shop's data (a re-issue needs the box ticked: tests/badges/test_views.py).
    assert snapshot(world.shop.id) == before


# The blueprints this table is about; other areas (complaints, staff) keep their own tables.
COVERED_BLUEPRINTS = {"auth", "badges", "lookup", "merchants", "pledges", "pledge_signing", "shop_desk"}


def test_the_table_lists_every_route_of_these_blueprints(app, world):
    adapter = app.url_map.bind("localhost")
    listed = {(adapter.match(urlsplit(world.url(path)).path, method=method)[0], method)
              for method, path, _expected in ROUTES}
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              if rule.endpoint.split(".")[0] in COVERED_BLUEPRINTS
              for method in rule.methods & {"GET", "POST"}}

    assert routes - listed == set()
