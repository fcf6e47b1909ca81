"""The campaign pages over HTTP: upload and the row report, the decision, letters and posters, claiming.

Who may open which page is in test_access.py (one module-wide database for the whole matrix).
"""

from __future__ import annotations

import codecs
import io
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.badges.services import badge_url, current_badge
from registry.campaigns import spreadsheets
from registry.campaigns.models import ImportBatch, ShopInvitation
from registry.extensions import db
from registry.merchants.models import Merchant
from tests.campaigns.conftest import (HEADER, assert_a4_with_embedded_fonts, csv_text, page_texts, qr_texts,
                                      shop_row)

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def staff(make_user, login_as, client):
    user = make_user(role="staff", name="张工作")
    login_as(client, user)
    return user


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def post_file(client, data: bytes, filename: str = "名单.csv"):
    return client.post("/staff/campaigns/upload", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def only_batch() -> ImportBatch:
    db.session.expire_all()
    return db.session.scalars(select(ImportBatch)).one()


def text_of(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def row_html(page: str, line: int) -> str:
    match = re.search(rf'<tr class="row-\w+" id="line-{line}">(.*?)</tr>', page, re.S)
    assert match, f"line {line} is not on the page"
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))))


# --- Upload and the report -----------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["csv-utf8", "csv-gbk", "xlsx"])
def test_the_report_shows_every_row_ok_or_what_failed(client, staff, mixed_file, kind):
    data = {"csv-utf8": mixed_file.csv("utf-8-sig"), "csv-gbk": mixed_file.csv("gbk"), "xlsx": mixed_file.xlsx()}[kind]

    response = post_file(client, data, "名单.xlsx" if kind == "xlsx" else "名单.csv")

    batch = only_batch()
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/staff/campaigns/batches/{batch.id}"
    page = client.get(f"/staff/campaigns/batches/{batch.id}").get_data(as_text=True)
    for line in mixed_file.valid_lines:
        assert "正确" in row_html(page, line) and "处问题" not in row_html(page, line)
    assert "第 18 位校验位应为" in row_html(page, 4)
    assert "与第 2 行的统一社会信用代码重复" in row_html(page, 5)
    assert "与第 2 行的统一社会信用代码重复" in row_html(page, 6)
    assert "已登记过店铺（美好生活超市）" in row_html(page, 7)
    assert row_html(page, 8).count("此项必填。") == 2 and "2 处问题" in row_html(page, 8)
    assert "手机号码应为 11 位数字，您输入了 10 位。" in row_html(page, 9)
    assert f"→ {mixed_file.full_width_code}" in row_html(page, 3)
    assert "只导入正确的 3 行" in page
    assert count(Merchant) == 1  # only the shop that was already registered


def test_the_error_filter_lists_only_the_rows_with_problems(client, staff, mixed_file):
    post_file(client, mixed_file.csv())
    batch = only_batch()

    page = client.get(f"/staff/campaigns/batches/{batch.id}?show=errors").get_data(as_text=True)

    assert re.findall(r'id="line-(\d+)"', page) == ["4", "5", "6", "7", "8", "9"]


@pytest.mark.parametrize(("data", "filename", "words"), [
    (b"", "empty.csv", "请选择要上传的文件。"),  # the browser sends no file content
    ("a,b\n1,2\n".encode(), "list.csv", "没有找到表头"),
    (b"\xd0\xcf\x11\xe0" + b"\0" * 64, "list.xls", "旧版 Excel"),
])
def test_a_file_that_cannot_be_read_is_refused_next_to_the_field(client, staff, data, filename, words):
    response = post_file(client, data, filename) if data else client.post(
        "/staff/campaigns/upload", data={}, content_type="multipart/form-data")

    assert response.status_code == 400
    assert words in text_of(response)
    assert count(ImportBatch) == 0


def test_an_oversized_file_is_refused_with_the_limit(client, staff, monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_UPLOAD_BYTES", 2000)

    response = post_file(client, csv_text([shop_row() for _ in range(40)]).encode())

    assert response.status_code == 400
    assert "文件太大" in text_of(response)
    assert count(ImportBatch) == 0


def test_a_file_without_a_district_column_asks_area_wide_staff_for_the_district(client, staff):
    header = [h for h in HEADER if h != "区/县"]
    row = [v for h, v in zip(HEADER, shop_row(name="无区县店")) if h != "区/县"]
    data = csv_text([row], header=header).encode()

    form = client.get("/staff/campaigns").get_data(as_text=True)
    refused = post_file(client, data)
    chosen = client.post("/staff/campaigns/upload", data={"file": (io.BytesIO(data), "名单.csv"), "district": "西湖区"},
                         content_type="multipart/form-data")

    assert 'name="district"' in form and "整份名单所属区县" in form
    assert refused.status_code == 400
    assert "文件没有“区/县”列。请在上传时选择整份名单所属的区县" in unescape(refused.get_data(as_text=True))
    assert chosen.status_code == 302
    assert only_batch().rows[0]["values"]["district"] == "西湖区" and only_batch().valid_count == 1


def test_district_staff_upload_a_file_without_a_district_column(client, make_user, login_as):
    login_as(client, make_user(role="staff", login="staff@xihu.example.cn", district="西湖区"))
    header = [h for h in HEADER if h != "区/县"]
    row = [v for h, v in zip(HEADER, shop_row(name="无区县店")) if h != "区/县"]

    form = client.get("/staff/campaigns").get_data(as_text=True)
    response = post_file(client, csv_text([row], header=header).encode())

    assert 'name="district"' not in form and "文件可以没有“区/县”列，按西湖区导入。" in form
    assert response.status_code == 302
    assert only_batch().rows[0]["values"]["district"] == "西湖区" and only_batch().valid_count == 1


def test_user_text_is_escaped_in_the_report(client, staff):
    post_file(client, csv_text([shop_row(name="<script>alert(1)</script>")]).encode())

    page = client.get(f"/staff/campaigns/batches/{only_batch().id}").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_templates_download_as_utf8_csv_with_bom_and_as_xlsx(client, staff):
    csv_response = client.get("/staff/campaigns/template.csv")
    xlsx_response = client.get("/staff/campaigns/template.xlsx")

    assert csv_response.status_code == xlsx_response.status_code == 200
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset, not two
    assert csv_response.headers["Content-Disposition"] == (
        "attachment; filename=\"shops-template.csv\"; "
        "filename*=UTF-8''%E5%BA%97%E9%93%BA%E5%90%8D%E5%8D%95%E6%A8%A1%E6%9D%BF.csv")
    assert xlsx_response.headers["Content-Type"] == XLSX_TYPE
    assert csv_response.data.startswith(codecs.BOM_UTF8)
    assert csv_response.data.decode("utf-8-sig").strip() == ",".join(HEADER)
    assert xlsx_response.data.startswith(b"PK")
    from openpyxl import load_workbook
    assert [c.value for c in load_workbook(io.BytesIO(xlsx_response.data)).worksheets[0][1]] == HEADER


# --- Deciding ------------------------------------------------------------------------------------

def test_importing_only_valid_rows_then_pressing_again_imports_once(client, staff, mixed_file):
    post_file(client, mixed_file.csv())
    batch = only_batch()
    url = f"/staff/campaigns/batches/{batch.id}/decision"

    first = client.post(url, data={"import_valid": "只导入正确的 3 行"})
    shops = count(Merchant)
    second = client.post(url, data={"import_valid": "只导入正确的 3 行"})

    assert first.status_code == second.status_code == 302
    assert shops == 4 and count(Merchant) == 4 and count(ShopInvitation) == 3
    codes = set(db.session.scalars(select(Merchant.credit_code).where(Merchant.owner_id.is_(None))))
    assert codes == mixed_file.valid_codes
    page = client.get(f"/staff/campaigns/batches/{batch.id}").get_data(as_text=True)
    assert "这批名单已经处理过了，没有重复导入。" in page
    for invitation in db.session.scalars(select(ShopInvitation)):
        assert invitation.display_code in page


def test_importing_none_creates_nothing(client, staff, mixed_file):
    post_file(client, mixed_file.csv())
    batch = only_batch()

    response = client.post(f"/staff/campaigns/batches/{batch.id}/decision", data={"import_none": "全部不导入"})

    assert response.status_code == 302
    assert count(Merchant) == 1 and count(ShopInvitation) == 0
    assert only_batch().status == "discarded"


def test_a_decision_without_a_button_changes_nothing(client, staff, mixed_file):
    post_file(client, mixed_file.csv())

    response = client.post(f"/staff/campaigns/batches/{only_batch().id}/decision", data={})

    assert response.status_code == 302
    assert only_batch().status == "validated" and count(Merchant) == 1


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_a_decision_without_the_csrf_token_is_refused(client, staff, mixed_file):
    batch = ImportBatch(created_by_id=staff.id, filename="x.csv", row_count=0, valid_count=0)
    db.session.add(batch)
    db.session.commit()

    response = client.post(f"/staff/campaigns/batches/{batch.id}/decision", data={"import_none": "全部不导入"})

    assert response.status_code == 400
    assert only_batch().status == "validated"


# --- Printing ------------------------------------------------------------------------------------

def imported_batch(client, rows) -> ImportBatch:
    post_file(client, csv_text(rows).encode())
    batch = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    client.post(f"/staff/campaigns/batches/{batch.id}/decision", data={"import_valid": "1"})
    db.session.expire_all()
    return batch


def test_the_letters_pdf_has_a_page_per_invitation_with_its_code_and_claim_link(client, staff):
    batch = imported_batch(client, [shop_row(name="甲店"), shop_row(name="乙店")])

    response = client.post(f"/staff/campaigns/batches/{batch.id}/letters.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    invitations = list(db.session.scalars(select(ShopInvitation).order_by(ShopInvitation.id)))
    texts = page_texts(response.data)
    assert [inv.display_code in text for inv, text in zip(invitations, texts)] == [True, True]
    assert qr_texts(response.data) == [[f"https://cxm.example.cn/my/claim?code={inv.code}"] for inv in invitations]
    assert_a4_with_embedded_fonts(response.data)
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "campaign.letters_printed")) == 1


def test_without_the_font_the_letters_page_says_what_to_install(app, client, staff, tmp_path):
    batch = imported_batch(client, [shop_row()])
    app.config["CJK_FONT_DIR"] = str(tmp_path)

    response = client.post(f"/staff/campaigns/batches/{batch.id}/letters.pdf")

    assert response.status_code == 503
    assert "fonts-noto-cjk" in text_of(response)
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "campaign.letters_printed")) == 0


def claim(client, code: str, digits: str):
    return client.post("/my/claim", data={"code": code, "phone_last4": digits})


def test_bulk_posters_for_a_batch_are_one_pdf_with_each_shops_qr(client, staff, make_user, login_as, pledge, app):
    batch = imported_batch(client, [shop_row(name=f"老街小吃{i}号店") for i in range(3)])
    owner = make_user()
    owner_client = login_as(app.test_client(), owner)
    for invitation in db.session.scalars(select(ShopInvitation)):
        shop = invitation.merchant
        claim(owner_client, invitation.code, shop.contact_phone[-4:])
        owner_client.post(f"/my/shops/{shop.id}/sign", data={
            "clauses": [c.number for c in pledge.clauses], "signer_name": "王美好", "signer_title": "店主",
            "version_id": str(pledge.id)})
    db.session.expire_all()
    shops = list(db.session.scalars(select(Merchant).where(Merchant.owner_id == owner.id).order_by(Merchant.name)))
    assert [s.standing for s in shops] == ["active"] * 3

    preview = client.get(f"/staff/campaigns/posters?batch={batch.id}")
    started = client.post("/staff/campaigns/posters", data={"batch": str(batch.id), "district": "", "township": ""})
    job_page = client.get(started.location)
    response = client.get(f"{started.location}/file")

    assert preview.status_code == 200 and "共 3 家已签署店铺" in text_of(preview)
    assert started.status_code == 302 and "/staff/jobs/" in started.location
    assert "下载 PDF（3 张海报）" in text_of(job_page)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert len(page_texts(response.data)) == 3
    assert qr_texts(response.data) == [[badge_url(shop, current_badge(shop))] for shop in shops]
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.posters_printed"))
    assert entry.actor_id == staff.id


def test_printing_posters_with_nothing_selected_prints_nothing(client, staff):
    response = client.post("/staff/campaigns/posters", data={"district": "", "township": "", "batch": ""})

    assert response.status_code == 302
    assert "没有符合条件的已签署店铺。" in text_of(client.get(response.location))
    assert client.get(f"{response.location}/file").status_code == 404
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "campaign.posters_printed")) == 0


def test_district_staff_see_only_their_district_in_the_poster_preview(client, make_user, login_as, make_shop):
    make_shop(name="西湖小店", district="西湖区")
    make_shop(name="滨江小店", district="滨江区")
    login_as(client, make_user(role="staff", district="滨江区"))

    page = text_of(client.get("/staff/campaigns/posters?district=西湖区"))

    assert "滨江小店" in page and "西湖小店" not in page


# --- Claiming ------------------------------------------------------------------------------------

@pytest.fixture
def invitation(client, staff, make_user, login_as) -> ShopInvitation:
    """An imported shop (phone ending 5678) and a signed-in owner holding its letter."""
    imported_batch(client, [shop_row(name="老街小吃", contact_phone="13912345678")])
    login_as(client, make_user())
    return db.session.scalars(select(ShopInvitation)).one()


def test_the_letters_qr_opens_the_claim_form_with_the_code_filled_in(client, invitation):
    page = client.get(f"/my/claim?code={invitation.code}").get_data(as_text=True)

    assert f'value="{invitation.code}"' in page
    assert 'name="phone_last4"' in page


def test_claiming_with_the_right_code_leads_to_signing_and_signing_works(client, invitation, pledge):
    response = claim(client, invitation.display_code.lower(), "5678")

    shop_id = invitation.merchant_id
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/my/shops/{shop_id}/sign"
    assert client.get(f"/my/shops/{shop_id}/sign").status_code == 200
    signed = client.post(f"/my/shops/{shop_id}/sign", data={
        "clauses": [c.number for c in pledge.clauses], "signer_name": "王美好", "signer_title": "店主",
        "version_id": str(pledge.id)})
    assert signed.status_code == 302
    db.session.expire_all()
    assert db.session.get(Merchant, shop_id).standing == "active"


@pytest.mark.parametrize(("code", "digits", "words"), [
    ("ZZZZ-ZZZZ", "5678", "邀请码或手机号后 4 位不正确"),
    (None, "0000", "邀请码或手机号后 4 位不正确"),
    (None, "", "请填写联系电话的后 4 位。"),
])
def test_a_wrong_claim_keeps_what_was_typed_and_changes_nothing(client, invitation, code, digits, words):
    response = claim(client, code or invitation.code, digits)

    assert response.status_code == 400
    assert words in text_of(response)
    assert f'value="{code or invitation.code}"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Merchant, invitation.merchant_id).owner_id is None


def test_a_used_code_is_refused_for_the_next_account(client, invitation, make_user, login_as):
    first = claim(client, invitation.code, "5678")
    db.session.expire_all()
    first_owner_id = db.session.get(Merchant, invitation.merchant_id).owner_id
    login_as(client, make_user())

    second = claim(client, invitation.code, "5678")

    assert first.status_code == 302 and second.status_code == 400
    assert "这个邀请码已经用过了" in text_of(second)
    db.session.expire_all()
    assert first_owner_id is not None
    assert db.session.get(Merchant, invitation.merchant_id).owner_id == first_owner_id
    assert db.session.get(ShopInvitation, invitation.id).used_by_id == first_owner_id
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "merchant.claimed")) == 1


def test_my_shops_links_to_the_claim_page(client, make_user, login_as):
    login_as(client, make_user())

    page = client.get("/my/shops").get_data(as_text=True)

    assert re.search(r'href="/my/claim"[^>]*>我有邀请码<', page)


def test_an_anonymous_visitor_from_the_letter_comes_back_with_the_code(client):
    response = client.get("/my/claim?code=ABCD2345")

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == ["/my/claim?code=ABCD2345"]


class TestClaimThrottle:
    @pytest.fixture
    def app_overrides(self):
        return {"RATELIMIT_ENABLED": True}

    def test_the_eleventh_attempt_in_an_hour_is_refused(self, client, invitation):
        statuses = [claim(client, "ZZZZ-ZZZZ", "5678").status_code for _ in range(10)]

        eleventh = claim(client, invitation.code, "5678")

        assert statuses == [400] * 10
        assert eleventh.status_code == 429
        assert "认领尝试过于频繁" in text_of(eleventh)
        db.session.expire_all()
        assert db.session.get(Merchant, invitation.merchant_id).owner_id is None
