"""The officer's pages of issue 15 in a real Chromium at 390 and 1280 px: the staff shop page with the
shop's complaints, flags and sanctions; a warning that closes the flag it answers (linked both ways);
the dashboard's deadlines on a phone; the audit log in words. Screenshots: test-artifacts/screenshots/
officials-….png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from registry.extensions import db

from .pages import log_in

pytestmark = pytest.mark.browser

SHOP_NAME = "美好生活超市"
STAFF_LOGIN = "staff@demo.cxm"
FLAG_REASON = "多位顾客反映称重不足，需上门核实。"
REASON = "经现场复核，电子秤未按期检定，称重短少。"


def prepare(live) -> dict:
    """The demo, plus this test's own open flag on the shop."""
    from registry.auth.models import User
    from registry.demo import load_demo
    from registry.merchants.models import Merchant
    from registry.moderation import flags

    with live.app.app_context():
        assert load_demo(shop_count=12) > 0
        db.session.commit()
        shop = db.session.scalar(select(Merchant).where(Merchant.name == SHOP_NAME))
        officer = db.session.scalar(select(User).where(User.login == "admin@demo.cxm"))
        flag = flags.raise_staff_flag(shop, officer, FLAG_REASON)
        db.session.commit()
        facts = {"shop": shop.id, "flag": flag.id}
        db.session.remove()
    return facts


def flag_state(live, flag_id: int) -> tuple:
    from registry.moderation.models import Flag

    with live.app.app_context():
        flag = db.session.get(Flag, flag_id)
        state = (flag.status, flag.sanction_id)
        db.session.remove()
    return state


def test_the_officers_pages_at_both_sizes(live_server, desktop_context, phone_context, shot):
    from registry.demo import DEMO_PASSWORD

    live = live_server
    facts = prepare(live)
    desktop = desktop_context().new_page()
    log_in(desktop, live, STAFF_LOGIN, DEMO_PASSWORD)
    phone = phone_context().new_page()
    log_in(phone, live, STAFF_LOGIN, DEMO_PASSWORD)

    # The dashboard on a phone: every urgent case shows its deadline on screen, not scrolled away.
    for page, size in ((desktop, "1280"), (phone, "390")):
        page.goto(f"{live.url}/staff/")
        deadline = page.locator(".urgent-table tbody tr td:nth-child(3)").first
        expect(deadline).to_be_visible()
        box = deadline.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
        shot(page, f"officials-{size}-01-dashboard")

    # The staff shop page: complaints, flags and sanctions, each linking on.
    for page, size in ((desktop, "1280"), (phone, "390")):
        page.goto(f"{live.url}/staff/shops/{facts['shop']}")
        expect(page.locator("#complaints h2")).to_have_text("投诉")
        expect(page.get_by_role("link", name=FLAG_REASON[:4])).to_have_count(0)  # the reason is text, the rule a link
        expect(page.get_by_text(FLAG_REASON).first).to_be_visible()
        shot(page, f"officials-{size}-02-shop")

    # A warning from the shop page answers the open flag it offers (the newest), which closes.
    desktop.locator("details.action-card", has=desktop.get_by_role("heading", name="警示")).locator("summary").click()
    expect(desktop.get_by_label("这项决定回应的标记").first).to_have_value(str(facts["flag"]))
    desktop.locator("#warning-clause_kind").select_option("price_fraud")
    desktop.locator("#warning-public_reason").fill(REASON)
    desktop.get_by_role("button", name="发布警示").click()
    expect(desktop.locator(".flash").first).to_contain_text("已发布警示")
    status, sanction_id = flag_state(live, facts["flag"])
    assert status == "actioned" and sanction_id is not None
    for page, size in ((desktop, "1280"), (phone, "390")):
        page.goto(f"{live.url}/staff/flags/{facts['flag']}")
        expect(page.locator(".page-head .pill")).to_have_text("已处理")
        expect(page.get_by_role("link", name="查看处理决定：警示 ›")).to_be_visible()
        shot(page, f"officials-{size}-03-flag-actioned")
    desktop.get_by_role("link", name="查看处理决定：警示 ›").click()
    expect(desktop.get_by_role("link", name=f"针对标记 #{facts['flag']}：{FLAG_REASON}")).to_be_visible()

    # The shop's complaints, all of them, from the shop page's link.
    phone.goto(f"{live.url}/staff/shops/{facts['shop']}")
    phone.get_by_role("link", name="件投诉").click()
    expect(phone.locator(".filter-note")).to_contain_text(SHOP_NAME)
    shot(phone, "officials-390-04-shop-complaints")

    # The audit log in words: the warning, the standing it set, the flag it closed.
    for page, size in ((desktop, "1280"), (phone, "390")):
        page.goto(f"{live.url}/staff/audit")
        log = page.locator("table.audit-table")
        expect(log).to_contain_text("公开警示")
        expect(log).to_contain_text("标记已由处理决定回应")
        expect(log).to_contain_text("新值警示")
        expect(log).not_to_contain_text("新值warned")
        shot(page, f"officials-{size}-05-audit-log")
