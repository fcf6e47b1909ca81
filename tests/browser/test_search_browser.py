"""Search in Chromium at 390 px and 1280 px (issue 15): 美好生活 lists the exact and the shorter prefix
match first, and a search that finds nothing says what to do about a shop that is not listed — the
association's phone and 12315 — in Chinese and English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from registry.extensions import db
from tests.browser.test_journeys import register_signed_shop
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def listed_shops(live_server):
    from registry.auth.services import create_user

    with live_server.app.app_context():
        owner = create_user("13900000031", PASSWORD, "李惠民")
        # Registered in the reverse of the expected order: ids alone would list them wrongly.
        for seed, name in enumerate(["阳光美好生活馆", "美好生活生活超市", "美好生活超市"], start=310):
            register_signed_shop(owner, name, seed)
        db.session.commit()
        db.session.remove()
    return live_server


def search(page, live, query: str) -> None:
    page.goto(live.url + "/search")
    page.locator("#q").fill(query)
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_role("status")).to_be_visible()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_closest_names_first_and_an_empty_search_says_where_to_complain(listed_shops, phone_context,
                                                                           desktop_context, shot, size):
    context = (phone_context if size == "phone" else desktop_context)()
    page = context.new_page()
    live = listed_shops

    search(page, live, "美好生活")
    expect(page.locator(".result strong")).to_have_text(["美好生活超市", "美好生活生活超市", "阳光美好生活馆"])
    shot(page, f"{size}-search-ranked")

    search(page, live, "不存在的小店")
    expect(page.get_by_role("heading", name="没有找到“不存在的小店”")).to_be_visible()
    expect(page.get_by_role("heading", name="店铺没有登记，也可以投诉")).to_be_visible()
    expect(page.get_by_role("link", name="12315", exact=True)).to_have_attribute("href", "tel:12315")
    expect(page.get_by_role("link", name="www.12315.cn")).to_have_attribute("href", "https://www.12315.cn")
    phone_link = page.locator(".next-steps a[href^='tel:']").first
    expect(phone_link).to_have_attribute("href", "tel:057186000315")
    shot(page, f"{size}-search-not-found")

    page.locator(".lang-switch a[lang=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="A shop that is not listed can still be complained about")).to_be_visible()
    shot(page, f"{size}-search-not-found-en")
    context.close()
