"""The list of districts and townships: spellings, refusals, and the administrators' edits."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from registry.areas import services
from registry.areas.models import District, Township
from registry.areas.spelling import clean_name, spelling_key
from registry.audit.models import AuditEntry
from registry.auth.models import Role
from registry.auth.services import change_role, create_staff
from registry.consultations.models import Consultation
from registry.consultations.services import ConsultationInput, record_consultation
from registry.errors import Conflict, DomainError
from registry.extensions import db
from registry.merchants.models import Merchant


def entries(action: str) -> list[dict]:
    return [json.loads(e.data) for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action == action))]


def district(name: str) -> District:
    return db.session.scalar(select(District).where(District.name == name))


@pytest.mark.parametrize("typed", ["西湖区", "西湖 区", " 西湖区 ", "西湖区", "西湖", "西\u200b湖区", "西湖\u3000区"])
def test_spellings_of_a_district_find_its_canonical_name(app, typed):
    assert services.canonical_district(typed) == "西湖区"


@pytest.mark.parametrize(("district_typed", "township_typed"), [
    ("西湖 区", "转塘街道"), ("西湖", "转塘"), ("西湖区", "转塘 街道"), ("西湖区", "转塘街道办事处"), ("西湖区", "转塘镇"),
])
def test_a_place_in_any_common_spelling_is_stored_under_its_canonical_names(app, district_typed, township_typed):
    assert services.load_areas().place(district_typed, township_typed) == ("西湖区", "转塘街道", {})


def test_unknown_names_and_townships_of_another_district_are_refused_with_the_choices(app):
    area_list = services.load_areas()

    assert area_list.place("不存在区", "转塘街道")[2]["district"].startswith("区县“不存在区”不在名单中。可以填写：上城区、")
    assert area_list.place("滨江区", "转塘街道")[2] == {
        "township": "滨江区没有“转塘街道”这个乡镇（街道）。可以填写：西兴街道、长河街道、浦沿街道。"}


def test_clean_name_and_key():
    assert clean_name(" 西湖\u3000区 ") == "西湖区"
    assert spelling_key("ＡＢＣ区") == "abc区"


# --- Administrators' edits ------------------------------------------------------------------------

def test_adding_a_district_and_a_township_is_audited_and_accepted_at_once(app, make_user):
    admin = make_user(role="admin")

    added = services.add_district(admin, " 高新 区 ", "高新技术开发区、高新")
    services.add_township(admin, added, "长江街道", "")
    db.session.commit()

    assert (added.name, added.alias_list) == ("高新区", ["高新技术开发区"])  # 高新 is matched anyway
    assert services.load_areas().place("高新技术开发区", "长江")[:2] == ("高新区", "长江街道")
    assert entries("area.district_added") == [{"aliases": ["高新技术开发区"], "name": "高新区"}]
    assert entries("area.township_added")[0]["district"] == "高新区"


@pytest.mark.parametrize(("name", "aliases", "field"), [
    ("西湖县", "", "name"),        # the same stem as 西湖区: lookups would be ambiguous
    ("新区", "滨江", "aliases"),
    ("", "", "name"),
    ("长" * 65, "", "name"),
    ("东|区", "", "name"),
])
def test_a_district_that_could_be_confused_or_is_malformed_is_refused(app, make_user, name, aliases, field):
    before = services.district_names()

    with pytest.raises(DomainError) as refused:
        services.add_district(make_user(role="admin"), name, aliases)

    assert refused.value.field == field
    db.session.rollback()
    assert services.district_names() == before


def test_renaming_a_district_moves_its_shops_staff_and_records_in_one_step_audited(app, make_user, make_shop):
    admin = make_user(role="admin")
    staff = make_user(role="staff", district="西湖区")
    other_staff = make_user(role="staff", district="滨江区")
    shops = [make_shop(), make_shop(), make_shop(district="滨江区")]
    record_consultation(staff, ConsultationInput("phone", "预付卡", "西湖 区", "转塘", "问退费", "answered", None))
    db.session.commit()
    versions = [shop.version for shop in shops]

    services.update_district(admin, district("西湖区"), "西湖新区", "", True)
    db.session.commit()

    db.session.expire_all()
    assert [db.session.get(Merchant, s.id).district for s in shops] == ["西湖新区", "西湖新区", "滨江区"]
    assert db.session.get(Merchant, shops[0].id).version == versions[0] + 1  # stale forms cannot write it back
    assert (staff.district, other_staff.district) == ("西湖新区", "滨江区")
    assert db.session.scalar(select(Consultation.district)) == "西湖新区"
    assert entries("area.district_renamed") == [{"old": "西湖区", "new": "西湖新区", "shops": 2, "staff": 1,
                                                 "consultations": 1, "import_batches": 0}]
    # The old name is kept as a spelling, so paper forms and files that use it still import.
    assert services.canonical_district("西湖区") == "西湖新区"


def test_renaming_a_township_moves_the_shops_of_that_district_only(app, make_user, make_shop):
    admin = make_user(role="admin")
    ours, theirs = make_shop(township="转塘街道"), make_shop(district="滨江区")
    township = db.session.scalar(select(Township).join(District).where(District.name == "西湖区",
                                                                       Township.name == "转塘街道"))

    services.update_township(admin, township, "之江街道", "转塘", True)
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(Merchant, ours.id).township == "之江街道"
    assert db.session.get(Merchant, theirs.id).township == "西兴街道"
    assert entries("area.township_renamed") == [{"district": "西湖区", "old": "转塘街道", "new": "之江街道",
                                                 "shops": 1, "consultations": 0}]


def test_a_retired_district_is_no_longer_accepted_but_its_shops_keep_it(app, make_user, make_shop):
    admin = make_user(role="admin")
    shop = make_shop(district="滨江区")

    services.update_district(admin, district("滨江区"), "滨江区", "", False)
    db.session.commit()

    assert services.load_areas().place("滨江区", "长河街道")[2] == {"district": "区县“滨江区”已停用，不能再选择。"}
    assert db.session.get(Merchant, shop.id).district == "滨江区"
    assert entries("area.deactivated") == [{"name": "滨江区"}]


def test_staff_scopes_must_be_on_the_list(app, make_user):
    admin = make_user(role="admin")

    staff = create_staff(admin, "li@example.cn", "correct horse battery", "李干事", Role.STAFF, "滨江 区")
    with pytest.raises(DomainError) as refused:
        change_role(staff, admin, Role.STAFF, "不存在区")

    assert staff.district == "滨江区"
    assert refused.value.field == "district"


def test_loading_a_list_twice_adds_nothing_the_second_time(app):
    rows = [("高新区", "", "高新技术开发区"), ("高新区", "长江街道", "长江"), ("高新", "江北街道", "")]

    first = services.load_list(rows)
    second = services.load_list(rows)

    assert ([d.name for d in first.districts], first.townships) == (["高新区"], 2)
    assert (second.districts, second.townships, second.aliases) == ([], 0, 0)
    assert [t.name for t in district("高新区").townships] == ["长江街道", "江北街道"]


def test_two_districts_cannot_share_a_spelling(app, make_user):
    admin = make_user(role="admin")

    with pytest.raises(Conflict):
        services.update_district(admin, district("滨江区"), "滨江区", "西湖", True)


def test_consultations_take_the_canonical_names_and_refuse_unknown_ones(app, make_user):
    staff = make_user(role="staff")

    recorded = record_consultation(staff, ConsultationInput("phone", "预付卡", "滨江", "长河", "问退费", "answered", None))
    with pytest.raises(DomainError) as refused:
        record_consultation(staff, ConsultationInput("phone", "预付卡", "不存在区", "", "问退费", "answered", None))

    assert (recorded.district, recorded.township) == ("滨江区", "长河街道")
    assert refused.value.field == "district"
