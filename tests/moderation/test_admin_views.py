"""The administrators' page of flag rules."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.moderation import flags, sanctions
from registry.moderation.models import FlagRule
from registry.moderation.sanctions import SanctionInput

from .helpers import count, text

pytestmark = pytest.mark.usefixtures("fresh_request_globals")


# --- Flag rules (administrators) ---------------------------------------------------------------------

def test_an_administrator_adjusts_a_rule(client, world, login_as):
    login_as(client, world.admin)
    page = text(client.get("/admin/flag-rules"))
    assert "同一手机号集中投诉" in page and 'value="90"' in page

    refused = client.post("/admin/flag-rules/burst_same_phone", data={
        "burst_same_phone-enabled": "y", "burst_same_phone-threshold": "三", "burst_same_phone-window_days": "7"})
    assert refused.status_code == 400 and "请填写整数。" in text(refused) and 'value="三"' in text(refused)
    out_of_range = client.post("/admin/flag-rules/burst_same_phone", data={
        "burst_same_phone-threshold": "5", "burst_same_phone-window_days": "9999"})
    assert out_of_range.status_code == 400 and "请填写 1 到 3650 之间的天数。" in text(out_of_range)
    assert count(FlagRule) == 0

    saved = client.post("/admin/flag-rules/burst_same_phone", data={
        "burst_same_phone-threshold": "5", "burst_same_phone-window_days": "14"})  # unticked: disabled
    assert saved.status_code == 302
    rule = db.session.scalar(select(FlagRule))
    assert (rule.code, rule.enabled, rule.threshold, rule.window_days, rule.updated_by_id) == (
        "burst_same_phone", False, 5, 14, world.admin.id)
    assert "已停用" in text(client.get("/admin/flag-rules"))
    assert client.post("/admin/flag-rules/no_such_rule", data={}).status_code == 404


def test_the_staff_navigation_links_the_moderation_pages(client, world, login_as):
    login_as(client, world.staff)
    nav = re.search(r'<nav class="staff-nav".*?</nav>', text(client.get("/staff/flags")), re.S).group(0)
    for href in ('href="/staff/"', 'href="/staff/flags"', 'href="/staff/sanctions"', 'href="/staff/appeals"',
                 'href="/staff/shops"'):
        assert href in nav
    assert "/admin/flag-rules" not in nav
    login_as(client, world.admin)
    assert "/admin/flag-rules" in text(client.get("/staff/flags"))


def test_district_staff_see_only_their_district_in_lists(client, world, login_as, make_shop):
    elsewhere = make_shop(name="江边小店", district="滨江区")
    flags.report_misused_badge(elsewhere, "", None)
    flags.report_misused_badge(world.shop, "", None)
    sanctions.issue_warning(elsewhere, world.staff_elsewhere, SanctionInput("price_fraud", "价签不符。"))
    db.session.commit()
    login_as(client, world.staff)
    for url in ("/staff/", "/staff/flags", "/staff/sanctions?view=all", "/staff/shops"):
        html = text(client.get(url))
        assert "江边小店" not in html, url
    assert world.shop.name in text(client.get("/staff/flags"))
    login_as(client, world.admin)
    assert "江边小店" in text(client.get("/staff/flags")) and "江边小店" in text(client.get("/staff/sanctions?view=all"))
