"""Importing shop lists without HTTP (campaigns.imports): checking uploaded rows, importing all-or-nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from conftest import shop_details, valid_credit_code
from registry.campaigns import claims, imports
from registry.campaigns.models import ImportBatch, ShopInvitation
from registry.clock import utcnow
from registry.errors import Conflict, DomainError, NotPermitted
from registry.extensions import db
from registry.merchants.models import Merchant, MerchantNameGram
from registry.merchants.services import register_shop
from tests.campaigns.conftest import (HEADER, actions, count, csv_text, errors_by_line, import_valid, shop_row, upload,
                                      xlsx_bytes)

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


# --- Checking ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["csv-utf8", "csv-gbk", "xlsx"])
def test_every_row_of_a_mixed_file_says_exactly_which_fields_failed(app, staff, mixed_file, kind):
    data = {"csv-utf8": mixed_file.csv(), "csv-gbk": mixed_file.csv("gbk"), "xlsx": mixed_file.xlsx()}[kind]
    shops_before = count(Merchant)

    batch = upload(staff, data, "名单.xlsx" if kind == "xlsx" else "名单.csv")

    errors = errors_by_line(batch)
    assert {line: sorted(fields) for line, fields in errors.items()} == {
        2: [], 3: [], 4: ["credit_code"], 5: ["credit_code"], 6: ["credit_code"], 7: ["credit_code"],
        8: ["name", "township"], 9: ["contact_phone"], 10: [],
    }
    assert "第 18 位校验位应为" in errors[4]["credit_code"][0]
    assert errors[5]["credit_code"] == ["与第 2 行的统一社会信用代码重复。"]
    assert errors[6]["credit_code"] == ["与第 2 行的统一社会信用代码重复。"]
    assert errors[7]["credit_code"] == ["该统一社会信用代码已登记过店铺（美好生活超市）。"]
    assert errors[8] == {"name": ["此项必填。"], "township": ["此项必填。"]}
    assert errors[9] == {"contact_phone": ["手机号码应为 11 位数字，您输入了 10 位。"]}
    assert (batch.row_count, batch.valid_count, batch.status) == (9, 3, "validated")
    # Checking creates nothing: the rows wait in the batch for staff to decide.
    assert count(Merchant) == shops_before
    assert count(ShopInvitation) == 0
    [entry] = actions("campaign.batch_uploaded")
    assert entry.subject_id == batch.id and entry.actor_id == staff.id
    assert json.loads(entry.data)["valid"] == 3


def test_a_code_twice_in_a_file_keeps_the_first_row_and_refuses_the_later_one(app, staff):
    code = valid_credit_code()
    data = csv_text([shop_row(name="第一家", credit_code=code), shop_row(name="第二家", credit_code=code),
                     shop_row(name="第三家")]).encode()

    batch = upload(staff, data)

    assert errors_by_line(batch) == {2: {}, 3: {"credit_code": ["与第 2 行的统一社会信用代码重复。"]}, 4: {}}
    assert batch.valid_count == 2
    import_valid(batch, staff)
    db.session.commit()
    assert db.session.scalar(select(Merchant.name).where(Merchant.credit_code == code)) == "第一家"


WITHOUT_DISTRICT = [h for h in HEADER if h != "区/县"]


def rows_without_district(*rows: list[str]) -> bytes:
    return csv_text([[value for header, value in zip(HEADER, row) if header != "区/县"] for row in rows],
                    header=WITHOUT_DISTRICT).encode()


def test_a_file_without_a_district_column_takes_the_officers_district(app, make_user):
    officer = make_user(role="staff", login="staff@xihu.example.cn", district="西湖区")

    batch = upload(officer, rows_without_district(shop_row(name="第一家"), shop_row(name="第二家")))

    assert errors_by_line(batch) == {2: {}, 3: {}}
    assert {row["values"]["district"] for row in batch.rows} == {"西湖区"}
    merchants = import_valid(batch, officer)
    assert {shop.district for shop in merchants} == {"西湖区"}


def test_area_wide_staff_name_the_district_of_a_file_without_the_column(app, staff):
    data = rows_without_district(shop_row(name="第一家"))
    with pytest.raises(DomainError) as refused:
        imports.upload_batch("名单.csv", data, staff)
    assert refused.value.field == "district"
    assert refused.value.message == "文件没有“区/县”列。请在上传时选择整份名单所属的区县，或在文件中加上“区/县”列。"

    batch = imports.upload_batch("名单.csv", data, staff, district="西湖区")

    assert errors_by_line(batch) == {2: {}}
    assert batch.rows[0]["values"]["district"] == "西湖区"


def test_full_width_digits_are_normalised_and_shown_as_read(app, staff, mixed_file):
    batch = upload(staff, mixed_file.csv())

    row = next(r for r in batch.rows if r["line"] == 3)
    assert row["errors"] == {}
    assert row["normalized"] == {"credit_code": mixed_file.full_width_code, "contact_phone": "13912345678"}


def test_row_messages_are_the_shop_forms_messages(app, staff, make_user):
    """The same rule, the same words: a bad phone reads as it does on the web form."""
    batch = upload(staff, csv_text([shop_row(contact_phone="2391234567")]).encode())
    with pytest.raises(DomainError) as form_refusal:
        register_shop(make_user(), shop_details(contact_phone="2391234567"))

    assert batch.rows[0]["errors"] == {"contact_phone": [form_refusal.value.message]}


def test_an_unknown_category_names_the_choices_and_an_empty_one_is_required(app, staff):
    batch = upload(staff, csv_text([shop_row(category="火锅"), shop_row(category="")]).encode())

    first, second = (row["errors"] for row in batch.rows)
    assert first["category"][0].startswith("无法识别类别“火锅”。可以填写：超市/零售、餐饮")
    assert second == {"category": ["此项必填。"]}


def test_too_long_values_are_refused_like_the_form_does(app, staff):
    batch = upload(staff, csv_text([shop_row(name="店" * 101)]).encode())

    assert batch.rows[0]["errors"] == {"name": ["最多 100 个字，现在有 101 个。"]}


def test_staff_of_a_district_may_only_import_that_districts_shops(app, make_user):
    district_staff = make_user(role="staff", district="西湖区")

    batch = upload(district_staff, csv_text([shop_row(), shop_row(district="滨江区", township="长河街道")]).encode())

    assert [row["errors"] for row in batch.rows] == [{}, {"district": ["您只能导入西湖区的店铺。"]}]
    assert batch.district == "西湖区"


def test_a_file_level_problem_creates_no_batch(app, staff):
    with pytest.raises(DomainError) as caught:
        imports.upload_batch("名单.csv", "a,b\n1,2\n".encode(), staff)

    assert caught.value.field == "file"
    db.session.rollback()
    assert count(ImportBatch) == 0


def test_merchants_cannot_upload(app, make_user, mixed_file):
    with pytest.raises(NotPermitted):
        imports.upload_batch("名单.csv", mixed_file.csv(), make_user())


# --- Deciding ------------------------------------------------------------------------------------

def test_importing_the_valid_rows_creates_exactly_those_shops_pending_ownerless_and_invited(app, staff, mixed_file):
    batch = upload(staff, mixed_file.csv())
    existing = set(db.session.scalars(select(Merchant.id)))

    merchants = import_valid(batch, staff)
    db.session.commit()

    db.session.expire_all()
    new = list(db.session.scalars(select(Merchant).where(Merchant.id.not_in(existing))))
    assert {shop.credit_code for shop in new} == mixed_file.valid_codes
    assert {shop.id for shop in new} == {m.id for m in merchants}
    assert {shop.name for shop in new} == {"美好生活超市", "好味餐馆", "烟酒行"}
    assert all(shop.standing == "pending" and shop.owner_id is None for shop in new)
    assert {shop.category for shop in new} == {"supermarket", "catering"}
    full_width_shop = next(shop for shop in new if shop.name == "好味餐馆")
    assert full_width_shop.contact_phone == "13912345678"
    # Searchable like any registered shop.
    assert db.session.scalar(select(func.count()).where(MerchantNameGram.merchant_id == full_width_shop.id)) > 0

    invitations = list(db.session.scalars(select(ShopInvitation)))
    assert {inv.merchant_id for inv in invitations} == {shop.id for shop in new}
    assert len({inv.code for inv in invitations}) == 3
    for invitation in invitations:
        assert len(invitation.code) == 8 and set(invitation.code) <= set(claims.INVITATION_ALPHABET)
        assert invitation.batch_id == batch.id and invitation.used_at is None
        assert timedelta(days=89) < invitation.expires_at - utcnow() <= timedelta(days=90)

    batch = db.session.get(ImportBatch, batch.id)
    assert (batch.status, batch.imported_count, batch.decided_by_id) == ("imported", 3, staff.id)
    assert {e.subject_id for e in actions("merchant.imported")} == {shop.id for shop in new}
    assert all(e.actor_id == staff.id and json.loads(e.data)["batch_id"] == batch.id
               for e in actions("merchant.imported"))
    [done] = actions("campaign.batch_imported")
    assert json.loads(done.data) == {"imported": 3, "skipped": 6}


def test_importing_none_creates_nothing(app, staff, mixed_file):
    batch = upload(staff, mixed_file.csv())
    shops_before = count(Merchant)

    imports.discard_batch(batch, staff)
    db.session.commit()

    assert count(Merchant) == shops_before
    assert count(ShopInvitation) == 0
    assert db.session.get(ImportBatch, batch.id).status == "discarded"
    assert [e.subject_id for e in actions("campaign.batch_discarded")] == [batch.id]
    with pytest.raises(Conflict):
        import_valid(batch, staff)


def test_a_second_import_of_the_same_batch_imports_nothing_more(app, staff, mixed_file):
    batch = upload(staff, mixed_file.csv())
    import_valid(batch, staff)
    db.session.commit()
    shops, invitations = count(Merchant), count(ShopInvitation)

    with pytest.raises(Conflict):
        import_valid(batch, staff)
    db.session.rollback()
    with pytest.raises(Conflict):
        imports.discard_batch(batch, staff)
    db.session.rollback()

    assert (count(Merchant), count(ShopInvitation)) == (shops, invitations)
    assert len(actions("campaign.batch_imported")) == 1
    assert db.session.get(ImportBatch, batch.id).status == "imported"


def test_a_decision_committed_by_someone_else_meanwhile_is_seen(app, staff, mixed_file):
    """The race the in-memory status cannot see: another request imported the batch after we loaded it."""
    batch = upload(staff, mixed_file.csv())
    assert batch.status == "validated"
    db.session.execute(update(ImportBatch).where(ImportBatch.id == batch.id).values(status="imported")
                       .execution_options(synchronize_session=False))
    assert batch.status == "validated"  # still the stale copy
    shops = count(Merchant)

    with pytest.raises(Conflict):
        import_valid(batch, staff)

    assert count(Merchant) == shops


def test_a_code_registered_after_the_upload_stops_the_whole_import(app, staff, make_user):
    code = valid_credit_code()
    batch = upload(staff, csv_text([shop_row(), shop_row(credit_code=code)]).encode())
    register_shop(make_user(), shop_details(credit_code=code))
    db.session.commit()
    shops = count(Merchant)

    with pytest.raises(Conflict) as caught:
        import_valid(batch, staff)
    db.session.rollback()

    assert "第 3 行" in caught.value.message
    assert count(Merchant) == shops
    assert db.session.get(ImportBatch, batch.id).status == "validated"


def test_a_batch_without_valid_rows_cannot_be_imported(app, staff):
    batch = upload(staff, csv_text([shop_row(contact_phone="123")]).encode())

    with pytest.raises(DomainError):
        import_valid(batch, staff)
    db.session.rollback()

    assert db.session.get(ImportBatch, batch.id).status == "validated"


def test_batches_are_seen_by_their_district_and_by_staff_for_the_whole_area(app, make_user):
    west = make_user(role="staff", district="西湖区")
    east = make_user(role="staff", district="滨江区")
    everywhere = make_user(role="staff")
    batch = upload(west, csv_text([shop_row()]).encode())

    assert imports.batch_for_staff(batch.id, west) is batch
    assert imports.batch_for_staff(batch.id, everywhere) is batch
    assert imports.batch_for_staff(batch.id, make_user(role="admin")) is batch
    with pytest.raises(NotPermitted):
        imports.batch_for_staff(batch.id, east)
    with pytest.raises(NotPermitted):
        import_valid(batch, east)
    assert imports.batches_for(east) == []
    assert imports.batches_for(west) == [batch]
    assert db.session.get(ImportBatch, batch.id).status == "validated"



def test_xlsx_rows_import_like_csv_rows(app, staff):
    batch = upload(staff, xlsx_bytes([shop_row(name="表格店")]), "名单.xlsx")

    [shop] = import_valid(batch, staff)
    db.session.commit()

    assert db.session.get(Merchant, shop.id).name == "表格店"
