"""A consumer files online, loses the page, and gets back to the case: by the link in the SMS the outbox
holds, and through 我的投诉 with a new SMS code; the case page's copy-link button. In a real Chromium
(screenshots phone-n…/desktop-n… under test-artifacts/screenshots/)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from registry.extensions import db

pytestmark = pytest.mark.browser

SHOP_NAME = "晨光文具店"
OWNER_LOGIN = "13700137000"
CONSUMER_PHONE = "13912345678"
DESCRIPTION = "买的中性笔一盒标注 12 支，打开只有 10 支，店员不肯补足也不肯退款。"


def china_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def make_shop(live) -> str:
    """A signed shop whose owner confirmed the login phone; returns its public code."""
    from registry.auth.services import create_user
    from registry.merchants.services import register_shop
    from registry.pledges.signing import sign_pledge
    from registry.pledges.versions import current_version
    from tests.conftest import PASSWORD, shop_details

    with live.app.app_context():
        owner = create_user(OWNER_LOGIN, PASSWORD, "陈晨光", phone_verified=True)
        shop = register_shop(owner, shop_details(name=SHOP_NAME, owner_name="陈晨光"))
        version = current_version()
        sign_pledge(shop, version, owner, "陈晨光", "店主", "127.0.0.1", {c.number for c in version.clauses})
        db.session.commit()
        code = shop.public_code
        db.session.remove()
    return code


def newest_text(live, phone: str, purpose: str) -> str:
    from registry.messaging.models import OutboxMessage

    with live.app.app_context():
        body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.phone == phone,
                                                                  OutboxMessage.purpose == purpose)
                                 .order_by(OutboxMessage.id.desc()).limit(1))
        db.session.remove()
    assert body, f"no {purpose} SMS to {phone}"
    return body


def confirm_phone(page, live, purpose: str) -> None:
    page.get_by_label("手机号").fill(CONSUMER_PHONE)
    page.get_by_role("button", name="发送验证码").click()
    expect(page.locator("main")).to_contain_text(f"验证码已发送到 {CONSUMER_PHONE}")
    code = re.search(r"\b(\d{6})\b", newest_text(live, CONSUMER_PHONE, purpose))[1]
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="确认", exact=True).click()


def test_the_sms_link_and_my_complaints_lead_back_to_the_case(live_server, phone_context, desktop_context, shot,
                                                              clock):
    clock.tick = timedelta(milliseconds=1)  # time moves on (the server runs in this process)
    live = live_server
    code = make_shop(live)

    # 1. The consumer files online from the shop's page.
    consumer = phone_context().new_page()
    consumer.goto(f"{live.url}/m/{code}/complain")
    confirm_phone(consumer, live, "complaint")
    expect(consumer).to_have_url(re.compile(r"/complain/details$"))
    consumer.get_by_role("radio", name="虚假宣传").check()
    consumer.get_by_label("发生了什么？").fill(DESCRIPTION)
    consumer.get_by_label("购买/消费日期").fill((china_today() - timedelta(days=2)).isoformat())
    consumer.get_by_label("涉及金额（元）").fill("24")
    consumer.get_by_role("checkbox", name="退款", exact=True).check()
    consumer.get_by_label("您的姓名").fill("李小明")
    consumer.get_by_role("checkbox", name=re.compile("^我已阅读")).check()
    consumer.get_by_role("button", name="提交投诉").click()
    expect(consumer).to_have_url(re.compile(r"/c/[0-9a-f]{32}$"))
    case_url = consumer.url
    tracking = consumer.get_by_role("heading", level=1).inner_text().strip()
    consumer.context.close()  # the page is gone: a closed tab, another phone

    # 2. The SMS in the outbox carries the tracking link, to this server, and nothing of the owner.
    sms = newest_text(live, CONSUMER_PHONE, "complaint_notice")
    assert sms.startswith("【西子消协】") and tracking in sms and SHOP_NAME in sms
    assert OWNER_LOGIN not in sms and "陈晨光" not in sms
    link = re.search(r"https?://\S+/c/[0-9a-f]{32}", sms)[0]
    assert link == case_url and link.startswith(live.url)

    # 3. The consumer follows the link and sees the case; the copy button copies it.
    reader = phone_context(permissions=["clipboard-read", "clipboard-write"]).new_page()
    reader.goto(link)
    expect(reader.get_by_role("heading", level=1)).to_have_text(tracking)
    expect(reader.locator(".pill-complaint-filed")).to_have_text("待受理")
    copy = reader.get_by_role("link", name="复制链接")
    expect(copy).to_have_attribute("href", link)  # a plain link without JavaScript
    shot(reader, "phone-n01-case-from-sms")
    copy.click()
    expect(reader.locator(".copy-link")).to_have_text("链接已复制")
    assert reader.evaluate("navigator.clipboard.readText()") == link
    assert reader.url == link

    # 4. 我的投诉: a new browser, the phone confirmed again, every case listed with its link (a new code
    # can be asked for a minute after the last one).
    clock.advance(seconds=61)
    finder = desktop_context().new_page()
    finder.goto(f"{live.url}/")
    finder.get_by_role("link", name="我的投诉").click()
    expect(finder.get_by_role("heading", level=1)).to_have_text("我的投诉")
    shot(finder, "desktop-n02-my-complaints")
    confirm_phone(finder, live, "my_cases")
    expect(finder.locator(".case-list li")).to_have_count(1)
    expect(finder.locator(".case-list")).to_contain_text(SHOP_NAME)
    shot(finder, "desktop-n03-my-complaints-list")
    finder.get_by_role("link", name=tracking).click()
    expect(finder).to_have_url(case_url)
    expect(finder.get_by_role("heading", level=1)).to_have_text(tracking)

    clock.advance(seconds=61)
    on_phone = phone_context().new_page()
    on_phone.goto(f"{live.url}/my-complaints")
    confirm_phone(on_phone, live, "my_cases")
    expect(on_phone.locator(".case-list")).to_contain_text(tracking)
    shot(on_phone, "phone-n04-my-complaints-list")
