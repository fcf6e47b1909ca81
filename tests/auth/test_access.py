"""registry.auth.access, district scoping in one place: staff with a district act on that district's
records only; staff and administrators without one cover the whole area; nobody else is staff."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.auth.access import covers_district, in_district, require_district
from registry.auth.models import Role, User
from registry.errors import NotPermitted
from registry.extensions import db
from registry.merchants.models import Merchant

REFUSAL = "这家店铺不在您负责的区县。"


def account(role: str, district: str | None = None) -> User:
    return User(login="13800138000", display_name="测试", role=Role(role).value, district=district)


@pytest.mark.parametrize(("user", "district", "covered"), [
    (account("staff", "西湖区"), "西湖区", True),
    (account("staff", "西湖区"), "滨江区", False),
    (account("staff", "西湖区"), None, False),  # a record with no district is not this officer's
    (account("staff"), "滨江区", True),  # area-wide staff
    (account("staff"), None, True),
    (account("admin"), "滨江区", True),
    (account("admin", "西湖区"), "滨江区", False),  # an administrator given a district is scoped too
    (account("merchant"), "西湖区", False),
    (account("merchant", "西湖区"), "西湖区", False),  # never staff, whatever district it names
    (None, "西湖区", False),
])
def test_covers_district(user, district, covered):
    assert covers_district(user, district) is covered


def test_require_district_lets_covering_staff_through(app):
    require_district(account("staff", "西湖区"), "西湖区", REFUSAL)
    require_district(account("admin"), "滨江区", REFUSAL)


def test_require_district_names_the_record_to_staff_of_another_district(app):
    with pytest.raises(NotPermitted) as refused:
        require_district(account("staff", "西湖区"), "滨江区", REFUSAL)
    assert refused.value.message == REFUSAL and refused.value.status_code == 403


@pytest.mark.parametrize("user", [None, account("merchant"), account("merchant", "西湖区")])
def test_require_district_refuses_whoever_is_not_staff(app, user):
    with pytest.raises(NotPermitted) as refused:
        require_district(user, "西湖区", REFUSAL)
    assert refused.value.message == "只有工作人员可以处理。"


def test_in_district_limits_a_query_to_the_officers_district(app, make_shop):
    west = make_shop(district="西湖区").id
    river = make_shop(district="滨江区").id
    everyone = select(Merchant.id).order_by(Merchant.id)

    assert db.session.scalars(in_district(everyone, account("staff", "西湖区"), Merchant.district)).all() == [west]
    assert db.session.scalars(in_district(everyone, account("staff", "滨江区"), Merchant.district)).all() == [river]
    assert db.session.scalars(in_district(everyone, account("staff"), Merchant.district)).all() == [west, river]
    assert db.session.scalars(in_district(everyone, account("admin"), Merchant.district)).all() == [west, river]
