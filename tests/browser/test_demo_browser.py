"""The demo data as a reviewer first sees it (issue 15): the home page and search, a shop of each
standing's QR page, and every staff screen with something on it, at 390 px and 1280 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from registry.extensions import db

from .pages import log_in

pytestmark = pytest.mark.browser

STANDING_WORDS = {"active": "有效承诺", "warned": "警示", "suspended": "暂停", "revoked": "已撤销", "lapsed": "已过期"}


def load(live) -> dict:
    from registry.demo import demo_examples, load_demo

    with live.app.app_context():
        assert load_demo(shop_count=40) > 0
        db.session.commit()
        examples = {standing: (shop.name, shop.public_code, shop.id) for standing, shop in demo_examples()}
        db.session.remove()
    assert set(examples) == set(STANDING_WORDS) | {"pending"}
    return examples


def test_the_demo_shows_every_standing_and_fills_every_staff_screen(live_server, phone_context, desktop_context,
                                                                    shot):
    from registry.demo import DEMO_PASSWORD

    live = live_server
    examples = load(live)
    for size, context in (("phone", phone_context), ("desktop", desktop_context)):
        page = context().new_page()
        page.goto(f"{live.url}/")
        shot(page, f"{size}-demo-01-home")
        name = examples["suspended"][0]
        page.locator("#q").fill(name)
        page.locator("#q").press("Enter")
        expect(page.locator(".result-list")).to_contain_text(name)
        shot(page, f"{size}-demo-02-search")
        for number, (standing, words) in enumerate(STANDING_WORDS.items(), start=3):
            shop_name, code, _id = examples[standing]
            page.goto(f"{live.url}/m/{code}")
            expect(page.get_by_role("heading", level=1)).to_have_text(shop_name)
            expect(page.locator(".standing-card .pill").first).to_have_text(words)
            shot(page, f"{size}-demo-{number:02d}-qr-{standing}")

        staff = context().new_page()
        log_in(staff, live, "staff@demo.cxm", DEMO_PASSWORD)
        staff.goto(f"{live.url}/staff/")
        expect(staff.locator("main")).to_contain_text("待处理标记")
        shot(staff, f"{size}-demo-10-staff-dashboard")
        for number, (path, expected) in enumerate((("flags", "消费者举报冒用"), ("appeals", examples["suspended"][0]),
                                                    ("sanctions", "撤销"), ("repairs", "警示"),
                                                    (f"shops/{examples['pending'][2]}", examples["pending"][0])),
                                                   start=11):
            staff.goto(f"{live.url}/staff/{path}")
            expect(staff.locator("main")).to_contain_text(expected)
            shot(staff, f"{size}-demo-{number}-staff-{path.split('/')[0]}")
