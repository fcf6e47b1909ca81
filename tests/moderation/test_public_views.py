"""The consumer's misused-badge report from the QR page (rate-limited, CSRF)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.moderation import sanctions
from registry.moderation.models import Flag

from .helpers import count, flashes, qr_page, reason, text

pytestmark = pytest.mark.usefixtures("fresh_request_globals")


# --- The pledge of a shop whose standing ended it ---------------------------------------------------

def pledge_section(html: str) -> str:
    return html.split('<section class="card', 2)[2].split("</section>", 1)[0]  # after the standing and facts


def test_an_active_shops_pledge_is_shown_open(client, world):
    html = qr_page(client, world.shop)
    assert "<h2>本店的承诺</h2>" in html and "有效期至" in html
    assert "<details" not in pledge_section(html)


@pytest.mark.parametrize("standing", ["suspended", "revoked"])
def test_a_suspended_or_revoked_shops_pledge_is_said_not_in_force_and_folded(client, world, standing):
    if standing == "suspended":
        sanctions.suspend(world.shop, world.staff, reason(), None, True)
    else:
        sanctions.approve_revocation(sanctions.propose_revocation(world.shop, world.staff, reason()), world.staff2)
    db.session.commit()

    html = qr_page(client, world.shop)
    section = pledge_section(html)
    assert "<h2>本店曾签署的承诺</h2>" in section and "本店的承诺</h2>" not in html
    label = {"suspended": "暂停", "revoked": "已撤销"}[standing]
    assert f"这份承诺目前不在效力中：店铺处于“{label}”状态" in section
    # The signed terms and their "valid until" date are only inside the folded part.
    before, folded = section.split("<details", 1)
    assert "有效期至" not in before and "有效期至" in folded and "<summary>查看原承诺内容</summary>" in folded


# --- The consumer's report --------------------------------------------------------------------------

def test_a_consumer_reports_a_misused_badge(client, world):
    html = qr_page(client, world.shop)
    assert "这不是我所在的店？" in html and f'href="/m/{world.shop.public_code}/report"' in html
    assert "csrf_token" not in html  # the QR page carries no form, so it sets no session cookie
    assert client.get(f"/m/{world.shop.public_code}/report?s=AB-12").status_code == 200
    response = client.post(f"/m/{world.shop.public_code}/report", data={"note": "在别的店门口看到", "serial": "AB-12"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/m/{world.shop.public_code}?s=AB-12")
    shown = text(client.get(response.headers["Location"]))
    assert any("谢谢您的报告" in f for f in flashes(shown))
    [flag] = db.session.scalars(select(Flag)).all()
    assert (flag.kind, flag.merchant_id, flag.source["reports"][0]["note"]) == ("misused_badge", world.shop.id,
                                                                               "在别的店门口看到")


def test_a_report_for_an_unknown_or_pending_shop_is_a_404(client, world, make_shop):
    pending = make_shop(signed=False, name="未签署小店")
    assert client.post("/m/nosuchcode/report", data={}).status_code == 404
    assert client.post(f"/m/{pending.public_code}/report", data={}).status_code == 404
    assert count(Flag) == 0


def test_a_too_long_report_note_is_refused_with_a_message(client, world):
    response = client.post(f"/m/{world.shop.public_code}/report", data={"note": "长" * 201})
    assert response.status_code == 400
    page = text(response)
    assert "最多 200 个字。" in page and "长" * 201 in page  # the message, and what was typed is kept
    assert count(Flag) == 0


@pytest.mark.parametrize("app_overrides", [{"RATELIMIT_ENABLED": True}])
def test_reports_are_rate_limited_per_address(client, world):
    url = f"/m/{world.shop.public_code}/report"
    statuses = [client.post(url, data={"note": f"第 {i} 次"}).status_code for i in range(6)]
    assert statuses == [302] * 5 + [429]
    assert db.session.scalar(select(Flag)).source["count"] == 5


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_a_report_needs_the_csrf_token_of_the_report_page(client, world):
    url = f"/m/{world.shop.public_code}/report"
    assert client.post(url, data={"note": "无令牌"}).status_code == 400
    assert count(Flag) == 0
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)
    assert client.post(url, data={"note": "有令牌", "csrf_token": token}).status_code == 302
    assert count(Flag) == 1
