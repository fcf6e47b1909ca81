"""The administrators' page for the list: who may open it, adding, renaming, retiring, spellings."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from conftest import LOGIN_REDIRECT, MATRIX_ROLES, assert_answer
from registry.areas.models import District, Township
from registry.audit.models import AuditEntry
from registry.auth.models import User
from registry.extensions import db
from registry.merchants.models import Merchant

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

ADMIN_ONLY = {"anonymous": LOGIN_REDIRECT, "merchant": 403, "other_merchant": 403, "staff": 403,
              "staff_elsewhere": 403, "admin": None}


def district(name: str) -> District:
    db.session.expire_all()
    return db.session.scalar(select(District).where(District.name == name))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("area.%"))
                                   .order_by(AuditEntry.id)))


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/admin/areas", 200), ("POST", "/admin/areas", 400), ("GET", "/admin/areas/{district}", 200),
    ("POST", "/admin/areas/{district}", 400), ("POST", "/admin/areas/{district}/townships", 400),
    ("POST", "/admin/areas/{district}/division-code", 302),
    ("GET", "/admin/areas/townships/{township}", 200), ("POST", "/admin/areas/townships/{township}", 400),
])
@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_only_administrators_open_the_list(client, login_as, matrix_people, method, path, status, role):
    xihu = district("西湖区")
    url = path.format(district=xihu.id, township=xihu.townships[0].id)
    if role != "anonymous":
        login_as(client, matrix_people[role])
    before = actions()

    response = client.open(url, method=method, data={})  # an empty form is refused: nothing changes

    assert_answer(response, ADMIN_ONLY[role] or status, url)
    assert actions() == before


@pytest.fixture
def admin_client(client, login_as, make_user):
    return login_as(client, make_user(role="admin"))


def test_the_list_page_shows_every_district(admin_client):
    html = admin_client.get("/admin/areas").get_data(as_text=True)

    assert "区县与乡镇" in html and "建德市" in html


def test_an_administrator_adds_a_district_and_a_township(admin_client):
    assert admin_client.post("/admin/areas", data={"name": "高新区", "aliases": "高新技术开发区"}).status_code == 302
    added = district("高新区")
    assert admin_client.post(f"/admin/areas/{added.id}/townships", data={"name": "长江街道"}).status_code == 302

    assert [t.name for t in district("高新区").townships] == ["长江街道"]
    assert actions() == ["area.district_added", "area.township_added"]


def test_a_refused_name_is_explained_and_what_was_typed_kept(admin_client):
    response = admin_client.post("/admin/areas", data={"name": "西湖县", "aliases": "西湖高新"})

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "“西湖县”与“西湖区”的名称或写法重复，无法区分。" in html
    assert 'value="西湖县"' in html and "西湖高新" in html
    assert district("西湖县") is None and actions() == []


def test_renaming_a_district_on_the_page_moves_shops_and_staff(admin_client, make_shop, make_user):
    shop = make_shop()
    staff = make_user(role="staff", district="西湖区")
    xihu = district("西湖区")

    response = admin_client.post(f"/admin/areas/{xihu.id}", data={"name": "西湖新区", "aliases": "", "is_active": "y"})

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Merchant, shop.id).district == "西湖新区"
    assert db.session.get(User, staff.id).district == "西湖新区"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "area.district_renamed"))
    assert json.loads(entry.data) == {"old": "西湖区", "new": "西湖新区", "shops": 1, "staff": 1,
                                      "consultations": 0, "import_batches": 0}


def test_retiring_a_township_and_adding_a_spelling(admin_client, client, make_user, login_as, shop_form):
    shuangpu = db.session.scalar(select(Township).where(Township.name == "双浦镇"))
    zhuantang = db.session.scalar(select(Township).where(Township.name == "转塘街道"))

    admin_client.post(f"/admin/areas/townships/{shuangpu.id}", data={"name": "双浦镇", "aliases": ""})
    admin_client.post(f"/admin/areas/townships/{zhuantang.id}",
                      data={"name": "转塘街道", "aliases": "之江", "is_active": "y"})

    assert actions() == ["area.deactivated", "area.aliases_changed"]
    login_as(client, make_user())
    assert ">双浦镇</option>" not in client.get("/my/shops/new").get_data(as_text=True)
    refused = client.post("/my/shops/new", data=shop_form(township="双浦镇"))
    assert "乡镇（街道）“双浦镇”已停用，不能再选择。" in refused.get_data(as_text=True)
    assert client.post("/my/shops/new", data=shop_form(township="之江")).status_code == 302
    assert db.session.scalars(select(Merchant.township)).all() == ["转塘街道"]


def test_staff_accounts_choose_their_district_from_the_list(admin_client):
    page = admin_client.get("/admin/users/new").get_data(as_text=True)
    response = admin_client.post("/admin/users/new", data={
        "display_name": "赵干事", "login": "zhao@example.cn", "role": "staff", "district": "不存在区",
        "password": "correct horse battery"})

    assert '<option value="滨江区">滨江区</option>' in page
    assert response.status_code == 200
    assert "区县“不存在区”不在名单中。" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.login == "zhao@example.cn")) is None


def test_report_and_consultation_filters_offer_the_list(client, login_as, make_user):
    login_as(client, make_user(role="staff"))

    for url in ("/staff/reports", "/staff/consultations"):
        html = client.get(url).get_data(as_text=True)
        assert '<option value="建德市">建德市</option>' in html, url  # no shop or record there yet
