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

from registry.badges.models import Badge
from registry.badges.services import current_badge
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.pledges.models import Signature
from registry.pledges.services import latest_signature

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

ROLES = ("anonymous", "owner", "other_merchant", "staff", "admin")
LOGIN = "login"  # expected: redirect to the login page with next=<this path>


@dataclass
class World:
    shop: Merchant
    values: dict

    def url(self, template: str) -> str:
        return template.format(**self.values)


@pytest.fixture
def world(make_shop) -> World:
    """The owner's signed shop and the public codes that point at it."""
    shop = make_shop()
    signature = latest_signature(shop)
    return World(shop, {"id": shop.id, "code": shop.public_code, "cert": signature.certificate_code,
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
    ("POST", "/my/shops/{id}/badge/reissue", owner_only(302)),
    # Accounts.
    ("GET", "/login", signed_out_only()),
    ("GET", "/register", signed_out_only()),
    ("POST", "/logout", signed_in(302)),
    # Public pages.
    ("GET", "/", everyone(200)),
    ("GET", "/search", everyone(200)),
    ("GET", "/search?q=超市", everyone(200)),
    ("GET", "/verify", everyone(200)),
    ("GET", "/pledge", everyone(200)),
    ("GET", "/m/{code}", everyone(200)),
    ("GET", "/certificate/{cert}", everyone(200)),
    ("GET", "/certificate/{cert}.txt", everyone(200)),
    ("GET", "/badge/{serial}.png", everyone(200)),
    ("GET", "/badge/{serial}.svg", everyone(200)),
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
def test_access(client, world, make_user, login_as, method, path, role, expected):
    if role == "owner":
        login_as(client, world.shop.owner)
    elif role != "anonymous":
        user_role = {"other_merchant": "merchant", "staff": "staff", "admin": "admin"}[role]
        login_as(client, make_user(role=user_role, district="西湖区" if role == "staff" else None))
    url = world.url(path)
    before = snapshot(world.shop.id)

    response = client.open(url, method=method)

    if expected == LOGIN:
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == [urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "")]
    else:
        assert response.status_code == expected
    if not (role == "owner" and path.endswith("/reissue")):
        assert snapshot(world.shop.id) == before
    elif expected == 302:
        assert snapshot(world.shop.id) != before
