"""Who may open what in moderation: every route × every role (anonymous, the shop's owner, another
merchant, staff of the shop's district, staff of another district, an administrator), in one table.

Staff pages are deny-by-default; a district officer gets 403 for another district's shop, flag, sanction,
appeal or photo (and lists show only their district, see test_views). Empty or pointless POSTs leave
everything as it was: the snapshot after each case must equal the one before.
"""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, TEST_DATABASE_URL, make_app, seed_areas, shop_details
from tests.database import reset_postgres_schema
from registry.audit.models import AuditEntry
from registry.auth.models import Role, User
from registry.auth.services import create_user
from registry.uploads import process_image
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.merchants.services import register_shop
from registry.clock import add_months, utcnow
from registry.moderation import appeals, flags, repairs, sanctions, statements
from registry.moderation.models import (Appeal, AppealPhoto, CreditRepair, CreditRepairPhoto, Flag, FlagRule, Sanction,
                                        SanctionStatement)
from registry.moderation.sanctions import SanctionInput
from registry.pledges.defaults import publish_default_pledge
from registry.pledges.signing import sign_pledge

from .helpers import jpeg_bytes

pytestmark = pytest.mark.usefixtures("fresh_request_globals")

ROLES = ("anonymous", "owner", "other_merchant", "staff", "staff_elsewhere", "admin")
LOGIN = "login"  # expected: redirect to the login page with next=<this path>


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app and database for the whole matrix; no case changes anything (checked per case)."""
    folder = tmp_path_factory.mktemp("moderation-access")
    if TEST_DATABASE_URL:
        reset_postgres_schema(TEST_DATABASE_URL)
        url = TEST_DATABASE_URL
    else:
        url = f"sqlite:///{folder / 'test.sqlite3'}"
    app = make_app(url, EVIDENCE_DIR=str(folder / "evidence"))
    with app.app_context():
        db.create_all()
        seed_areas()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(scope="module")
def ids(app) -> dict[str, int]:
    """An account per role, the owner's signed shop with a flag, a warning, an appeal with a photo."""
    found = {}
    for role, user_role, district in [("owner", Role.MERCHANT, None), ("other_merchant", Role.MERCHANT, None),
                                      ("staff", Role.STAFF, "西湖区"), ("staff_elsewhere", Role.STAFF, "滨江区"),
                                      ("admin", Role.ADMIN, None)]:
        found[role] = create_user(f"{role}@moderation.example.cn", PASSWORD, role, user_role, district).id
    owner = db.session.get(User, found["owner"])
    pledge = publish_default_pledge()
    shop = register_shop(owner, shop_details(district="西湖区"))
    sign_pledge(shop, pledge, owner, "王美好", "店主", "127.0.0.1", {c.number for c in pledge.clauses})
    admin = db.session.get(User, found["admin"])
    flag = flags.raise_staff_flag(shop, admin, "需要核实")
    sanction = sanctions.issue_warning(shop, admin, SanctionInput("price_fraud", "价签与结算价不符。"))
    appeal = appeals.submit_appeal(sanction, owner, "价签已全部更换，请求撤销警示。",
                                    [process_image(io.BytesIO(jpeg_bytes()), "价签.jpg")])
    statement = statements.write_statement(sanction, owner, "价签已全部更换。")
    sanction.issued_at = sanction.starts_at = add_months(utcnow(), -7)  # past the minimum period for repair
    repair = repairs.apply_for_repair(sanction, owner, "价签已全部更换，收银系统与价签每日核对。",
                                      [process_image(io.BytesIO(jpeg_bytes()), "整改.jpg")])
    db.session.commit()
    found.update(shop=shop.id, code=shop.public_code, flag=flag.id, sanction=sanction.id, appeal=appeal.id,
                 photo=appeal.photos[0].id, statement=statement.id, repair=repair.id,
                 repair_photo=repair.photos[0].id)
    return found


def staff_only(status, elsewhere=None):
    return {"anonymous": LOGIN, "owner": 403, "other_merchant": 403, "staff": status,
            "staff_elsewhere": status if elsewhere is None else elsewhere, "admin": status}


def owner_only(status):
    return {"anonymous": LOGIN, "owner": status, "other_merchant": 403, "staff": 403, "staff_elsewhere": 403,
            "admin": 403}


def signed_in(status):
    return {"anonymous": LOGIN} | dict.fromkeys(ROLES[1:], status)


def admin_only(status):
    return {"anonymous": LOGIN} | dict.fromkeys(ROLES[1:-1], 403) | {"admin": status}


def everyone(status):
    return dict.fromkeys(ROLES, status)


ROUTES = [
    # The dashboard and lists: every officer, each seeing their own district.
    ("GET", "/staff/", staff_only(200)),
    ("GET", "/staff/flags", staff_only(200)),
    ("GET", "/staff/flags?status=dismissed", staff_only(200)),
    ("GET", "/staff/shops", staff_only(200)),
    ("GET", "/staff/shops?q=美好", staff_only(200)),
    ("GET", "/staff/sanctions", staff_only(200)),
    ("GET", "/staff/sanctions?view=all", staff_only(200)),
    ("GET", "/staff/appeals", staff_only(200)),
    ("GET", "/staff/appeals?view=decided", staff_only(200)),
    # One shop's things: the district officer and the unrestricted ones.
    ("GET", "/staff/flags/{flag}", staff_only(200, elsewhere=403)),
    ("GET", "/staff/flags/999999", staff_only(404)),
    ("GET", "/staff/shops/{shop}", staff_only(200, elsewhere=403)),
    ("GET", "/staff/shops/999999", staff_only(404)),
    ("GET", "/staff/sanctions/{sanction}", staff_only(200, elsewhere=403)),
    ("GET", "/staff/sanctions/999999", staff_only(404)),
    ("GET", "/staff/appeals/photos/{photo}", staff_only(200, elsewhere=403)),
    ("GET", "/staff/appeals/photos/999999", staff_only(404)),
    # Empty forms: in-scope officers get the page again with the errors (400); nothing changes.
    ("POST", "/staff/flags/{flag}/dismiss", staff_only(400, elsewhere=403)),
    ("POST", "/staff/shops/{shop}/flag", staff_only(400, elsewhere=403)),
    ("POST", "/staff/shops/{shop}/warning", staff_only(400, elsewhere=403)),
    ("POST", "/staff/shops/{shop}/suspension", staff_only(400, elsewhere=403)),
    ("POST", "/staff/shops/{shop}/revocation", staff_only(400, elsewhere=403)),
    ("POST", "/staff/shops/{shop}/reinstatement", staff_only(400, elsewhere=403)),
    ("POST", "/staff/sanctions/{sanction}/reject", staff_only(400, elsewhere=403)),
    ("POST", "/staff/appeals/{appeal}/decide", staff_only(400, elsewhere=403)),
    # A warning needs no approval: refused with a message, back to its page.
    ("POST", "/staff/sanctions/{sanction}/approve", staff_only(302, elsewhere=403)),
    # The shop owner's appeal (already made: the page says so, nothing is added).
    ("GET", "/my/sanctions/{sanction}/appeal", owner_only(200)),
    ("POST", "/my/sanctions/{sanction}/appeal", owner_only(200)),
    ("GET", "/my/sanctions/999999/appeal", signed_in(404)),
    ("GET", "/my/sanctions/{sanction}/statement", owner_only(200)),
    ("POST", "/my/sanctions/{sanction}/statement", owner_only(400)),  # empty form: shown again with errors
    ("GET", "/my/sanctions/999999/statement", signed_in(404)),
    ("GET", "/my/sanctions/{sanction}/repair", owner_only(200)),  # applied already: the page says so
    ("POST", "/my/sanctions/{sanction}/repair", owner_only(200)),
    ("GET", "/my/sanctions/999999/repair", signed_in(404)),
    # Review of what shops send: credit repair and statements.
    ("GET", "/staff/repairs", staff_only(200)),
    ("GET", "/staff/repairs?view=decided", staff_only(200)),
    ("GET", "/staff/repairs/{repair}", staff_only(200, elsewhere=403)),
    ("GET", "/staff/repairs/999999", staff_only(404)),
    ("GET", "/staff/repairs/photos/{repair_photo}", staff_only(200, elsewhere=403)),
    ("POST", "/staff/repairs/{repair}/decide", staff_only(400, elsewhere=403)),
    ("POST", "/staff/repairs/{repair}/approve", staff_only(302, elsewhere=403)),  # not proposed: conflict
    ("GET", "/staff/statements", staff_only(200)),
    ("GET", "/staff/statements?view=published", staff_only(200)),
    ("POST", "/staff/statements/{statement}/approve", staff_only(302, elsewhere=403)),  # not held: refused
    ("POST", "/staff/statements/{statement}/hide", staff_only(400, elsewhere=403)),
    # The consumer's report: public, for public shops only.
    ("GET", "/m/{code}/report", everyone(200)),
    ("POST", "/m/nosuchcode/report", everyone(404)),
    # Flag rules: administrators only.
    ("GET", "/admin/flag-rules", admin_only(200)),
    ("POST", "/admin/flag-rules/burst_same_phone", admin_only(400)),
]

CASES = [
    pytest.param(method, path, role, expected[role], id=f"{method} {path} as {role}")
    for method, path, expected in ROUTES
    for role in ROLES
]


def snapshot(shop_id: int):
    """Everything a moderation route could change."""
    db.session.expire_all()
    shop = db.session.get(Merchant, shop_id)
    rows = {column.key: getattr(shop, column.key) for column in Merchant.__table__.columns}
    counts = tuple(db.session.scalar(select(func.count()).select_from(model))
                   for model in (Flag, Sanction, Appeal, AppealPhoto, FlagRule, AuditEntry, CreditRepair,
                                 CreditRepairPhoto, SanctionStatement))
    states = (db.session.execute(select(CreditRepair.id, CreditRepair.status)).all(),
              db.session.execute(select(SanctionStatement.body, SanctionStatement.hidden_reason)).all(),
              db.session.execute(select(Flag.id, Flag.status)).all(),
              db.session.execute(select(Sanction.id, Sanction.status)).all(),
              db.session.execute(select(Appeal.id, Appeal.status)).all())
    return rows, counts, states


@pytest.mark.parametrize(("method", "path", "role", "expected"), CASES)
def test_access(client, ids, login_as, method, path, role, expected):
    if role != "anonymous":
        login_as(client, db.session.get(User, ids[role]))
    url = path.format(**ids)
    before = snapshot(ids["shop"])

    response = client.open(url, method=method)

    if expected == LOGIN:
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == [url]
    else:
        assert response.status_code == expected
    response.close()  # a sent photo stays open until the response is closed
    assert snapshot(ids["shop"]) == before


MODERATION_BLUEPRINTS = {"moderation", "moderation_owner", "moderation_public", "moderation_admin",
                         "moderation_review"}


def test_the_table_lists_every_moderation_route(app, ids):
    adapter = app.url_map.bind("localhost")
    listed = {(adapter.match(urlsplit(path.format(**ids)).path, method=method)[0], method)
              for method, path, _expected in ROUTES}
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              if rule.endpoint.split(".")[0] in MODERATION_BLUEPRINTS
              for method in rule.methods & {"GET", "POST"}}
    assert routes - listed == set()
