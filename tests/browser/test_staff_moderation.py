"""An officer handles a flag and suspends a shop, in a real Chromium; the consumer's phone then shows 暂停.

A consumer on a phone reports that the badge they scanned is not the shop they are in (a flag); the
association's officer, at a desktop, sees it on the dashboard, opens it, suspends the shop until a date
with a public reason, and the QR page on the phone says 暂停 with that reason at once. Screenshots go to
test-artifacts/screenshots/ (phone-f…/desktop-f…: the flag and the suspension; phone-v…/desktop-v…: the
revocation by two officers and the appeal).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from registry.extensions import db

from .pages import log_in

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
    expect(consumer.get_by_text("这不是我所在的店？")).to_be_visible()
    consumer.get_by_role("link", name="报告冒用").click()
    consumer.get_by_label("在哪里看到这个诚信码？（可选）").fill(REPORT_NOTE)
    shot(consumer, "phone-f01-report")
    consumer.get_by_role("button", name="报告", exact=True).click()
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


def test_revocation_needs_two_officers_and_the_shop_appeals(live_server, phone_context, desktop_context, shot):
    """One officer proposes, a second approves (the proposer cannot), the QR page says 已撤销 with the
    reason; the owner appeals once from the shop page and a third officer grants it."""
    from registry.auth.models import Role
    from registry.auth.services import create_user
    from registry.demo import DEMO_PASSWORD

    live = live_server
    shop = load_demo(live)
    with live.app.app_context():
        create_user("staff2@demo.cxm", DEMO_PASSWORD, "李干事", Role.STAFF, district="西湖区")
        db.session.commit()
        db.session.remove()
    qr_url = f"{live.url}/m/{shop['public_code']}"
    revoke_reason = "销售假冒品牌白酒，经鉴定属实，情节严重。"

    # 1. The first officer proposes; the approve button is not theirs to press.
    first = desktop_context().new_page()
    log_in(first, live, STAFF_LOGIN, DEMO_PASSWORD)
    first.goto(f"{live.url}/staff/shops?q={SHOP_NAME}")
    first.get_by_role("link", name=SHOP_NAME).click()
    card = first.locator("details.action-card", has=first.get_by_role("heading", name="撤销承诺"))
    card.get_by_role("heading", name="撤销承诺").click()
    card.get_by_label("违反的承诺").select_option(label="制假售假")
    card.get_by_label("公开说明").fill(revoke_reason)
    card.get_by_role("button", name="提出撤销（需另一位工作人员批准）").click()
    expect(first.locator(".flash-success")).to_contain_text("须由另一位工作人员批准")
    first.locator("table").get_by_role("link", name="撤销").click()
    expect(first.locator(".flash-warning")).to_contain_text("须由另一位工作人员批准")
    expect(first.get_by_role("button", name="批准撤销")).to_have_count(0)
    shot(first, "desktop-v01-proposed")

    # 2. The second officer approves from the dashboard.
    second = desktop_context().new_page()
    log_in(second, live, "staff2@demo.cxm", DEMO_PASSWORD)
    second.goto(f"{live.url}/staff/")
    proposals = second.locator("section.card", has=second.get_by_role("heading", name=re.compile("待审批的撤销")))
    proposals.get_by_role("link", name=SHOP_NAME).click()
    second.get_by_role("button", name="批准撤销").click()
    expect(second.locator(".flash-success")).to_contain_text("已批准撤销")
    expect(second.locator(".page-head .pill")).to_have_text("生效中")
    shot(second, "desktop-v02-approved")

    # 3. The QR page says 已撤销, with the reason and the date (not a 404).
    consumer = phone_context().new_page()
    response = consumer.goto(qr_url)
    assert response.status == 200
    card = consumer.locator(".standing-card")
    expect(card.locator(".pill")).to_have_text("已撤销")
    expect(card).to_contain_text(revoke_reason)
    expect(card).to_contain_text(re.compile(r"已于 \d{4}-\d{2}-\d{2} 撤销"))
    shot(consumer, "phone-v01-qr-revoked")

    # 4. The owner sees it on the shop page and appeals, once.
    owner = phone_context().new_page()
    log_in(owner, live, "13800138000", DEMO_PASSWORD)
    owner.goto(f"{live.url}/my/shops/{shop['id']}")
    expect(owner.locator(".sanction-notice")).to_contain_text(revoke_reason)
    shot(owner, "phone-v02-owner-notice")
    owner.get_by_role("link", name="对这项处理提出申诉").click()
    owner.get_by_label("申诉理由").fill("所售白酒均从授权经销商进货，票据齐全，请求重新鉴定。")
    shot(owner, "phone-v03-appeal")
    owner.get_by_role("button", name="提交申诉").click()
    expect(owner.locator(".flash-success")).to_contain_text("申诉已提交")
    expect(owner.locator(".sanction-notice")).to_contain_text("等待审理")

    # 5. Neither officer involved may decide; the administrator grants it and the shop is active again.
    second.reload()
    expect(second.locator(".flash-warning")).to_contain_text("申诉须由作出该处理决定以外的工作人员审理")
    admin = desktop_context().new_page()
    log_in(admin, live, "admin@demo.cxm", DEMO_PASSWORD)
    admin.goto(f"{live.url}/staff/appeals")
    admin.locator("tbody tr", has_text=SHOP_NAME).get_by_role("link", name="撤销").click()
    admin.get_by_label("申诉成立，撤销该处理").check()
    admin.get_by_label("处理说明").fill("经重新鉴定为正品，撤销原决定。")
    shot(admin, "desktop-v03-appeal-decision")
    admin.get_by_role("button", name="提交审理结果").click()
    expect(admin.locator(".flash-success")).to_contain_text("申诉已审理")
    consumer.goto(qr_url)
    expect(consumer.locator(".standing-card .pill")).to_have_text("有效承诺")
    expect(consumer.locator("#sanctions")).to_have_count(0)
    owner.reload()
    expect(owner.locator(".flash-success")).to_contain_text("经重新鉴定为正品")
