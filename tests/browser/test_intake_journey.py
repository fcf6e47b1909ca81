"""An officer registers a complaint received by phone, in a real Chromium: the intake form on a desktop
(and how it looks on a phone), the new case with its channel, the workload that now holds it, the text
the outbox holds for the consumer's phone, and the consumer following the link in that text.
Screenshots: desktop-i… / phone-i….
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from registry.extensions import db

from .pages import log_in
from .test_notices_journey import newest_text
from .test_complaint_journey import SHOP_NAME, STAFF_LOGIN, TRACKING, china_today, load_demo_shops

pytestmark = pytest.mark.browser

CONSUMER_NAME = "李秀英"
CONSUMER_PHONE = "13705718866"
DESCRIPTION = "来电反映：在店里买的食用油，货架标价 59.9 元，结账按 79.9 元收费，店员拒绝退还差价。"


def registered(live, tracking_number: str) -> dict:
    from registry.complaints.models import Complaint

    with live.app.app_context():
        complaint = db.session.scalar(select(Complaint).where(Complaint.tracking_number == tracking_number))
        facts = {"channel": complaint.channel, "status": complaint.status, "registered_by": complaint.registered_by.login,
                 "consent": complaint.consent_kind, "phone": complaint.consumer_phone, "shop": complaint.merchant.name,
                 "amount_cents": complaint.amount_cents}
        db.session.remove()
    return facts


def test_staff_register_a_phone_complaint_and_find_it_in_the_workload(live_server, desktop_context, phone_context,
                                                                      shot):
    from registry.demo import DEMO_PASSWORD

    live = live_server
    load_demo_shops(live, 8)

    staff = desktop_context().new_page()
    log_in(staff, live, STAFF_LOGIN, DEMO_PASSWORD)
    staff.goto(f"{live.url}/staff/complaints")
    staff.get_by_role("link", name="登记投诉", exact=True).click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("代消费者登记投诉")

    # A refused form keeps what was typed: the shop is missing.
    staff.get_by_role("radio", name="来电", exact=True).check()
    staff.get_by_label("消费者姓名（可选）").fill(CONSUMER_NAME)
    staff.get_by_label("消费者手机号（可选）").fill(CONSUMER_PHONE)
    staff.get_by_role("radio", name="口头同意（工作人员记录）").check()
    staff.get_by_label("违反的承诺").select_option(label="价格欺诈")
    staff.get_by_label("投诉事实").fill(DESCRIPTION)
    staff.get_by_label("购买/消费日期").fill((china_today() - timedelta(days=1)).isoformat())
    staff.get_by_label("涉及金额（元）").fill("20")
    staff.get_by_role("checkbox", name="退款", exact=True).check()
    shot(staff, "desktop-i01-intake-form")
    staff.get_by_role("button", name="登记投诉").click()
    expect(staff.locator(".has-error")).to_contain_text("请填写被投诉商家的名称")
    expect(staff.get_by_label("投诉事实")).to_have_value(DESCRIPTION)
    expect(staff.get_by_label("消费者手机号（可选）")).to_have_value(CONSUMER_PHONE)

    staff.get_by_label("商家名称、统一社会信用代码或二维码编号").fill(SHOP_NAME)
    staff.get_by_role("button", name="登记投诉").click()

    # The new case: filed, by phone, registered by this officer; the consumer's link to read out.
    expect(staff.locator(".flash-success")).to_contain_text("已登记投诉")
    tracking = staff.get_by_role("heading", level=1).inner_text().strip()
    assert TRACKING.match(tracking), tracking
    expect(staff.locator(".page-head .pill")).to_have_text("待受理")
    facts_list = staff.locator(".facts")
    expect(facts_list).to_contain_text("来电")
    expect(facts_list).to_contain_text("代为登记")
    expect(facts_list).to_contain_text("口头同意")
    case_link = staff.locator(".break.mono").inner_text().strip()
    assert re.search(r"/c/[0-9a-f]{32}$", case_link), case_link
    shot(staff, "desktop-i02-registered")
    assert registered(live, tracking) == {
        "channel": "phone", "status": "filed", "registered_by": STAFF_LOGIN, "consent": "verbal",
        "phone": CONSUMER_PHONE, "shop": SHOP_NAME, "amount_cents": 2000}

    # In the workload: the new queue, with its channel.
    staff.get_by_role("link", name="‹ 投诉处理").click()
    row = staff.locator("tbody tr", has=staff.get_by_role("link", name=tracking, exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(SHOP_NAME)
    expect(row).to_contain_text("来电")
    shot(staff, "desktop-i03-queue")

    # The same form on a phone fits the screen.
    small = phone_context().new_page()
    log_in(small, live, STAFF_LOGIN, DEMO_PASSWORD)
    small.goto(f"{live.url}/staff/complaints/new")
    expect(small.get_by_role("heading", level=1)).to_have_text("代消费者登记投诉")
    shot(small, "phone-i01-intake-form")

    # The consumer's phone got the filing text (complaints/notices.py, the same step as an online filing):
    # signed by the association, naming the case and the shop, with the case link; the link the officer
    # reads out is the same one.
    sms = newest_text(live, CONSUMER_PHONE, "complaint_notice")
    assert sms.startswith("【西子消协】") and tracking in sms and SHOP_NAME in sms, sms
    link = re.search(r"https?://\S+/c/[0-9a-f]{32}", sms)[0]
    assert link.rsplit("/", 1)[1] == case_link.rsplit("/", 1)[1]

    # The consumer follows the link in the text: no account, no SMS code.
    consumer = phone_context().new_page()
    consumer.goto(f"{live.url}/c/{link.rsplit('/', 1)[1]}")
    expect(consumer.get_by_role("heading", level=1)).to_have_text(tracking)
    expect(consumer.locator(".facts")).to_contain_text("来电")
    shot(consumer, "phone-i02-consumer-case")
