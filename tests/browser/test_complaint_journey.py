"""A consumer's complaint from the QR page to its public resolution, in a real Chromium.

Three people, each in their own browser context (their own cookies): the consumer on a phone, the
association's officer at a desktop and the shop owner on a phone. The SMS code is read from the
outbox table, as a developer would. Screenshots of every step go to test-artifacts/screenshots/
(phone-c… consumer, desktop-s… staff, phone-m… shop owner, phone-r…/desktop-r… refusal).
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select

from registry.extensions import db

from .pages import accept_offer_and_answer_survey, log_in

pytestmark = pytest.mark.browser

SHOP_NAME = "美好生活超市"
OWNER_LOGIN = "13800138000"
STAFF_LOGIN = "staff@demo.cxm"
CONSUMER_PHONE = "13912345678"
CONSUMER_PHONE_MASKED = "139****5678"
CONSUMER_NAME = "张伟"
CONSUMER_NAME_MASKED = "张*"
DESCRIPTION = "货架上的鸡蛋标价 29.8 元一盒，结账时按 58.5 元收费，收银员说标签没有更新，拒绝按标价结算。"
SUMMARY = "价格欺诈：消费者反映鸡蛋结账价格高于货架标价。"
REPLY = "已核实，是价签没有及时更新，向您道歉，已全部更换价签。"
OFFER = "全额退还 58.5 元并赔礼道歉"
TRACKING = re.compile(r"^TS\d{8}-\d{4}$")


def china_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def load_demo_shops(live, shop_count: int) -> dict:
    """Demo data in the live server's database; returns facts about 美好生活超市."""
    from registry.demo import load_demo
    from registry.merchants.models import Merchant

    with live.app.app_context():
        assert load_demo(shop_count=shop_count) > 0
        db.session.commit()
        shop = db.session.scalar(select(Merchant).where(Merchant.name == SHOP_NAME))
        assert shop.owner.login == OWNER_LOGIN
        facts = {"id": shop.id, "public_code": shop.public_code}
        db.session.remove()
    return facts


def sms_code_sent_to(live, phone: str) -> str:
    """The 6-digit code in the newest message the outbox "sent" to `phone`."""
    from registry.messaging.models import OutboxMessage

    with live.app.app_context():
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.phone == phone)
                                    .order_by(OutboxMessage.id.desc()).limit(1))
        assert message is not None, f"no SMS sent to {phone}"
        body = message.body
        db.session.remove()
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match[1]


def complaint_facts(live, tracking_number: str) -> dict:
    from registry.complaints.models import Complaint

    with live.app.app_context():
        complaint = db.session.scalar(select(Complaint).where(Complaint.tracking_number == tracking_number))
        facts = {"id": complaint.id, "status": complaint.status, "due_date": complaint.due_date,
                 "photos": len(complaint.photos), "amount_cents": complaint.amount_cents,
                 "demands": complaint.demand_list, "clause": complaint.clause_kind,
                 "amount_recovered_cents": complaint.amount_recovered_cents}
        db.session.remove()
    return facts


def receipt_photo(path) -> None:
    """A real JPEG, like a phone photo of a till receipt."""
    image = Image.new("RGB", (900, 1200), (246, 244, 238))
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 80, 780, 1120), fill=(255, 255, 255), outline=(60, 60, 60), width=6)
    for row in range(12):
        y = 180 + row * 70
        draw.rectangle((180, y, 180 + 60 * (row % 5 + 4), y + 24), fill=(70, 70, 70))
        draw.rectangle((600, y, 720, y + 24), fill=(70, 70, 70))
    image.save(path, "JPEG", quality=90)


def page_text(page) -> str:
    return page.locator("body").inner_text()


def test_consumer_complaint_is_resolved_and_shown_on_qr_page(live_server, phone_context, desktop_context, shot,
                                                             tmp_path):
    from registry.complaints.queries import shop_figures
    from registry.demo import DEMO_PASSWORD
    from registry.merchants.models import Merchant

    live = live_server
    shop = load_demo_shops(live, 12)
    qr_url = f"{live.url}/m/{shop['public_code']}"
    photo = tmp_path / "小票.jpg"
    receipt_photo(photo)
    purchase_date = (china_today() - timedelta(days=8)).isoformat()

    # 1. The consumer scans the shop's QR code.
    consumer = phone_context().new_page()
    consumer.goto(qr_url)
    expect(consumer.get_by_role("heading", level=1)).to_have_text(SHOP_NAME)
    expect(consumer.locator(".complain-cta")).to_be_visible()
    shot(consumer, "phone-c01-qr-page")

    # 2. 投诉 → confirm the phone number with the SMS code.
    consumer.locator(".complain-cta").get_by_role("link", name="投诉", exact=True).click()
    expect(consumer.get_by_role("heading", level=1)).to_have_text(f"投诉 {SHOP_NAME}")
    consumer.get_by_label("手机号").fill(CONSUMER_PHONE)
    shot(consumer, "phone-c02-phone")
    consumer.get_by_role("button", name="发送验证码").click()
    expect(consumer.locator("main")).to_contain_text(f"验证码已发送到 {CONSUMER_PHONE}")
    code = sms_code_sent_to(live, CONSUMER_PHONE)
    consumer.get_by_label("短信验证码").fill(code)
    shot(consumer, "phone-c03-code")
    consumer.get_by_role("button", name="确认", exact=True).click()

    # The complaint form, filled in.
    expect(consumer).to_have_url(re.compile(r"/complain/details$"))
    expect(consumer.locator(".steps .current")).to_have_text("填写投诉")
    consumer.get_by_role("radio", name="价格欺诈").check()
    consumer.get_by_label("发生了什么？").fill(DESCRIPTION)
    consumer.get_by_label("购买/消费日期").fill(purchase_date)
    consumer.get_by_label("涉及金额（元）").fill("58.5")
    consumer.get_by_role("checkbox", name="退款", exact=True).check()
    consumer.get_by_label("您的姓名").fill(CONSUMER_NAME)
    consumer.get_by_label("证据照片（可选，最多 6 张）").set_input_files(photo)
    consumer.get_by_role("checkbox", name=re.compile("^我已阅读")).check()
    expect(consumer.get_by_label("购买/消费日期")).to_have_value(purchase_date)
    shot(consumer, "phone-c04-form")
    consumer.get_by_role("button", name="提交投诉").click()

    # The case page: tracking number and 待受理.
    expect(consumer).to_have_url(re.compile(r"/c/[0-9a-f]{32}$"))
    case_url = consumer.url
    tracking = consumer.get_by_role("heading", level=1).inner_text().strip()
    assert TRACKING.match(tracking), tracking
    assert tracking.startswith(f"TS{china_today():%Y%m%d}-")
    expect(consumer.locator(".flash-success")).to_contain_text(tracking)
    expect(consumer.locator(".pill-complaint-filed")).to_have_text("待受理")
    expect(consumer.locator(".facts")).to_contain_text("价格欺诈")
    expect(consumer.locator(".facts")).to_contain_text("58.50")
    expect(consumer.locator("main")).to_contain_text("已上传 1 张证据照片")
    shot(consumer, "phone-c05-case-filed")
    facts = complaint_facts(live, tracking)
    assert (facts["status"], facts["clause"], facts["amount_cents"], facts["demands"], facts["photos"]) == \
        ("filed", "price_fraud", 5850, ["refund"], 1)
    # Stored under this test's EVIDENCE_DIR (its pledges/ folder holds the demo's paper-pledge photo).
    assert len(list((tmp_path / "evidence").glob("*.jpg"))) == 1

    # 3. The officer accepts it and forwards it to the shop.
    staff = desktop_context().new_page()
    log_in(staff, live, STAFF_LOGIN, DEMO_PASSWORD)
    staff.goto(f"{live.url}/staff/complaints")
    expect(staff.locator(".tab.current")).to_contain_text("待受理")
    row = staff.locator("tbody tr", has=staff.get_by_role("link", name=tracking, exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(SHOP_NAME)
    expect(row).to_contain_text("价格欺诈")
    expect(row).to_contain_text("待受理")
    expect(row.locator("td").last).to_contain_text(facts["due_date"].isoformat())
    shot(staff, "desktop-s01-queue")

    row.get_by_role("link", name=tracking).click()
    expect(staff.get_by_role("heading", level=1)).to_have_text(tracking)
    expect(staff.locator(".flash-info")).to_contain_text(f"受理决定期限：{facts['due_date'].isoformat()}")
    thumbnail = staff.locator(".photos img")
    expect(thumbnail).to_have_count(1)
    thumbnail.scroll_into_view_if_needed()
    staff.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    assert thumbnail.evaluate("img => img.naturalWidth") > 0
    summary = staff.get_by_label("公开摘要")
    expect(summary).to_have_value("")  # staff write it: never a draft from the consumer's words
    summary.fill(SUMMARY)
    shot(staff, "desktop-s02-case")
    staff.get_by_role("button", name="受理并转交商家").click()
    expect(staff.locator(".flash-success")).to_contain_text("已受理")
    expect(staff.locator(".page-head .pill")).to_have_text("已受理，待商家回复")
    shot(staff, "desktop-s03-accepted")

    # 4. The shop owner, on a phone, replies with an offer; the consumer is masked.
    owner = phone_context().new_page()
    log_in(owner, live, OWNER_LOGIN, DEMO_PASSWORD)
    owner.locator(".site-nav").get_by_role("link", name="收到的投诉").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("收到的投诉")
    item = owner.locator(".result", has_text=tracking)
    expect(item).to_have_count(1)
    expect(item).to_contain_text("已受理，待商家回复")
    # On a phone the long status pill sits under the text rather than squeezing it into a narrow column.
    assert item.locator(".result-main").bounding_box()["width"] > 250
    shot(owner, "phone-m01-list")
    item.get_by_role("link").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text(tracking)
    facts_list = owner.locator(".facts")
    expect(facts_list).to_contain_text(CONSUMER_NAME_MASKED)
    expect(facts_list).to_contain_text(CONSUMER_PHONE_MASKED)
    text = page_text(owner)
    assert CONSUMER_PHONE not in text and CONSUMER_NAME not in text
    assert CONSUMER_PHONE not in owner.content() and CONSUMER_NAME not in owner.content()
    owner.get_by_label("公开回复").fill(REPLY)
    owner.get_by_label("处理方案（可选）").fill(OFFER)
    owner.get_by_label("退赔金额（元，可选）").fill("58.5")
    shot(owner, "phone-m02-reply")
    owner.get_by_role("button", name="提交回复").click()
    expect(owner.locator(".flash-success")).to_contain_text("回复已提交")
    expect(owner.locator(".page-head .pill")).to_have_text("商家已回复")
    expect(owner.locator(".timeline")).to_contain_text(REPLY)
    shot(owner, "phone-m03-replied")

    # 5. The consumer reopens the case link, accepts the offer and answers the 回访.
    consumer.goto(case_url)
    expect(consumer.locator(".pill-complaint-replied")).to_have_text("商家已回复")
    answer = consumer.locator(".callout", has=consumer.get_by_role("heading", name="商家的答复"))
    expect(answer).to_contain_text(REPLY)
    expect(answer).to_contain_text(OFFER)
    expect(answer).to_contain_text("退赔 58.50 元")
    accept_offer_and_answer_survey(consumer, shot, "phone-c06-case-offer", "phone-c07-case-followup")
    expect(consumer.get_by_role("heading", name="回访")).to_have_count(0)
    shot(consumer, "phone-c08-case-closed")
    assert complaint_facts(live, tracking)["amount_recovered_cents"] == 5850

    # 6. The QR page shows the resolved complaint, without the consumer's name or phone.
    consumer.goto(qr_url)
    with live.app.app_context():
        figures = shop_figures(db.session.get(Merchant, shop["id"]))
        db.session.remove()
    entry = consumer.locator(".public-complaints li", has_text=SUMMARY)
    expect(entry).to_have_count(1)
    expect(entry.locator(".pc-head strong")).to_have_text("价格欺诈")
    expect(entry.locator(".pill-complaint-closed")).to_have_text("已办结")
    expect(entry.locator(".pill-outcome")).to_have_text("双方和解")
    expect(entry.locator(".reply")).to_contain_text(REPLY)
    assert figures.accepted >= 1 and figures.by_clause.get("price_fraud", 0) >= 1
    numbers = consumer.locator(".figures strong")
    expect(numbers.nth(0)).to_have_text(str(figures.accepted))
    expect(numbers.nth(1)).to_have_text(f"{figures.resolved_share}%")
    # Replies within a day are shown as "<1" rather than a misleading "0.0".
    expect(numbers.nth(2)).to_have_text("<1" if figures.median_reply_days < 1 else str(figures.median_reply_days))
    expect(consumer.locator(".figures + p")).to_contain_text(f"价格欺诈 {figures.by_clause['price_fraud']}")
    html = consumer.content()
    for private in (CONSUMER_NAME, CONSUMER_NAME_MASKED, CONSUMER_PHONE, CONSUMER_PHONE_MASKED, DESCRIPTION):
        assert private not in html, f"{private!r} is on the public page"
    entry.scroll_into_view_if_needed()
    shot(consumer, "phone-c09-qr-resolved")


def test_refused_complaint_shows_next_steps(live_server, phone_context, desktop_context, shot):
    from registry.complaints.filing import ComplaintInput, file_complaint
    from registry.demo import DEMO_PASSWORD
    from registry.merchants.models import Merchant

    live = live_server
    shop = load_demo_shops(live, 3)
    explanation = "您提供的信息不足以核实，请补充购物小票或付款记录后重新投诉。"
    with live.app.app_context():
        merchant = db.session.get(Merchant, shop["id"])
        complaint, token = file_complaint(merchant, ComplaintInput(
            clause=2, description="买的散装大米里有很多碎米和杂质，和样品不一样。",
            purchase_date=china_today() - timedelta(days=2), amount_cents=3990, demands=["exchange"],
            consumer_name="李娜", consumer_phone="13700001111", privacy_consent=True, share_phone_consent=False,
        ), [], "13700001111", secrets.token_urlsafe(24))
        tracking, complaint_id = complaint.tracking_number, complaint.id
        db.session.commit()
        db.session.remove()

    staff = desktop_context().new_page()
    log_in(staff, live, STAFF_LOGIN, DEMO_PASSWORD)
    staff.goto(f"{live.url}/staff/complaints/{complaint_id}")
    expect(staff.get_by_role("heading", level=1)).to_have_text(tracking)
    staff.get_by_label("不予受理的依据").select_option(label="缺少必要信息，无法核实")
    staff.get_by_label("给消费者的说明").fill(explanation)
    shot(staff, "desktop-r01-staff-refuse")
    staff.get_by_role("button", name="不予受理", exact=True).click()
    expect(staff.locator(".flash-success")).to_contain_text("不予受理")
    expect(staff.locator(".page-head .pill")).to_have_text("不予受理")

    consumer = phone_context().new_page()
    consumer.goto(f"{live.url}/c/{token}")
    expect(consumer.get_by_role("heading", level=1)).to_have_text(tracking)
    expect(consumer.locator(".pill-complaint-refused")).to_have_text("不予受理")
    reason = consumer.locator(".callout", has=consumer.get_by_role("heading", name="不予受理的原因"))
    expect(reason).to_contain_text("缺少必要信息，无法核实")
    expect(reason).to_contain_text(explanation)
    expect(consumer.locator(".timeline")).to_contain_text(explanation)
    steps = consumer.locator(".next-steps")
    expect(steps).to_contain_text("12315")
    expect(steps).to_contain_text("法律援助")
    expect(consumer.get_by_role("heading", name="补充说明")).to_have_count(0)
    shot(consumer, "phone-r01-case-refused")

    # A refused complaint is not public: the QR page does not list it.
    consumer.goto(f"{live.url}/m/{shop['public_code']}")
    expect(consumer.get_by_role("heading", level=1)).to_have_text(SHOP_NAME)
    assert explanation not in consumer.content()
    assert "李娜" not in consumer.content()
