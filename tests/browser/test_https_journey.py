"""The consumer journey in Chromium against the production stack as deployed, over https.

gunicorn (gunicorn.conf.py, REGISTRY_ENV=production, Redis rate limits) behind nginx with the shipped
deploy/nginx/app.conf + maps.conf and a self-signed certificate (tests/browser/https_stack.py): CSRF's
strict referrer check, `__Host-session`, HSTS and ProxyFix all as in production. Issue 10: over https
the complaint pages' `no-referrer` made the browser post every consumer form without a Referer, and
every one was refused with 400. Scan the badge → 投诉 → SMS code → file with a photo → track →
the officer accepts, the owner offers → accept the offer → follow-up survey; screenshots https-*.png.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from registry.extensions import db
from tests.conftest import PASSWORD, seed_areas, shop_details

from .pages import accept_offer_and_answer_survey, log_in
from .test_complaint_journey import (CONSUMER_NAME, CONSUMER_PHONE, DESCRIPTION, OFFER, OWNER_LOGIN, REPLY,
                                     SHOP_NAME, STAFF_LOGIN, SUMMARY, TRACKING, china_today, receipt_photo,
                                     sms_code_sent_to)

pytestmark = pytest.mark.browser


def decode_qr(path) -> str:
    with Image.open(path) as image:
        image.load()
        results = zxingcpp.read_barcodes(image)
    assert len(results) == 1, f"expected one QR code in {path}, found {len(results)}"
    return results[0].text


def seed_signed_shop_and_officer(live) -> dict:
    """A signed shop in 西湖区 and that district's officer, through the services (the demo data takes
    seconds longer to load and adds nothing here)."""
    from registry.auth.models import Role
    from registry.auth.services import create_user
    from registry.merchants.services import register_shop
    from registry.pledges.defaults import publish_default_pledge
    from registry.pledges.signing import sign_pledge

    with live.app.app_context():
        seed_areas()  # the managed district list the officer's scope and the shop must use
        version = publish_default_pledge()
        owner = create_user(OWNER_LOGIN, PASSWORD, "王美好")
        create_user(STAFF_LOGIN, PASSWORD, "西湖区工作人员", Role.STAFF, "西湖区")
        shop = register_shop(owner, shop_details(name=SHOP_NAME, district="西湖区"))
        sign_pledge(shop, version, owner, shop.owner_name, "店主", "127.0.0.1", {c.number for c in version.clauses})
        db.session.commit()
        facts = {"id": shop.id, "public_code": shop.public_code}
        db.session.remove()
    return facts


def final_state(live, tracking: str) -> dict:
    from registry.complaints.models import Complaint

    with live.app.app_context():
        complaint = db.session.scalar(select(Complaint).where(Complaint.tracking_number == tracking))
        state = {"status": complaint.status, "outcome": complaint.outcome, "photos": len(complaint.photos),
                 "recovered": complaint.amount_recovered_cents, "resolved": complaint.followup_resolved,
                 "satisfaction": complaint.followup_satisfaction, "phone": complaint.consumer_phone,
                 "events": [event.kind for event in complaint.events]}
        db.session.remove()
    return state


def test_consumer_journey_over_https_behind_the_shipped_nginx(https_server, phone_context, desktop_context, shot,
                                                               tmp_path):
    live = https_server
    shop = seed_signed_shop_and_officer(live)
    refused = []  # every 4xx/5xx any page met, with its address: a refused form shows up here

    def watch(page):
        page.on("response", lambda response: refused.append((response.status, response.request.method, response.url))
                if response.status >= 400 else None)
        return page

    # 1. The shop owner logs in over https and downloads the badge PNG; its QR code is the scan.
    owner = watch(phone_context(ignore_https_errors=True).new_page())
    log_in(owner, live, OWNER_LOGIN, PASSWORD)
    owner.goto(f"{live.url}/my/shops/{shop['id']}")
    expect(owner.get_by_role("heading", level=1, name=SHOP_NAME)).to_be_visible()
    with owner.expect_download() as download_info:
        owner.get_by_role("link", name="诚信码 PNG").click()
    png = tmp_path / "badge.png"
    download_info.value.save_as(png)
    scanned_url = decode_qr(png)
    assert scanned_url.startswith(f"{live.url}/m/{shop['public_code']}"), scanned_url
    cookies = {cookie["name"]: cookie for cookie in owner.context.cookies()}
    assert cookies["__Host-session"]["secure"] and cookies["__Host-session"]["httpOnly"]

    # 2. The consumer scans: the QR page over https, through nginx.
    consumer = watch(phone_context(ignore_https_errors=True).new_page())
    answer = consumer.goto(scanned_url)
    assert answer.headers["strict-transport-security"].startswith("max-age=")
    expect(consumer.get_by_role("heading", level=1)).to_have_text(SHOP_NAME)
    shot(consumer, "https-01-qr-page")

    # 3. 投诉 → the SMS code (read from the outbox table, as a developer would) → confirm.
    consumer.locator(".complain-cta").get_by_role("link", name="投诉", exact=True).click()
    expect(consumer.get_by_role("heading", level=1)).to_have_text(f"投诉 {SHOP_NAME}")
    consumer.get_by_label("手机号").fill(CONSUMER_PHONE)
    consumer.get_by_role("button", name="发送验证码").click()
    expect(consumer.locator("main")).to_contain_text(f"验证码已发送到 {CONSUMER_PHONE}")
    consumer.get_by_label("短信验证码").fill(sms_code_sent_to(live, CONSUMER_PHONE))
    shot(consumer, "https-02-sms-code")
    consumer.get_by_role("button", name="确认", exact=True).click()

    # 4. The complaint, with a photo.
    expect(consumer).to_have_url(re.compile(r"/complain/details$"))
    photo = tmp_path / "小票.jpg"
    receipt_photo(photo)
    consumer.get_by_role("radio", name="价格欺诈").check()
    consumer.get_by_label("发生了什么？").fill(DESCRIPTION)
    consumer.get_by_label("购买/消费日期").fill((china_today() - timedelta(days=3)).isoformat())
    consumer.get_by_label("涉及金额（元）").fill("58.5")
    consumer.get_by_role("checkbox", name="退款", exact=True).check()
    consumer.get_by_label("您的姓名").fill(CONSUMER_NAME)
    consumer.get_by_label("证据照片（可选，最多 6 张）").set_input_files(photo)
    consumer.get_by_role("checkbox", name=re.compile("^我已阅读")).check()
    shot(consumer, "https-03-form")
    consumer.get_by_role("button", name="提交投诉").click()

    # 5. The tracking page /c/<token>.
    expect(consumer).to_have_url(re.compile(rf"^{re.escape(live.url)}/c/[0-9a-f]{{32}}$"))
    case_url = consumer.url
    tracking = consumer.get_by_role("heading", level=1).inner_text().strip()
    assert TRACKING.match(tracking), tracking
    expect(consumer.locator(".flash-success")).to_contain_text(tracking)
    expect(consumer.locator(".pill-complaint-filed")).to_have_text("待受理")
    expect(consumer.locator("main")).to_contain_text("已上传 1 张证据照片")
    shot(consumer, "https-04-case-filed")
    filed = final_state(live, tracking)
    assert (filed["status"], filed["photos"]) == ("filed", 1)

    # 6. The officer logs in over https and accepts; the owner replies with an offer.
    staff = watch(desktop_context(ignore_https_errors=True).new_page())
    log_in(staff, live, STAFF_LOGIN, PASSWORD)
    staff.goto(f"{live.url}/staff/complaints")
    staff.locator("tbody tr").get_by_role("link", name=tracking, exact=True).click()
    expect(staff.get_by_role("heading", level=1)).to_have_text(tracking)
    staff.get_by_label("公开摘要").fill(SUMMARY)
    staff.get_by_role("button", name="受理并转交商家").click()
    expect(staff.locator(".flash-success")).to_contain_text("已受理")
    shot(staff, "https-05-staff-accepted", check_overflow=False)

    owner.goto(f"{live.url}/my/complaints")
    owner.locator(".result", has_text=tracking).get_by_role("link").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text(tracking)
    owner.get_by_label("公开回复").fill(REPLY)
    owner.get_by_label("处理方案（可选）").fill(OFFER)
    owner.get_by_label("退赔金额（元，可选）").fill("58.5")
    owner.get_by_role("button", name="提交回复").click()
    expect(owner.locator(".flash-success")).to_contain_text("回复已提交")
    shot(owner, "https-06-owner-replied")

    # 7. The consumer accepts the offer: the case closes; then the follow-up survey.
    consumer.goto(case_url)
    offer = consumer.locator(".callout", has=consumer.get_by_role("heading", name="商家的答复"))
    expect(offer).to_contain_text(OFFER)
    accept_offer_and_answer_survey(consumer, shot, "https-07-offer")
    shot(consumer, "https-08-case-closed")

    done = final_state(live, tracking)
    assert (done["status"], done["outcome"], done["recovered"], done["resolved"], done["satisfaction"]) == \
        ("closed", "agreed", 5850, True, 4)
    assert done["phone"] == CONSUMER_PHONE and done["photos"] == 1
    assert done["events"][0] == "filed" and {"accepted", "merchant_replied", "consumer_accepted", "closed"} \
        <= set(done["events"])
    assert refused == [], refused
