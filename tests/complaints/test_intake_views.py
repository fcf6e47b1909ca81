"""Staff intake through HTTP: the form registers a complaint and keeps what was typed when refused, the
case page shows how it came in and links its consultation, duplicates and unlisted business, and staff
of another district are refused."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from registry.complaints.models import Complaint
from registry.consultations.models import Consultation
from registry.extensions import db

from .helpers import DESCRIPTION, NAME, PHONE, count, file, flashes, hidden_value

pytestmark = pytest.mark.usefixtures("frozen", "seeded", "fresh_request_globals", "cheap_password_hashing")


def text(response) -> str:
    return response.get_data(as_text=True)


def intake_form(client, url="/staff/complaints/new", **overrides) -> dict:
    page = client.get(url)
    assert page.status_code == 200
    data = {"csrf_token": hidden_value(text(page), "csrf_token"),
            "submission_key": hidden_value(text(page), "submission_key"),
            "consultation": hidden_value(text(page), "consultation"),
            "channel": "phone", "received_on": "", "consumer_name": NAME, "consumer_phone": PHONE,
            "consumer_address": "", "consent_kind": "verbal", "shop_kind": "registry", "shop": "",
            "clause": "price_fraud", "description": DESCRIPTION, "purchase_date": "2025-09-27", "amount": "19.90",
            "demands": ["refund"]}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_staff_register_a_phone_complaint_and_land_on_its_case_page(app, client, world, login_as):
    login_as(client, world.staff)
    form = intake_form(client, shop=world.shop.credit_code)
    response = client.post("/staff/complaints/new", data=form, content_type="multipart/form-data")

    complaint = db.session.scalar(select(Complaint))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/complaints/{complaint.id}")
    assert (complaint.channel, complaint.registered_by_id, complaint.merchant_id) == ("phone", world.staff.id,
                                                                                      world.shop.id)
    page = client.get(response.headers["Location"])
    html = text(page)
    assert any(complaint.tracking_number in message for message in flashes(html))
    assert "来电" in html and "西湖区工作人员 代为登记" in html and "口头同意" in html
    assert "消费者查询链接" in html and "/c/" in html
    # In the workload the officer sees.
    assert complaint.tracking_number in text(client.get("/staff/complaints"))
    # Staff of another district cannot open it.
    other = app.test_client()
    login_as(other, world.staff_elsewhere)
    assert other.get(f"/staff/complaints/{complaint.id}").status_code == 403


def test_a_refused_form_keeps_what_was_typed(client, world, login_as):
    login_as(client, world.staff)
    form = intake_form(client, shop_kind="unlisted", business_name="老王水果摊", business_address="文三路口",
                       business_township="翠苑街道", consumer_phone="", consumer_address="",
                       description="称重少了二两，老板不认账，要求退差价。")
    response = client.post("/staff/complaints/new", data=form, content_type="multipart/form-data")

    html = text(response)
    assert response.status_code == 400 and count(Complaint) == 0
    assert "请至少留下消费者的手机号或通信地址" in html
    assert "老王水果摊" in html and "文三路口" in html and "称重少了二两" in html and NAME in html
    # Fixed, the same form (same one-time key) registers it once.
    form.update(consumer_address="杭州市西湖区文三路 90 号")
    assert client.post("/staff/complaints/new", data=form, content_type="multipart/form-data").status_code == 302
    assert client.post("/staff/complaints/new", data=form, content_type="multipart/form-data").status_code == 302
    complaint = db.session.scalar(select(Complaint))
    assert count(Complaint) == 1 and complaint.business.name == "老王水果摊"
    assert "不在名录中" in text(client.get(f"/staff/complaints/{complaint.id}"))


def test_a_consultation_opens_the_form_prefilled_and_both_pages_link(client, world, login_as):
    consultation = Consultation(channel="letter", topic="预付卡退费", district="西湖区", township="文新街道",
                                summary="来信反映健身房闭店，预付卡余额无法退还。", outcome="complaint",
                                received_at=datetime(2025, 9, 26, 2, 0, tzinfo=timezone.utc), recorded_by_id=world.staff.id)
    db.session.add(consultation)
    db.session.commit()
    login_as(client, world.staff)
    assert f"/staff/complaints/new?consultation={consultation.id}" in text(client.get("/staff/consultations"))

    url = f"/staff/complaints/new?consultation={consultation.id}"
    page = text(client.get(url))
    assert "由咨询记录转为投诉" in page and "来信反映健身房闭店" in page and 'value="2025-09-26"' in page
    assert re.search(r'<input checked[^>]*name="channel"[^>]*value="letter"', page)
    assert hidden_value(page, "consultation") == str(consultation.id)
    form = intake_form(client, url, channel="letter", consent_kind="written", shop=world.shop.credit_code,
                       description="预付卡退费：来信反映健身房闭店，预付卡余额无法退还。")
    assert client.post(url, data=form, content_type="multipart/form-data").status_code == 302

    complaint = db.session.scalar(select(Complaint))
    assert consultation.complaint_id == complaint.id
    assert "咨询记录 #%d" % consultation.id in text(client.get(f"/staff/complaints/{complaint.id}"))
    assert f"/staff/complaints/{complaint.id}" in text(client.get("/staff/consultations"))
    # Converted once: asking again goes back to the log with the reason.
    again = client.get(url)
    assert again.status_code == 302 and "/staff/consultations" in again.headers["Location"]


def test_marking_a_duplicate_from_the_case_page(client, world, login_as):
    original, _token = file(world.shop)
    duplicate, _token = file(world.shop)
    login_as(client, world.staff)
    page = text(client.get(f"/staff/complaints/{duplicate.id}"))
    response = client.post(f"/staff/complaints/{duplicate.id}/duplicate", data={
        "csrf_token": hidden_value(page, "csrf_token"), "version": str(duplicate.version),
        "original": original.tracking_number, "note": ""})
    assert response.status_code == 302
    assert db.session.get(Complaint, duplicate.id).status == "duplicate"
    assert duplicate.tracking_number in text(client.get(f"/staff/complaints/{original.id}"))

    refused = client.post(f"/staff/complaints/{original.id}/duplicate", data={
        "csrf_token": hidden_value(page, "csrf_token"), "version": str(original.version), "original": "TS1"})
    assert refused.status_code == 400 and "没有编号为 TS1 的投诉" in text(refused)


def test_linking_an_unlisted_business_from_the_case_page(client, world, login_as):
    login_as(client, world.staff)
    form = intake_form(client, shop_kind="unlisted", business_name="美好生活超市（文三路店）",
                       business_township="翠苑街道", clause="other")
    client.post("/staff/complaints/new", data=form, content_type="multipart/form-data")
    complaint = db.session.scalar(select(Complaint))
    page = text(client.get(f"/staff/complaints/{complaint.id}"))
    assert "关联名录中的商家" in page

    response = client.post(f"/staff/complaints/businesses/{complaint.business_id}/link", data={
        "csrf_token": hidden_value(page, "csrf_token"), "shop": world.shop.credit_code, "back": str(complaint.id)})
    assert response.status_code == 302
    assert db.session.get(Complaint, complaint.id).merchant_id == world.shop.id
    assert "已关联到名录中的" in " ".join(flashes(text(client.get(response.headers["Location"]))))


def test_the_received_date_limit_is_on_the_form(client, world, login_as):
    login_as(client, world.staff)
    old = (datetime(2025, 9, 30) - timedelta(days=40)).date().isoformat()
    form = intake_form(client, shop=world.shop.credit_code, received_on=old)
    response = client.post("/staff/complaints/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 400 and "收到日期最早只能是 30 天前" in text(response)
    assert count(Complaint) == 0


def test_the_dashboard_and_queue_show_a_complaint_about_an_unlisted_business(client, world, login_as):
    login_as(client, world.staff)
    form = intake_form(client, shop_kind="unlisted", business_name="无名早餐铺", business_township="翠苑街道")
    assert client.post("/staff/complaints/new", data=form, content_type="multipart/form-data").status_code == 302
    dashboard = client.get("/staff/")
    assert dashboard.status_code == 200 and "无名早餐铺" in text(dashboard)
    queue = text(client.get("/staff/complaints"))
    assert "无名早餐铺" in queue and "翠苑街道" in queue and "来电" in queue


def test_a_scanned_letter_is_kept_as_evidence_only_staff_see(app, client, world, login_as, evidence_dir):
    import io

    from registry.complaints.models import EvidencePhoto

    from .helpers import jpeg_bytes

    login_as(client, world.staff)
    form = intake_form(client, channel="letter", consent_kind="written", consumer_phone="",
                       consumer_address="杭州市西湖区文三路 90 号", shop=world.shop.credit_code)
    form["photos"] = [(io.BytesIO(jpeg_bytes()), "来信扫描.jpg")]
    assert client.post("/staff/complaints/new", data=form, content_type="multipart/form-data").status_code == 302

    photo = db.session.scalar(select(EvidencePhoto))
    assert photo.complaint_id == db.session.scalar(select(Complaint.id)) and photo.original_filename == "来信扫描.jpg"
    assert len(list(evidence_dir.rglob("*.jpg"))) == 1
    shown = client.get(f"/staff/evidence/{photo.id}")
    shown.close()  # a sent file stays open until the response is closed
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    other = app.test_client()
    login_as(other, world.staff_elsewhere)
    assert other.get(f"/staff/evidence/{photo.id}").status_code == 403


def test_accepting_a_complaint_about_an_unlisted_business_does_not_claim_to_forward_it(client, world, login_as):
    login_as(client, world.staff)
    form = intake_form(client, shop_kind="unlisted", business_name="无名早餐铺", business_township="翠苑街道")
    client.post("/staff/complaints/new", data=form, content_type="multipart/form-data")
    complaint = db.session.scalar(select(Complaint))
    page = text(client.get(f"/staff/complaints/{complaint.id}"))

    response = client.post(f"/staff/complaints/{complaint.id}/accept", data={
        "csrf_token": hidden_value(page, "csrf_token"), "version": complaint.version,
        "public_summary": "消费者反映早餐铺出售的包子变质。"})

    assert response.status_code == 302
    assert db.session.get(Complaint, complaint.id).status == "accepted"
    said = " ".join(flashes(text(client.get(response.headers["Location"]))))
    assert "经营者不在名录中" in said and "转交商家" not in said
