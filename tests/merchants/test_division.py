"""Credit codes name the registration authority's division (digits 3–8): a shop must hold a code issued
in its district's city when the district's division code is on the managed list."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from registry.areas import services as areas
from registry.areas.models import District
from registry.audit.models import AuditEntry
from registry.errors import DomainError
from registry.extensions import db
from registry.merchants.identifiers import credit_code_check_character, registered_elsewhere
from registry.merchants.models import Merchant
from registry.merchants.services import register_shop
from conftest import shop_details

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


def code(division: str, kind: str = "91") -> str:
    first17 = f"{kind}{division}MA2H4K7Q"[:17].ljust(17, "0")
    return first17 + credit_code_check_character(first17)


@pytest.mark.parametrize("authority, elsewhere", [
    ("330106", False),  # the district itself
    ("330104", False),  # a former district of the same city (江干区, merged in 2021)
    ("330100", False),  # the city's own bureau
    ("330000", False),  # the provincial bureau
    ("100000", False),  # the national bureau
    ("440300", True),  # 深圳市
    ("330200", True),  # 宁波市: same province, another city
])
def test_the_authority_must_be_in_the_districts_city(authority, elsewhere):
    assert registered_elsewhere(code(authority), "330106") is elsewhere


@pytest.fixture
def xihu(app, make_user):
    admin = make_user(role="admin")
    district = db.session.scalar(select(District).where(District.name == "西湖区"))
    areas.set_division_code(admin, district, "330106")
    db.session.commit()
    return district


def test_a_shenzhen_code_is_refused_for_a_hangzhou_district(app, make_user, xihu):
    owner = make_user()

    with pytest.raises(DomainError) as refused:
        register_shop(owner, shop_details(credit_code=code("440300"), district="西湖区"))
    db.session.rollback()

    assert refused.value.field == "credit_code" and "440300" in refused.value.message
    assert db.session.scalar(select(Merchant.id)) is None
    assert register_shop(owner, shop_details(credit_code=code("330100"), district="西湖区")).id


def test_without_a_division_code_the_district_checks_nothing(app, make_user):
    assert register_shop(make_user(), shop_details(credit_code=code("440300"), district="西湖区")).id


def test_the_division_code_is_six_digits_and_audited(app, make_user, xihu):
    admin = make_user(role="admin")
    with pytest.raises(DomainError):
        areas.set_division_code(admin, xihu, "33010")
    db.session.rollback()

    areas.set_division_code(admin, xihu, "")
    db.session.commit()

    assert db.session.get(District, xihu.id).division_code is None
    entries = [json.loads(e.data) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "area.division_code_set").order_by(AuditEntry.id))]
    assert [(e["old"], e["new"]) for e in entries] == [(None, "330106"), ("330106", None)]


def test_the_admin_page_sets_the_code(app, client, login_as, make_user):
    login_as(client, make_user(role="admin"))
    district = db.session.scalar(select(District).where(District.name == "滨江区"))

    assert client.post(f"/admin/areas/{district.id}/division-code", data={"division_code": "abc"}).status_code == 400
    assert client.post(f"/admin/areas/{district.id}/division-code", data={"division_code": "330108"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(District, district.id).division_code == "330108"


def test_an_imported_row_with_a_code_from_another_city_is_refused(app, make_user, xihu):
    from registry.campaigns.imports import check_rows

    staff = make_user(role="staff", district="西湖区")
    row = {"name": "深圳来的店", "credit_code": code("440300"), "category": "餐饮", "district": "西湖区",
           "township": "转塘街道", "address": "转塘直街 8 号", "owner_name": "王美好", "contact_phone": "13912345678"}

    [result] = check_rows([(2, row)], staff)

    assert "440300" in result["errors"]["credit_code"][0]
