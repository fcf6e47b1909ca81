"""The QR page's complaint section (DESIGN §4): published = accepted by staff. A public complaint shows
its clause, date, status, summary and the shop's reply; the page shows the last 12 months' figures.
Filed (undecided) and refused complaints are not shown and not counted."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from registry.extensions import db

from .helpers import CLAUSE_OF, DESCRIPTION, REPLY, SUMMARY, china, do, file, walk

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


def shop_page(client, shop) -> str:
    response = client.get(f"/m/{shop.public_code}")
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def figures(html: str) -> dict[str, str]:
    """The numbers in the 近 12 个月 box, by their label."""
    return {label: value for value, label in re.findall(r"<strong>([^<]*)</strong><span>([^<]*)</span>", html)}


def complaint_section(html: str) -> str:
    return html.split("<h2>近 12 个月投诉情况</h2>", 1)[1].split("</section>", 1)[0]


def public_items(html: str, earlier: bool = False) -> list[str]:
    """The cases listed under the 12-month heading (or, `earlier`, under the heading of older ones)."""
    section = complaint_section(html).split("更早的投诉", 1)
    if earlier and len(section) == 1:
        return []
    match = re.search(r'<ul class="public-complaints">(.*?)</ul>', section[1] if earlier else section[0])
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


def test_a_case_settled_by_agreement_is_shown_with_reply_status_and_figures(client, world):
    complaint, _ = file(world.shop)
    walk(complaint, world, "closed_agreed")  # accepted, the shop replied, the consumer accepted the offer
    html = shop_page(client, world.shop)

    items = public_items(html)
    assert len(items) == 1
    item = items[0]
    assert "价格欺诈" in item  # the clause's label, not its code
    assert SUMMARY in item
    assert "已办结" in item and "双方和解" in item
    assert REPLY in item and "商家回复" in item
    assert complaint.decided_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d") in item  # the date
    assert figures(html)["受理投诉（件）"] == "1"
    assert figures(html)["已解决（共办结 1 件）"] == "100%"
    assert "价格欺诈 1" in html  # per clause
    # Never the consumer's own words, identity or case number.
    assert DESCRIPTION not in html and complaint.tracking_number not in html


def test_a_filed_complaint_is_not_shown(client, world):
    complaint, _ = file(world.shop)
    do("add_information", complaint, world)
    db.session.commit()
    html = shop_page(client, world.shop)
    assert public_items(html) == []
    assert "近 12 个月没有被受理的投诉" in html
    assert "受理投诉（件）" not in html
    assert complaint.tracking_number not in html and DESCRIPTION not in html


def test_a_refused_complaint_is_not_shown(client, world):
    complaint, _ = file(world.shop)
    walk(complaint, world, "refused")
    html = shop_page(client, world.shop)
    assert public_items(html) == []
    assert "近 12 个月没有被受理的投诉" in html
    assert "不予受理" not in complaint_section(html) and "请补充购物小票" not in html


def test_only_accepted_ones_count_among_several(client, world, make_shop):
    agreed, _ = file(world.shop)
    walk(agreed, world, "closed_agreed")
    open_case, _ = file(world.shop, clause=CLAUSE_OF["counterfeit"])
    walk(open_case, world, "accepted")
    refused, _ = file(world.shop, clause=CLAUSE_OF["forced_sale"])
    walk(refused, world, "refused")
    file(world.shop, clause=CLAUSE_OF["inferior"])  # still undecided
    other, _ = file(make_shop(owner=world.other_owner, name="邻家便利店"))
    walk(other, world, "closed_failed")  # another shop's case

    html = shop_page(client, world.shop)
    items = public_items(html)
    assert len(items) == 2
    assert {"制假售假", "价格欺诈"} == {label for item in items for label in ("制假售假", "价格欺诈") if label in item}
    assert any("已受理，待商家回复" in item for item in items)
    assert figures(html)["受理投诉（件）"] == "2"
    # The open case cannot have been resolved yet: the share is of the one concluded case.
    assert figures(html)["已解决（共办结 1 件）"] == "100%"
    section = complaint_section(html)  # (the pledge's own clauses name every kind, higher up)
    assert "强买强卖" not in section and "以次充好" not in section


def test_a_failed_mediation_is_shown_but_not_counted_as_resolved(client, world):
    complaint, _ = file(world.shop)
    walk(complaint, world, "closed_failed")
    html = shop_page(client, world.shop)
    (item,) = public_items(html)
    assert "已办结" in item and "调解未成功" in item
    assert figures(html)["受理投诉（件）"] == "1" and figures(html)["已解决（共办结 1 件）"] == "0%"
    assert "双方未能达成一致" not in html  # the mediation terms are not public


def test_figures_cover_the_last_twelve_months(client, world, frozen):
    frozen.set(china(2024, 8, 1))
    old, _ = file(world.shop)
    walk(old, world, "closed_agreed")
    frozen.set(china(2025, 9, 30))
    recent, _ = file(world.shop)
    walk(recent, world, "accepted")
    frozen.advance(days=1)  # the page's own clock is real; the figures' clock is frozen here
    html = shop_page(client, world.shop)
    # The 12-month heading lists the recent case only; the older one is under its own heading.
    assert len(public_items(html)) == 1 and "已受理，待商家回复" in public_items(html)[0]
    (older,) = public_items(html, earlier=True)
    assert "双方和解" in older and "2024-08-01 受理" in older
    assert "12 个月以前受理，不计入上面的数字" in html
    assert figures(html)["受理投诉（件）"] == "1"  # the figures count the last 12 months only…
    assert figures(html)["已解决：尚无办结的投诉"] == "—"  # …where no case has concluded yet (not "0 %")
    frozen.advance(days=400)
    # The stored figures roll forward with the daily job (flask complaints refresh-figures).
    assert figures(shop_page(client, world.shop))["受理投诉（件）"] == "1"
    from registry.complaints.figures import refresh_all
    assert refresh_all(frozen.now) == 1
    assert "近 12 个月没有被受理的投诉" in shop_page(client, world.shop)
