"""Public pages: the QR page, search, and verification by the code printed on the poster."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from registry.badges.services import current_badge
from registry.clock import utcnow
from registry.extensions import db
from registry.pledges.signing import latest_signature
from registry.clock import CHINA

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


def result_names(response) -> list[str]:
    """Shop names listed on a search page, in order."""
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return re.findall(r'<li class="card result">.*?<strong>(.*?)</strong>', html, flags=re.S)


def search(client, **params) -> list[str]:
    return result_names(client.get("/search", query_string=params))


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.fixture
def shops(make_shop, make_user):
    """Three public shops and one that registered but has not signed (not public)."""
    owner = make_user()
    return {
        "supermarket": make_shop(owner=owner, name="美好生活超市"),
        "noodles": make_shop(owner=owner, name="老杭州面馆", category="catering", district="上城区"),
        "convenience": make_shop(owner=owner, name="好邻居便利店"),
        "pending": make_shop(owner=owner, signed=False, name="未签署超市"),
    }


def test_the_qr_page_of_an_active_shop_shows_what_a_consumer_needs(client, make_shop, pledge):
    shop = make_shop(name="美好生活超市", address="转塘直街 88 号", category="supermarket")
    signature = latest_signature(shop)
    badge = current_badge(shop)

    response = client.get(f"/m/{shop.public_code}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in ("有效承诺", "美好生活超市", "西湖区 转塘街道 转塘直街 88 号", shop.credit_code, "超市/零售",
                 badge.serial, "查询时间",
                 signature.signed_at.astimezone(CHINA).strftime("%Y-%m-%d"),
                 signature.expires_at.astimezone(CHINA).strftime("%Y-%m-%d")):
        assert text in html, text
    for clause in pledge.clauses:
        assert clause.text in html
    assert shop.contact_phone not in html  # the phone is for the consumer association only
    assert response.headers["Cache-Control"] == "no-cache"


def test_the_qr_page_shows_a_lapsed_pledge_as_lapsed(client, make_shop):
    shop = make_shop()
    signature = latest_signature(shop)
    signature.signed_at = utcnow() - timedelta(days=400)
    signature.expires_at = utcnow() - timedelta(days=35)
    db.session.commit()

    html = client.get(f"/m/{shop.public_code}").get_data(as_text=True)

    assert "已过期" in html and "有效承诺" not in html


@pytest.mark.parametrize("kind", ["pending", "unknown"])
def test_a_code_that_is_not_public_gives_the_helpful_404_page(client, make_shop, kind):
    code = make_shop(signed=False).public_code if kind == "pending" else "nosuchcode234567"

    response = client.get(f"/m/{code}")

    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "未找到这个诚信码" in html
    assert "/verify" in html
    assert "Traceback" not in html
    assert "美好生活超市" not in html


def test_scanning_a_voided_serial_warns_and_names_the_current_one(client, make_shop, login_as):
    shop = make_shop()
    old = current_badge(shop).serial
    login_as(client, shop.owner)
    client.post(f"/my/shops/{shop.id}/badge/reissue", data={"understood": "y"})
    new = current_badge(shop).serial
    assert new != old

    html = client.get(f"/m/{shop.public_code}?s={old}").get_data(as_text=True)
    current_html = client.get(f"/m/{shop.public_code}?s={new}").get_data(as_text=True)

    assert "此二维码已作废" in html
    assert old in html and new in html
    assert "此二维码已作废" not in current_html


@pytest.mark.parametrize("query", ["超", "超市", "生活超", "美好生活超市", "生活"])
def test_short_and_long_chinese_queries_find_the_shop(client, shops, query):
    assert search(client, q=query) == ["美好生活超市"]


def test_a_query_with_the_characters_in_another_order_does_not_match(client, shops, make_shop):
    assert search(client, q="活生") == []
    assert search(client, q="市超生") == []
    # Every bigram of 生好生 (生好, 好生) is in 好生好活, but the query itself is not.
    make_shop(name="好生好活")
    assert search(client, q="生好生") == []
    assert search(client, q="好生好") == ["好生好活"]


def test_one_character_matches_every_shop_that_contains_it(client, shops):
    assert sorted(search(client, q="好")) == sorted(["美好生活超市", "好邻居便利店"])


def test_a_full_width_lower_case_credit_code_finds_the_shop(client, shops):
    code = shops["noodles"].credit_code

    assert search(client, q=full_width(code.lower())) == ["老杭州面馆"]
    assert search(client, q=code[:12].lower()) == ["老杭州面馆"]


def test_the_district_filter(client, shops):
    assert search(client, district="上城区") == ["老杭州面馆"]
    assert search(client, q="好", district="上城区") == []
    assert sorted(search(client, district="西湖区")) == sorted(["美好生活超市", "好邻居便利店"])


def test_pending_shops_never_appear(client, shops):
    pending = shops["pending"]

    assert "未签署超市" not in search(client)
    assert search(client, q="未签署") == []
    assert search(client, q=pending.credit_code) == []
    assert sorted(search(client)) == sorted(["美好生活超市", "老杭州面馆", "好邻居便利店"])


def test_results_are_paged(client, app, make_shop, make_user):
    owner = make_user()
    for number in range(25):
        make_shop(owner=owner, name=f"超市{number:02d}号")
    assert app.config["SEARCH_PAGE_SIZE"] == 20

    first = search(client, q="超市")
    second = search(client, q="超市", page=2)

    assert len(first) == 20 and len(second) == 5
    assert set(first).isdisjoint(second)
    assert sorted(first + second) == [f"超市{number:02d}号" for number in range(25)]
    assert search(client, q="超市", page=3) == []


def test_verify_with_a_lower_case_dashed_code_opens_the_shop_page(client, make_shop):
    shop = make_shop()
    badge = current_badge(shop)
    typed = f"{badge.verification_code[:4]}-{badge.verification_code[4:]}".lower()

    response = client.get("/verify", query_string={"code": typed})

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/m/{shop.public_code}"
    assert parse_qs(location.query) == {"s": [badge.serial]}


def test_verify_with_a_wrong_code_explains(client, make_shop):
    make_shop()

    response = client.get("/verify", query_string={"code": "ZZZZ-ZZZZ"})

    assert response.status_code == 200
    assert "没有找到这个验证码" in response.get_data(as_text=True)


def test_verify_without_a_code_shows_the_form(client):
    response = client.get("/verify")

    assert response.status_code == 200
    assert "没有找到这个验证码" not in response.get_data(as_text=True)
