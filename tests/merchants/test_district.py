"""Which district a shop is in decides which officers act on it: owners choose it once, from the list,
and cannot move the shop out of it afterwards; staff can, audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from registry.audit.models import AuditEntry
from registry.extensions import db
from registry.merchants.models import Merchant

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

COLUMNS = ("name", "credit_code", "category", "district", "township", "address", "owner_name", "contact_phone",
           "standing", "owner_id", "version")


def row(shop_id: int) -> tuple:
    db.session.expire_all()
    shop = db.session.get(Merchant, shop_id)
    return tuple(getattr(shop, column) for column in COLUMNS)


def edit_form(shop: Merchant, **changes) -> dict:
    data = dict(name=shop.name, credit_code=shop.credit_code, category=shop.category, township=shop.township,
                address=shop.address, owner_name=shop.owner_name, contact_phone=shop.contact_phone,
                version=str(shop.version))
    data.update(changes)
    return data


def moves() -> list[dict]:
    return [json.loads(e.data) | {"actor": e.actor_id}
            for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action == "merchant.moved"))]


@pytest.mark.parametrize("posted", [{"district": "不存在区"}, {"district": "滨江区"},
                                    {"district": "滨江区", "township": "长河街道"}])
def test_the_owner_cannot_move_the_shop_out_of_its_district(client, make_shop, login_as, posted):
    shop = make_shop()
    login_as(client, shop.owner)
    before = row(shop.id)

    response = client.post(f"/my/shops/{shop.id}/edit", data=edit_form(shop, **posted))

    assert response.status_code in (200, 302)
    assert row(shop.id) == before
    if "township" in posted:  # a township of another district is refused, not silently accepted
        assert "西湖区没有“长河街道”这个乡镇（街道）" in response.get_data(as_text=True)


def test_the_owner_edit_form_offers_only_the_townships_of_the_shops_district(client, make_shop, login_as):
    shop = make_shop()
    login_as(client, shop.owner)

    html = client.get(f"/my/shops/{shop.id}/edit").get_data(as_text=True)

    assert 'name="district"' not in html
    assert "西湖区" in html and ">双浦镇</option>" in html
    assert ">长河街道</option>" not in html


def test_the_owner_may_change_the_township_within_the_district(client, make_shop, login_as):
    shop = make_shop()
    login_as(client, shop.owner)

    response = client.post(f"/my/shops/{shop.id}/edit", data=edit_form(shop, township="双浦"))

    assert response.status_code == 302
    assert row(shop.id)[3:5] == ("西湖区", "双浦镇")


@pytest.mark.parametrize(("district", "township"), [("西湖 区", "转塘街道"), ("西湖区", "转塘 街道"), ("西湖", "转塘")])
def test_registration_stores_the_canonical_names(client, make_user, login_as, shop_form, district, township):
    login_as(client, make_user())

    response = client.post("/my/shops/new", data=shop_form(district=district, township=township))

    assert response.status_code == 302
    assert db.session.scalars(select(Merchant.district)).all() == ["西湖区"]
    assert db.session.scalars(select(Merchant.township)).all() == ["转塘街道"]


def test_registration_refuses_a_district_not_on_the_list(client, make_user, login_as, shop_form):
    login_as(client, make_user())

    response = client.post("/my/shops/new", data=shop_form(district="不存在区"))

    assert response.status_code == 200
    assert "区县“不存在区”不在名单中。" in response.get_data(as_text=True)
    assert db.session.scalar(select(Merchant.id)) is None


def test_the_registration_form_offers_the_list_grouped_by_district(client, make_user, login_as):
    login_as(client, make_user())

    html = client.get("/my/shops/new").get_data(as_text=True)

    assert '<option value="滨江区">滨江区</option>' in html
    assert '<optgroup label="滨江区"><option value="西兴街道">西兴街道</option>' in html


# --- Staff move a shop --------------------------------------------------------------------------------

def move_form(shop: Merchant, **changes) -> dict:
    return dict(district="滨江区", township="长河街道", version=str(shop.version)) | changes


@pytest.mark.parametrize("mover", ["district_staff", "area_staff", "admin"])
def test_staff_of_the_district_and_admins_move_a_shop_audited(client, make_user, make_shop, login_as, mover):
    shop = make_shop()
    officer = make_user(role="admin" if mover == "admin" else "staff",
                        district="西湖区" if mover == "district_staff" else None)
    login_as(client, officer)

    response = client.post(f"/staff/shops/{shop.id}/place", data=move_form(shop, district="滨江", township="长河"))

    assert response.status_code == 302
    assert row(shop.id)[3:5] == ("滨江区", "长河街道")
    assert moves() == [{"old": {"district": "西湖区", "township": "转塘街道"},
                        "new": {"district": "滨江区", "township": "长河街道"}, "actor": officer.id}]


def test_staff_of_another_district_cannot_move_a_shop(client, make_user, make_shop, login_as):
    shop = make_shop()
    login_as(client, make_user(role="staff", district="滨江区"))
    before = row(shop.id)

    assert client.get(f"/staff/shops/{shop.id}/place").status_code == 403
    assert client.post(f"/staff/shops/{shop.id}/place", data=move_form(shop)).status_code == 403
    assert row(shop.id) == before and moves() == []


@pytest.mark.parametrize(("changes", "status", "message"), [
    ({"district": "不存在区"}, 400, "区县“不存在区”不在名单中。"),
    ({"township": "转塘街道"}, 400, "滨江区没有“转塘街道”这个乡镇（街道）。"),
    ({"version": "0"}, 409, "店铺信息已在别处被修改。"),
])
def test_a_wrong_or_stale_move_is_refused_and_changes_nothing(client, make_user, make_shop, login_as, changes,
                                                              status, message):
    shop = make_shop()
    login_as(client, make_user(role="admin"))
    before = row(shop.id)

    response = client.post(f"/staff/shops/{shop.id}/place", data=move_form(shop, **changes))

    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert row(shop.id) == before and moves() == []


def test_owners_cannot_open_the_staff_move_page(client, make_shop, login_as):
    shop = make_shop()
    login_as(client, shop.owner)

    assert client.get(f"/staff/shops/{shop.id}/place").status_code == 403
