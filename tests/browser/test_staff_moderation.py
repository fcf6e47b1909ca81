"""An officer handles a flag and suspends a shop, in a real Chromium; the consumer's phone then shows 暂停.

A consumer on a phone reports that the badge they scanned is not the shop they are in (a flag); the
association's officer, at a desktop, sees it on the dashboard, opens it, suspends the shop until a date
with a public reason, and the QR page on the phone says 暂停 with that reason at once. Screenshots go to
test-artifacts/screenshots/ (phone-f… consumer, desktop-f… staff).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from registry.extensions import db

pytestmark = pytest.mark.browser

SHOP_NAME = "美好生活超市"
STAFF_LOGIN = "staff@demo.cxm"
REPORT_NOTE = "文三路 300 号的水果店门口贴着这个码"
REASON = "经现场检查，店内销售假冒品牌洗发水，责令下架整改。"


def load_demo(live) -> dict:
    from registry.demo import load_demo as load
    from registry.merchants.models import Merchant

    with live.app.app_context():
        assert load(shop_count=12) > 0
        db.session.commit()
        shop = db.session.scalar(select(Merchant).where(Merchant.name == SHOP_NAME))
        facts = {"id": shop.id, "public_code": shop.public_code}
        db.session.remove()
    return facts


def shop_facts(live, shop_id: int) -> dict:
    from registry.merchants.models import Merchant
    from registry.moderation.models import Flag, Sanction

    with live.app.app_context():
        shop = db.session.get(Merchant, shop_id)
        flags = list(db.session.scalars(select(Flag).where(Flag.merchant_id == shop_id, Flag.kind == "misused_badge")))
        sanctions = list(db.session.scalars(select(Sanction).where(Sanction.merchant_id == shop_id)))
        facts = {"standing": shop.standing, "reason": shop.standing_reason,
                 "flags": [(f.status, f.sanction_id, f.source["reports"][0]["note"]) for f in flags],
                 "sanctions": [(s.id, s.kind, s.status, s.last_day, s.public_reason) for s in sanctions]}
        db.session.remove()
    return facts


def log_in(page, live, login: str, password: str) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("手机号或邮箱").fill(login)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator(".site-nav")).to_contain_text("退出")


def test_staff_handle_a_flag_and_suspend_a_shop(live_server, phone_context, desktop_context, shot):
    from registry.demo import DEMO_PASSWORD

    live = live_server
    shop = load_demo(live)
    qr_url = f"{live.url}/m/{shop['public_code']}"
    until = (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=14)).isoformat()

    # 1. A consumer scans the badge somewhere else and reports it.
    consumer = phone_context().new_page()
    consumer.goto(qr_url)
    expect(consumer.get_by_role("heading", level=1)).to_have_text(SHOP_NAME)
    consumer.get_by_text("这不是我所在的店？").click()
    consumer.get_by_label("在哪里看到这个诚信码？（可选）").fill(REPORT_NOTE)
    shot(consumer, "phone-f01-report")
    consumer.get_by_role("button", name="报告冒用").click()
    expect(consumer.locator(".flash-success")).to_contain_text("谢谢您的报告")
    shot(consumer, "phone-f02-thanks")
    assert shop_facts(live, shop["id"])["flags"] == [("open", None, REPORT_NOTE)]

    # 2. The officer sees the flag on the dashboard and opens it.
    staff = desktop_context().new_page()
    log_in(staff, live, STAFF_LOGIN, DEMO_PASSWORD)
    staff.goto(f"{live.url}/staff/")
    expect(staff.get_by_role("heading", level=1)).to_have_text("工作台")
    flags_card = staff.locator("section.card", has=staff.get_by_role("heading", name=re.compile("待处理标记")))
    expect(flags_card).to_contain_text(SHOP_NAME)
    shot(staff, "desktop-f01-dashboard")
    flags_card.locator("li", has_text="消费者举报冒用").get_by_role("link", name=SHOP_NAME).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text(SHOP_NAME)
    expect(staff.locator("main")).to_contain_text(REPORT_NOTE)
    shot(staff, "desktop-f02-flag")

    # 3. …and acts on it: a suspension until a date, with the reason the public will read.
    staff.get_by_role("link", name="作出处理决定").click()
    expect(staff.locator(".flash-info")).to_contain_text("正在处理标记")
    form = staff.locator("details.action-card", has=staff.get_by_role("heading", name="暂停", exact=True))
    form.get_by_role("heading", name="暂停", exact=True).click()  # open the collapsed card
    form.get_by_label("违反的承诺").select_option(label="制假售假")
    form.get_by_label("公开说明").fill(REASON)
    form.get_by_label("指定日期（到期自动恢复）").check()
    form.get_by_label("暂停至（含当天）").fill(until)
    form.get_by_label("内部备注（仅工作人员可见）").fill("执法编号 2026-0315-07")
    shot(staff, "desktop-f03-suspend-form")
    form.get_by_role("button", name="暂停诚信码").click()
    expect(staff.locator(".flash-success")).to_contain_text("已暂停")
    expect(staff.locator(".page-head .pill")).to_have_text("暂停")
    shot(staff, "desktop-f04-suspended")

    facts = shop_facts(live, shop["id"])
    assert facts["standing"] == "suspended" and facts["reason"] == REASON
    [(sanction_id, kind, status, last_day, reason)] = facts["sanctions"]
    assert (kind, status, last_day.isoformat(), reason) == ("suspension", "active", until, REASON)
    assert facts["flags"] == [("actioned", sanction_id, REPORT_NOTE)]

    # 4. The consumer's phone shows 暂停 with the reason, at once.
    consumer.goto(qr_url)
    card = consumer.locator(".standing-card")
    expect(card.locator(".pill")).to_have_text("暂停")
    expect(card).to_contain_text(f"暂停至 {until}")
    expect(card).to_contain_text(REASON)
    expect(consumer.locator("#sanctions")).to_contain_text(REASON)
    assert "执法编号" not in consumer.content()
    shot(consumer, "phone-f03-qr-suspended")
