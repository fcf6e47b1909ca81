"""The shop owner's form: registering and editing shops, refusals that keep typed values, mass assignment."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from conftest import valid_credit_code
from registry.extensions import db
from registry.merchants.identifiers import credit_code_check_character
from registry.merchants.models import Merchant

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


def merchant_count() -> int:
    return db.session.scalar(select(func.count(Merchant.id)))


def reload(shop_id: int) -> Merchant:
    db.session.expire_all()
    return db.session.get(Merchant, shop_id)


def only_shop() -> Merchant:
    db.session.expire_all()
    return db.session.scalars(select(Merchant)).one()


def edit_form(shop: Merchant, **changes) -> dict:
    data = dict(name=shop.name, credit_code=shop.credit_code, category=shop.category, district=shop.district,
                township=shop.township, address=shop.address, owner_name=shop.owner_name,
                contact_phone=shop.contact_phone, version=str(shop.version))
    data.update(changes)
    return data


@pytest.fixture
def merchant(make_user, login_as, client):
    """A signed-in merchant with no shop yet."""
    user = make_user()
    login_as(client, user)
    return user


def test_the_new_shop_form_creates_a_pending_shop_owned_by_the_user(client, merchant, shop_form):
    data = shop_form(credit_code=valid_credit_code().lower())

    response = client.post("/my/shops/new", data=data)

    shop = only_shop()
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/my/shops/{shop.id}/sign"
    assert shop.owner_id == merchant.id
    assert shop.standing == "pending"
    assert shop.credit_code == data["credit_code"].upper()
    assert (shop.name, shop.address, shop.contact_phone) == (data["name"], data["address"], data["contact_phone"])


def test_an_invalid_credit_code_is_explained_and_every_typed_value_kept(client, merchant, shop_form):
    code = valid_credit_code()
    right = credit_code_check_character(code[:17])
    wrong = "0" if right != "0" else "1"
    data = shop_form(credit_code=code[:17] + wrong, category="catering", name="老杭州面馆", district="上城区",
                     township="湖滨街道", address="延安路100号", owner_name="赵老板")

    response = client.post("/my/shops/new", data=data)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert (f"统一社会信用代码校验不通过：第 18 位校验位应为 {right}，实际为 {wrong}。"
            "请逐位核对营业执照上的代码。") in html
    for field in ("name", "credit_code", "district", "township", "address", "owner_name", "contact_phone"):
        assert f'value="{data[field]}"' in html, field
    assert re.search(r'<option[^>]*selected[^>]*value="catering"|<option[^>]*value="catering"[^>]*selected', html)
    assert merchant_count() == 0


def test_one_bad_submit_shows_every_problem_with_the_shop_and_keeps_what_was_typed(client, merchant, shop_form):
    code = valid_credit_code()
    wrong = code[:17] + ("0" if credit_code_check_character(code[:17]) != "0" else "1")
    # Empty address (the form's check), a bad check character and a landline (the service's checks).
    data = shop_form(credit_code=wrong, contact_phone="0571-8888888", address="", name="老杭州面馆")

    response = client.post("/my/shops/new", data=data)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请填写详细地址。" in html
    assert "统一社会信用代码校验不通过" in html
    assert html.count('class="error"') == 3
    assert 'value="老杭州面馆"' in html and f'value="{wrong}"' in html and 'value="0571-8888888"' in html
    assert merchant_count() == 0


def test_a_code_staff_registered_leads_to_the_invitation_claim_not_a_dead_end(client, merchant, shop_form,
                                                                             make_user):
    from conftest import shop_details
    from registry.merchants.services import register_shop

    imported = register_shop(None, shop_details(), actor=make_user(role="staff"))
    db.session.commit()

    response = client.post("/my/shops/new", data=shop_form(credit_code=imported.credit_code, address=""))

    html = response.get_data(as_text=True)
    assert "这家店铺已由工作人员上门登记，正在等店主认领" in html and "请填写详细地址。" in html
    assert 'href="/my/claim"' in html and "用邀请码认领" in html
    assert "/my/ownership-claim?" not in html and merchant_count() == 1


def test_a_missing_field_is_refused_by_the_form(client, merchant, shop_form):
    response = client.post("/my/shops/new", data=shop_form(address=""))

    assert response.status_code == 200
    assert "请填写详细地址。" in response.get_data(as_text=True)
    assert merchant_count() == 0


def test_a_merchant_cannot_set_standing_owner_code_or_version_when_registering(client, merchant, make_user,
                                                                               shop_form):
    other = make_user()
    data = shop_form(standing="active", owner_id=str(other.id), public_code="xxxxxxxxxxxxxxxx", version="99",
                     id="999", standing_reason="人工核准")

    assert client.post("/my/shops/new", data=data).status_code == 302

    shop = only_shop()
    assert shop.standing == "pending"
    assert shop.standing_reason is None
    assert shop.owner_id == merchant.id
    assert shop.public_code != "xxxxxxxxxxxxxxxx" and len(shop.public_code) == 16
    assert shop.version != 99
    assert shop.id != 999


def test_the_owner_edits_a_shop(client, make_shop, login_as):
    shop = make_shop(signed=False)
    login_as(client, shop.owner)
    form_page = client.get(f"/my/shops/{shop.id}/edit").get_data(as_text=True)
    assert f'value="{shop.version}"' in form_page
    assert f'value="{shop.address}"' in form_page

    response = client.post(f"/my/shops/{shop.id}/edit", data=edit_form(shop, address="转塘直街 90 号", name="美好生活超市（转塘店）"))

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/my/shops/{shop.id}"
    stored = reload(shop.id)
    assert (stored.name, stored.address) == ("美好生活超市（转塘店）", "转塘直街 90 号")


def test_editing_cannot_set_standing_owner_or_public_code(client, make_shop, make_user, login_as):
    shop = make_shop(signed=False)
    other = make_user()
    public_code = shop.public_code
    login_as(client, shop.owner)

    client.post(f"/my/shops/{shop.id}/edit", data=edit_form(
        shop, address="转塘直街 90 号", standing="active", owner_id=str(other.id), public_code="xxxxxxxxxxxxxxxx"))

    stored = reload(shop.id)
    assert stored.address == "转塘直街 90 号"
    assert (stored.standing, stored.owner_id, stored.public_code) == ("pending", shop.owner_id, public_code)


def test_an_edit_from_a_stale_form_is_refused_and_changes_nothing(client, make_shop, login_as):
    shop = make_shop(signed=False)
    login_as(client, shop.owner)
    stale = edit_form(shop, name="旧表单里的店名")
    client.post(f"/my/shops/{shop.id}/edit", data=edit_form(shop, address="转塘直街 90 号"))

    response = client.post(f"/my/shops/{shop.id}/edit", data=stale)

    assert response.status_code == 200
    assert "店铺信息已在别处被修改" in response.get_data(as_text=True)
    stored = reload(shop.id)
    assert (stored.name, stored.address) == ("美好生活超市", "转塘直街 90 号")


def test_editing_another_merchants_shop_is_forbidden_and_changes_nothing(client, make_shop, make_user, login_as):
    shop = make_shop(signed=False)
    login_as(client, make_user())

    assert client.get(f"/my/shops/{shop.id}/edit").status_code == 403
    response = client.post(f"/my/shops/{shop.id}/edit", data=edit_form(shop, name="被篡改的店"))

    assert response.status_code == 403
    assert reload(shop.id).name == "美好生活超市"


def test_editing_a_shop_that_does_not_exist_is_404(client, merchant):
    assert client.get("/my/shops/999/edit").status_code == 404
