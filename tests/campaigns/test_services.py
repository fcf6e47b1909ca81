"""Campaign rules without HTTP: checking uploaded rows, importing all-or-nothing, claiming, printing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from conftest import shop_details, valid_credit_code
from registry.audit.models import AuditEntry
from registry.badges.services import badge_url, current_badge
from registry.campaigns import claims, imports, pdf, printing
from registry.campaigns.models import ImportBatch, ShopInvitation
from registry.clock import utcnow
from registry.errors import Conflict, DomainError, NotPermitted
from registry.extensions import db
from registry.merchants.models import Merchant, MerchantNameGram
from registry.merchants.services import register_shop
from registry.pledges.services import sign_pledge
from tests.campaigns.conftest import (assert_a4_with_embedded_fonts, csv_text, page_texts, qr_texts, shop_row,
                                      xlsx_bytes)

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
def staff(make_user):
    return make_user(role="staff", name="张工作")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def actions(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def upload(staff, data: bytes, filename: str = "名单.csv") -> ImportBatch:
    batch = imports.upload_batch(filename, data, staff)
    db.session.commit()
    return batch


def errors_by_line(batch: ImportBatch) -> dict[int, dict[str, list[str]]]:
    db.session.expire_all()
    return {row["line"]: row["errors"] for row in db.session.get(ImportBatch, batch.id).rows}


def imported(staff, rows: list[list[str]]) -> list[Merchant]:
    batch = upload(staff, csv_text(rows).encode())
    merchants = imports.import_valid_rows(batch, staff)
    db.session.commit()
    return merchants


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
    assert errors[5]["credit_code"] == ["文件第 6 行也是这个统一社会信用代码。请核对，只保留正确的一行。"]
    assert errors[6]["credit_code"] == ["文件第 5 行也是这个统一社会信用代码。请核对，只保留正确的一行。"]
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

    merchants = imports.import_valid_rows(batch, staff)
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
        imports.import_valid_rows(batch, staff)


def test_a_second_import_of_the_same_batch_imports_nothing_more(app, staff, mixed_file):
    batch = upload(staff, mixed_file.csv())
    imports.import_valid_rows(batch, staff)
    db.session.commit()
    shops, invitations = count(Merchant), count(ShopInvitation)

    with pytest.raises(Conflict):
        imports.import_valid_rows(batch, staff)
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
        imports.import_valid_rows(batch, staff)

    assert count(Merchant) == shops


def test_a_code_registered_after_the_upload_stops_the_whole_import(app, staff, make_user):
    code = valid_credit_code()
    batch = upload(staff, csv_text([shop_row(), shop_row(credit_code=code)]).encode())
    register_shop(make_user(), shop_details(credit_code=code))
    db.session.commit()
    shops = count(Merchant)

    with pytest.raises(Conflict) as caught:
        imports.import_valid_rows(batch, staff)
    db.session.rollback()

    assert "第 3 行" in caught.value.message
    assert count(Merchant) == shops
    assert db.session.get(ImportBatch, batch.id).status == "validated"


def test_a_batch_without_valid_rows_cannot_be_imported(app, staff):
    batch = upload(staff, csv_text([shop_row(contact_phone="123")]).encode())

    with pytest.raises(DomainError):
        imports.import_valid_rows(batch, staff)
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
        imports.import_valid_rows(batch, east)
    assert imports.batches_for(east) == []
    assert imports.batches_for(west) == [batch]
    assert db.session.get(ImportBatch, batch.id).status == "validated"


# --- Claiming ------------------------------------------------------------------------------------

@pytest.fixture
def invited(app, staff):
    """One imported shop and its invitation."""
    [shop] = imported(staff, [shop_row(name="老街小吃", contact_phone="13912345678")])
    return db.session.scalar(select(ShopInvitation).where(ShopInvitation.merchant_id == shop.id))


def test_the_right_code_and_phone_digits_make_the_user_the_owner_and_signing_works(app, invited, make_user, pledge):
    owner = make_user()
    code = invited.code

    shop = claims.claim_shop(owner, f"{code[:4].lower()}-{code[4:]}", "5678")
    db.session.commit()

    db.session.expire_all()
    assert shop.owner_id == owner.id
    invitation = db.session.get(ShopInvitation, invited.id)
    assert invitation.used_by_id == owner.id and invitation.used_at is not None
    [entry] = actions("merchant.claimed")
    assert (entry.subject_id, entry.actor_id) == (shop.id, owner.id)

    sign_pledge(shop, pledge, owner, "王美好", "店主", "127.0.0.1", {c.number for c in pledge.clauses})
    db.session.commit()
    assert db.session.get(Merchant, shop.id).standing == "active"
    assert current_badge(shop) is not None


def test_full_width_input_is_accepted(app, invited, make_user):
    owner = make_user()

    claims.claim_shop(owner, " ".join(invited.code).translate(str.maketrans("ABCDEFGHJKMNPQRSTUVWXYZ23456789",
                        "ＡＢＣＤＥＦＧＨＪＫＭＮＰＱＲＳＴＵＶＷＸＹＺ２３４５６７８９")), "５６７８")
    db.session.commit()

    assert db.session.get(Merchant, invited.merchant_id).owner_id == owner.id


@pytest.mark.parametrize(("code", "digits", "field", "words"), [
    ("WRONGCOD", "5678", "code", "邀请码或手机号后 4 位不正确"),
    (None, "1234", "code", "邀请码或手机号后 4 位不正确"),
    ("ABC", "5678", "code", "8 位"),
    (None, "56", "phone_last4", "4 位数字"),
])
def test_a_wrong_code_or_wrong_digits_change_nothing(app, invited, make_user, code, digits, field, words):
    owner = make_user()

    with pytest.raises(DomainError) as caught:
        claims.claim_shop(owner, code or invited.code, digits)
    db.session.rollback()

    assert caught.value.field == field and words in caught.value.message
    db.session.expire_all()
    assert db.session.get(Merchant, invited.merchant_id).owner_id is None
    assert db.session.get(ShopInvitation, invited.id).used_at is None
    assert actions("merchant.claimed") == []


def test_a_code_works_once(app, invited, make_user):
    first, second = make_user(), make_user()
    claims.claim_shop(first, invited.code, "5678")
    db.session.commit()

    with pytest.raises(Conflict) as caught:
        claims.claim_shop(second, invited.code, "5678")
    db.session.rollback()

    assert "已经用过" in caught.value.message
    assert db.session.get(Merchant, invited.merchant_id).owner_id == first.id
    assert len(actions("merchant.claimed")) == 1


def test_an_expired_code_is_refused(app, invited, make_user):
    invited.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    with pytest.raises(DomainError) as caught:
        claims.claim_shop(make_user(), invited.code, "5678")
    db.session.rollback()

    assert "过期" in caught.value.message
    assert db.session.get(Merchant, invited.merchant_id).owner_id is None


# --- Printing ------------------------------------------------------------------------------------

def signed_import(staff, owner, pledge, rows) -> list[Merchant]:
    """Import rows, let `owner` claim every shop and sign the pledge for it."""
    shops = imported(staff, rows)
    for shop in shops:
        invitation = db.session.scalar(select(ShopInvitation).where(ShopInvitation.merchant_id == shop.id))
        claims.claim_shop(owner, invitation.code, shop.contact_phone[-4:])
        sign_pledge(shop, pledge, owner, shop.owner_name, "店主", "127.0.0.1", {c.number for c in pledge.clauses})
    db.session.commit()
    return shops


def test_posters_are_selected_by_district_township_and_batch(app, staff, make_user, make_shop, pledge):
    owner = make_user()
    batch_shops = signed_import(staff, owner, pledge, [
        shop_row(name="甲店", township="转塘街道"), shop_row(name="乙店", township="双浦镇")])
    other = make_shop(name="丙店", district="西湖区", township="转塘街道")
    make_shop(name="丁店", district="滨江区", township="长河街道")
    make_shop(name="未签署店", signed=False)
    lapsed = make_shop(name="过期店")
    db.session.execute(db.text("UPDATE signatures SET expires_at = :t WHERE merchant_id = :id"),
                       {"t": utcnow() - timedelta(days=1), "id": lapsed.id})
    db.session.commit()
    batch_id = db.session.scalar(select(ShopInvitation.batch_id).where(ShopInvitation.merchant_id == batch_shops[0].id))

    def names(**selection):
        return [item.shop.name for item in printing.poster_items(printing.PosterSelection(**selection), staff)]

    # By district, township and name (滨 < 西, 双 < 转, 丙 < 甲 in code point order); no pending, no lapsed.
    assert names() == ["丁店", "乙店", "丙店", "甲店"]
    assert names(district="西湖区", township="转塘街道") == ["丙店", "甲店"]
    assert names(batch_id=batch_id) == ["乙店", "甲店"]
    district_staff = make_user(role="staff", district="滨江区")
    assert [i.shop.name for i in printing.poster_items(printing.PosterSelection("西湖区"), district_staff)] == ["丁店"]
    assert other.id not in {item.shop.id for item in printing.poster_items(
        printing.PosterSelection(batch_id=batch_id), staff)}


def test_the_bulk_poster_pdf_has_one_page_per_shop_and_each_qr_opens_that_shops_page(app, staff, make_user, pledge):
    owner = make_user()
    signed_import(staff, owner, pledge, [shop_row(name=f"老街小吃{i}号店") for i in range(3)])
    items = printing.poster_items(printing.PosterSelection(), staff)

    data = pdf.badge_posters(items)

    texts = page_texts(data)
    assert len(texts) == 3
    assert_a4_with_embedded_fonts(data)
    assert qr_texts(data) == [[badge_url(item.shop, item.badge)] for item in items]
    for text, item in zip(texts, items):
        code = item.badge.verification_code
        assert item.shop.name in text
        assert f"验证码{code[:4]}-{code[4:]}" in text
        assert item.badge.serial in text and item.shop.credit_code in text
        assert all("".join(clause.text.split()) in text for clause in item.version.clauses)
        assert "https://cxm.example.cn/verify" in text


def test_invitation_letters_cover_the_unused_codes_and_are_recorded(app, staff, make_user):
    shops = imported(staff, [shop_row(name="甲店"), shop_row(name="乙店"), shop_row(name="丙店")])
    used = db.session.scalar(select(ShopInvitation).where(ShopInvitation.merchant_id == shops[0].id))
    claims.claim_shop(make_user(), used.code, shops[0].contact_phone[-4:])
    db.session.commit()
    batch = db.session.scalar(select(ImportBatch))

    invitations = printing.letters_to_print(batch, staff)
    data = pdf.invitation_letters(invitations)
    db.session.commit()

    assert [inv.merchant.name for inv in invitations] == ["乙店", "丙店"]
    texts = page_texts(data)
    assert len(texts) == 2
    assert_a4_with_embedded_fonts(data)
    assert qr_texts(data) == [[f"https://cxm.example.cn/my/claim?code={inv.code}"] for inv in invitations]
    for text, invitation in zip(texts, invitations):
        assert invitation.display_code in text and invitation.merchant.name in text
        assert invitation.merchant.contact_phone not in text  # the second factor is never printed
    [entry] = actions("campaign.letters_printed")
    assert (entry.subject_id, json.loads(entry.data)) == (
        batch.id, {"part": 1, "count": 2, "merchant_ids": [inv.merchant_id for inv in invitations]})


def test_large_batches_print_their_letters_in_parts(app, staff, monkeypatch):
    monkeypatch.setattr(printing, "LETTERS_PER_PDF", 2)
    shops = imported(staff, [shop_row(name=name) for name in ("甲店", "乙店", "丙店")])
    batch = db.session.scalar(select(ImportBatch))

    parts = [[inv.merchant_id for inv in printing.letters_to_print(batch, staff, part)] for part in (1, 2)]
    with pytest.raises(DomainError):
        printing.letters_to_print(batch, staff, 3)

    assert parts == [[shops[0].id, shops[1].id], [shops[2].id]]
    assert printing.letter_parts(3) == [(1, 1, 2), (2, 3, 3)]
    assert printing.letter_parts(0) == []
    assert len(actions("campaign.letters_printed")) == 2


def test_without_the_cjk_font_printing_says_what_to_install(app, staff, tmp_path):
    app.config["CJK_FONT_DIR"] = str(tmp_path)

    with pytest.raises(pdf.FontMissing) as caught:
        pdf.badge_posters([])

    assert "fonts-noto-cjk" in caught.value.message and caught.value.status_code == 503


def test_the_font_used_is_the_simplified_chinese_face(app):
    font = pdf.cjk_font()

    from fontTools.ttLib import TTCollection
    collection = TTCollection(str(font.regular), lazy=True)
    assert collection.fonts[font.index]["name"].getDebugName(1) == "Noto Sans CJK SC"
    collection.close()


def test_xlsx_rows_import_like_csv_rows(app, staff):
    batch = upload(staff, xlsx_bytes([shop_row(name="表格店")]), "名单.xlsx")

    [shop] = imports.import_valid_rows(batch, staff)
    db.session.commit()

    assert db.session.get(Merchant, shop.id).name == "表格店"
