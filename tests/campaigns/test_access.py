"""Who may open which campaign page: every route × every role, in one table.

Staff pages answer staff and administrators only (anonymous → login with `next`, merchants → 403); a
batch uploaded by a district's staff is closed to staff of another district. The claim page answers
any signed-in account. No case may change data: the requests are empty or find nothing to do.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from conftest import PASSWORD, TEST_DATABASE_URL, make_app, seed_areas
from tests.database import reset_postgres_schema
from registry.audit.models import AuditEntry
from registry.auth.models import Role, User
from registry.auth.services import create_user
from registry.campaigns.models import ImportBatch, ShopInvitation
from registry.campaigns.imports import upload_batch
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.pledges.defaults import publish_default_pledge
from tests.campaigns.conftest import csv_text, shop_row

pytestmark = pytest.mark.usefixtures("fresh_request_globals")

ROLES = ("anonymous", "merchant", "other_merchant", "staff", "other_staff", "admin")
LOGIN = "login"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app and database for the whole matrix; no case changes the data."""
    if TEST_DATABASE_URL:
        reset_postgres_schema(TEST_DATABASE_URL)
        url = TEST_DATABASE_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('campaign-access') / 'test.sqlite3'}"
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
    """An account per role, and a batch uploaded by 西湖区 staff, waiting for a decision."""
    ids = {}
    for role, user_role, district in [("merchant", Role.MERCHANT, None), ("other_merchant", Role.MERCHANT, None),
                                      ("staff", Role.STAFF, "西湖区"), ("other_staff", Role.STAFF, "滨江区"),
                                      ("admin", Role.ADMIN, None)]:
        ids[role] = create_user(f"{role}@campaigns.example.cn", PASSWORD, role, user_role, district).id
    publish_default_pledge()
    batch = upload_batch("名单.csv", csv_text([shop_row(), shop_row(contact_phone="1")]).encode(),
                         db.session.get(User, ids["staff"]))
    db.session.commit()
    ids["batch"] = batch.id
    return ids


def staff_only(status, other_district=None):
    return {"anonymous": LOGIN, "merchant": 403, "other_merchant": 403, "staff": status,
            "other_staff": status if other_district is None else other_district, "admin": status}


def signed_in(status):
    return {"anonymous": LOGIN} | dict.fromkeys(ROLES[1:], status)


ROUTES = [
    ("GET", "/staff/campaigns", staff_only(200)),
    ("POST", "/staff/campaigns/upload", staff_only(400)),  # no file: the form again, with the error
    ("GET", "/staff/campaigns/template.csv", staff_only(200)),
    ("GET", "/staff/campaigns/template.xlsx", staff_only(200)),
    ("GET", "/staff/campaigns/batches/{batch}", staff_only(200, other_district=403)),
    ("GET", "/staff/campaigns/batches/{batch}?show=errors", staff_only(200, other_district=403)),
    ("GET", "/staff/campaigns/batches/999999", staff_only(404)),
    ("POST", "/staff/campaigns/batches/{batch}/decision", staff_only(302, other_district=403)),  # no button
    ("POST", "/staff/campaigns/batches/{batch}/letters.pdf", staff_only(302, other_district=403)),  # none yet
    ("GET", "/staff/campaigns/posters", staff_only(200)),
    ("POST", "/staff/campaigns/posters", staff_only(302)),  # no signed shop to print
    ("GET", "/my/claim", signed_in(200)),
    ("POST", "/my/claim", signed_in(400)),  # empty form
]

CASES = [
    pytest.param(method, path, role, expected[role], id=f"{method} {path} as {role}")
    for method, path, expected in ROUTES
    for role in ROLES
]


def snapshot(batch_id: int):
    db.session.expire_all()
    return (db.session.scalar(select(func.count(Merchant.id))), db.session.scalar(select(func.count(ShopInvitation.id))),
            db.session.scalar(select(func.count(AuditEntry.id))), db.session.get(ImportBatch, batch_id).status)


@pytest.mark.parametrize(("method", "path", "role", "expected"), CASES)
def test_access(client, people, login_as, method, path, role, expected):
    if role != "anonymous":
        login_as(client, db.session.get(User, people[role]))
    url = path.format(batch=people["batch"])
    before = snapshot(people["batch"])

    response = client.open(url, method=method)

    if expected == LOGIN:
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == [url]
    else:
        assert response.status_code == expected
    if role != "anonymous" and expected not in (403, 404) and path.startswith("/staff"):
        assert response.headers["Cache-Control"] == "no-store"
    assert snapshot(people["batch"]) == before


def test_the_table_lists_every_route_of_the_campaign_blueprints(app, people):
    adapter = app.url_map.bind("localhost")
    listed = {(adapter.match(urlsplit(path.format(batch=people["batch"])).path, method=method)[0], method)
              for method, path, _expected in ROUTES}
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              if rule.endpoint.split(".")[0] in {"campaigns", "campaign_claims"}
              for method in rule.methods & {"GET", "POST"}}

    assert routes - listed == set()
