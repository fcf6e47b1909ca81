"""Door-to-door signing (campaigns.onsite and its pages): find or register the shop, the owner confirms
with an SMS code to the shop's phone or staff attest a photo of the paper pledge; the certificate and the
QR page say which, naming the organisation and never the officer; refusals save nothing."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from conftest import unique_mobile, valid_credit_code
from registry.audit.models import AuditEntry
from registry.campaigns.claims import claim_shop
from registry.campaigns.models import PaperPledgePhoto, ShopInvitation
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.messaging.models import OutboxMessage
from registry.pledges.models import Signature

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

OFFICER = "上门专员甲"
CODE_IN_SMS = re.compile(r"确认码 (\d{6})")


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (240, 240, 230)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def paper_dir(app, tmp_path):
    path = tmp_path / "pledges"
    app.config["PAPER_PLEDGE_DIR"] = str(path)
    return path


@pytest.fixture
def people(app, make_user, make_shop, pledge, paper_dir):
    return {
        "staff": make_user(role="staff", name=OFFICER, district="西湖区"),
        "elsewhere": make_user(role="staff", name="滨江专员", district="滨江区"),
        "shop": make_shop(signed=False, name="老街面馆", district="西湖区", owner_name="赵老板"),
        "pledge": pledge,
    }


def clauses(pledge) -> list[str]:
    return [str(c.number) for c in pledge.clauses]


def sent_code(phone: str) -> str:
    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.phone == phone)
                             .order_by(OutboxMessage.id.desc()).limit(1))
    return CODE_IN_SMS.search(body).group(1)


def sms(data: dict) -> dict:
    """The code-signing form's fields as the page names them (the version is the page's own input)."""
    return {k if k == "version_id" else f"sms-{k}": v for k, v in data.items()}


def signatures() -> int:
    return count(Signature)


# --- finding and registering ----------------------------------------------------------------------

def test_find_a_shop_by_credit_code_in_the_district(client, login_as, people):
    login_as(client, people["staff"])
    found = client.post("/staff/onsite/find", data={"find-credit_code": people["shop"].credit_code.lower()})
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/staff/onsite/{people['shop'].id}")
    login_as(client, people["elsewhere"])
    refused = client.post("/staff/onsite/find", data={"find-credit_code": people["shop"].credit_code})
    assert refused.status_code == 400 and "这家店铺不在您负责的区县。" in refused.text
    assert client.get(f"/staff/onsite/{people['shop'].id}").status_code == 403


def test_register_a_new_shop_at_its_door(client, login_as, people):
    login_as(client, people["staff"])
    code, phone = valid_credit_code(), unique_mobile()
    response = client.post("/staff/onsite/new", data={
        "name": "新开的小卖部", "credit_code": code, "category": "supermarket", "district": "西湖区",
        "township": "转塘街道", "address": "转塘直街 1 号", "owner_name": "钱店主", "contact_phone": phone})
    assert response.status_code == 302
    shop = db.session.scalar(select(Merchant).where(Merchant.credit_code == code))
    assert (shop.owner_id, shop.standing, shop.contact_phone) == (None, "pending", phone)
    invitation = db.session.scalar(select(ShopInvitation).where(ShopInvitation.merchant_id == shop.id))
    assert invitation is not None and invitation.batch_id is None
    assert count(AuditEntry, AuditEntry.action == "merchant.registered_on_site", AuditEntry.subject_id == shop.id) == 1
    assert invitation.display_code in client.get(response.headers["Location"]).text


def test_a_bad_new_shop_keeps_the_form(client, login_as, people):
    login_as(client, people["staff"])
    before = count(Merchant)
    response = client.post("/staff/onsite/new", data={
        "name": "写错代码的店", "credit_code": "123", "category": "supermarket", "district": "西湖区",
        "township": "转塘街道", "address": "转塘直街 2 号", "owner_name": "孙店主", "contact_phone": unique_mobile()})
    assert response.status_code == 400 and "写错代码的店" in response.text and "孙店主" in response.text
    assert count(Merchant) == before


def test_staff_register_only_in_their_district(client, login_as, people):
    login_as(client, people["elsewhere"])
    before = count(Merchant)
    response = client.post("/staff/onsite/new", data={
        "name": "跨区的店", "credit_code": valid_credit_code(), "category": "supermarket", "district": "西湖区",
        "township": "转塘街道", "address": "转塘直街 3 号", "owner_name": "周店主", "contact_phone": unique_mobile()})
    assert response.status_code == 400 and count(Merchant) == before


# --- SMS code -------------------------------------------------------------------------------------

def test_signing_with_the_owners_code(client, login_as, people):
    shop, pledge = people["shop"], people["pledge"]
    login_as(client, people["staff"])
    sent = client.post(f"/staff/onsite/{shop.id}/code")
    assert sent.status_code == 200 and "确认码已发送" in sent.text
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.phone == shop.contact_phone))
    assert message.purpose == "onsite_sign" and "现场签署" in message.body
    response = client.post(f"/staff/onsite/{shop.id}/sign/code", data=sms({
        "clauses": clauses(pledge), "signer_name": "赵老板", "signer_title": "店主", "code": sent_code(shop.contact_phone),
        "version_id": str(pledge.id)}))
    assert response.status_code == 302
    signature = db.session.scalar(select(Signature).where(Signature.merchant_id == shop.id))
    assert (signature.method, signature.officer_id, signature.officer_unit) == (
        "onsite_sms", people["staff"].id, "西子市消费者协会（西湖区）")
    assert signature.signed_by_id == shop.owner_id and signature.signer_name == "赵老板"
    assert "签署方式：现场签署（店主手机短信验证码确认），经办单位：西子市消费者协会（西湖区）" in signature.signed_text
    assert db.session.get(Merchant, shop.id).standing == "active"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "pledge.signed_on_site"))
    assert entry.actor_id == people["staff"].id and '"onsite_sms"' in entry.data

    # The public pages say how, and name the organisation, not the officer.
    client.post("/logout")
    certificate = client.get(f"/certificate/{signature.certificate_code}").text
    qr_page = client.get(f"/m/{shop.public_code}").text
    for page in (certificate, qr_page):
        assert "现场签署（店主手机验证码确认）" in page and "西子市消费者协会（西湖区）" in page
        assert OFFICER not in page


@pytest.mark.parametrize("change, field_message", [
    ({"code": "000000"}, "验证码不正确"),
    ({"clauses": ["1"]}, "请逐条阅读并勾选每一条承诺"),
    ({"signer_name": ""}, "请填写签署人姓名。"),
])
def test_a_refused_code_signing_saves_nothing(client, login_as, people, change, field_message):
    shop, pledge = people["shop"], people["pledge"]
    login_as(client, people["staff"])
    client.post(f"/staff/onsite/{shop.id}/code")
    code = sent_code(shop.contact_phone)
    data = {"clauses": clauses(pledge), "signer_name": "赵老板", "signer_title": "店主",
            "code": code if code != "000000" else "111111", "version_id": str(pledge.id)}
    data.update(change)
    audits = count(AuditEntry)
    response = client.post(f"/staff/onsite/{shop.id}/sign/code", data=sms(data))
    assert response.status_code == 400 and field_message in response.text
    assert signatures() == 0 and db.session.get(Merchant, shop.id).standing == "pending"
    assert count(AuditEntry) == audits
    if change.get("signer_name") == "":
        # The code was not spent by the refused attempt: it still signs.
        ok = client.post(f"/staff/onsite/{shop.id}/sign/code", data=sms({**data, "signer_name": "赵老板"}))
        assert ok.status_code == 302 and signatures() == 1


def test_staff_of_another_district_cannot_send_codes(client, login_as, people):
    login_as(client, people["elsewhere"])
    assert client.post(f"/staff/onsite/{people['shop'].id}/code").status_code == 403
    assert count(OutboxMessage) == 0


# --- paper pledge ---------------------------------------------------------------------------------

def paper_data(**overrides):
    data = {"signer_name": "赵老板", "signer_title": "店主", "attested": "y", "attested_name": OFFICER,
            "photo": (io.BytesIO(jpeg()), "pledge.jpg")}
    data.update(overrides)
    return {f"paper-{k}": v for k, v in data.items() if v is not None}


def test_signing_with_an_attested_paper_pledge(client, login_as, people, paper_dir):
    shop = people["shop"]
    login_as(client, people["staff"])
    response = client.post(f"/staff/onsite/{shop.id}/sign/paper", data=paper_data(),
                           content_type="multipart/form-data")
    assert response.status_code == 302
    signature = db.session.scalar(select(Signature).where(Signature.merchant_id == shop.id))
    assert signature.method == "onsite_paper" and signature.officer_id == people["staff"].id
    photo = db.session.scalar(select(PaperPledgePhoto))
    assert (photo.signature_id, photo.attested_by_id, photo.attested_name) == (signature.id, people["staff"].id, OFFICER)
    assert (Path(paper_dir) / photo.stored_name).is_file()
    assert count(AuditEntry, AuditEntry.action == "campaign.paper_pledge_attested") == 1
    # The photo: staff of the district only.
    with client.get(f"/staff/onsite/photos/{photo.id}") as shown:
        assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    login_as(client, people["elsewhere"])
    assert client.get(f"/staff/onsite/photos/{photo.id}").status_code == 403
    client.post("/logout")
    page = client.get(f"/certificate/{signature.certificate_code}").text
    assert "现场签署（纸质倡议书，工作人员核实）" in page and OFFICER not in page


@pytest.mark.parametrize("overrides, message", [
    ({"photo": None}, "请拍摄并上传店主签字后的纸质倡议书照片。"),
    ({"attested": None}, "请勾选确认"),
    ({"attested_name": ""}, "请填写核实人（您本人）的姓名。"),
    ({"photo": (io.BytesIO(b"<html>not a photo</html>"), "pledge.jpg")}, "pledge.jpg"),
])
def test_a_refused_paper_signing_saves_nothing(client, login_as, people, paper_dir, overrides, message):
    shop = people["shop"]
    login_as(client, people["staff"])
    audits = count(AuditEntry)
    response = client.post(f"/staff/onsite/{shop.id}/sign/paper", data=paper_data(**overrides),
                           content_type="multipart/form-data")
    assert response.status_code == 400 and message in response.text
    assert signatures() == 0 and count(PaperPledgePhoto) == 0 and count(AuditEntry) == audits
    assert not Path(paper_dir).exists() or not any(Path(paper_dir).iterdir())
    assert db.session.get(Merchant, shop.id).standing == "pending"


def test_the_owner_claims_a_shop_signed_at_the_door(client, login_as, people, make_user):
    login_as(client, people["staff"])
    code, phone = valid_credit_code(), unique_mobile()
    client.post("/staff/onsite/new", data={
        "name": "门口签的店", "credit_code": code, "category": "catering", "district": "西湖区",
        "township": "转塘街道", "address": "转塘直街 5 号", "owner_name": "吴店主", "contact_phone": phone})
    shop = db.session.scalar(select(Merchant).where(Merchant.credit_code == code))
    client.post(f"/staff/onsite/{shop.id}/sign/paper", data=paper_data(signer_name="吴店主"),
                content_type="multipart/form-data")
    invitation = db.session.scalar(select(ShopInvitation).where(ShopInvitation.merchant_id == shop.id))
    owner = make_user(name="吴店主")
    claim_shop(owner, invitation.code, phone[-4:])
    db.session.commit()
    assert db.session.get(Merchant, shop.id).owner_id == owner.id
    assert db.session.get(Merchant, shop.id).standing == "active"


def test_the_daily_sweep_deletes_unrecorded_paper_pledge_photos(client, login_as, people, paper_dir, runner):
    import os
    import time

    login_as(client, people["staff"])
    client.post(f"/staff/onsite/{people['shop'].id}/sign/paper", data=paper_data(), content_type="multipart/form-data")
    kept = Path(paper_dir) / db.session.scalar(select(PaperPledgePhoto.stored_name))
    orphan = Path(paper_dir) / ("a" * 32 + ".jpg")  # a request killed before its commit
    orphan.write_bytes(b"x")
    then = time.time() - 2 * 3600
    for path in (kept, orphan):
        os.utime(path, (then, then))
    result = runner.invoke(args=["sweep-uploads"])
    assert result.exit_code == 0, result.output
    assert kept.exists() and not orphan.exists()
