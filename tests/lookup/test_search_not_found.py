"""A search that finds nothing is not a dead end (issue 15): how to search again, and where to complain
about a shop that is not listed — the association (the issuing body's phone) and 12315 — in both
languages; odd input gets a clear message."""

from __future__ import annotations

import pytest

from registry.issuer import issuing_body

from .test_views import search

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


def page(client, **params) -> str:
    response = client.get("/search", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_nothing_found_says_so_and_where_to_complain_in_chinese(app, client, make_shop):
    make_shop(name="美好生活超市")
    html = page(client, q="不存在的店")
    with app.app_context():
        issuer = issuing_body()
    assert "找到 0 家店铺" in html
    assert "没有找到“不存在的店”" in html
    assert "只输入店名中的两个字再试一次" in html
    assert "店铺没有登记，也可以投诉" in html
    assert f"联系{issuer.name}" in html
    assert f'href="{issuer.phone_uri}">{issuer.phone}</a>' in html
    assert "工作人员可以为没有登记的店铺登记您的投诉" in html
    assert '<a href="tel:12315">12315</a>' in html
    assert '<a href="https://www.12315.cn" rel="noopener">www.12315.cn</a>' in html
    assert 'href="/verify"' in html


def test_nothing_found_in_english(app, client, make_shop):
    make_shop(name="美好生活超市")
    client.get("/lang/en")
    html = page(client, q="不存在的店")
    with app.app_context():
        issuer = issuing_body()
    for text in ("Shops found: 0", "Nothing found for “不存在的店”",
                 "A shop that is not listed can still be complained about",
                 f"Contact {issuer.name}", "the staff can register your complaint about a shop that is not listed",
                 "The national 12315 platform:", "to complain to the market regulation authority"):
        assert text in html, text
    assert "没有找到" not in html and "店铺没有登记" not in html


def test_nothing_found_in_one_district_offers_every_district(client, make_shop):
    make_shop(name="美好生活超市", district="西湖区")
    html = page(client, q="美好", district="上城区")
    assert "没有找到“美好”" in html
    assert "在全部区县中搜索“美好”" in html and 'href="/search?q=%E7%BE%8E%E5%A5%BD"' in html
    assert search(client, q="美好") == ["美好生活超市"]


def test_a_page_past_the_end_links_back_instead_of_saying_nothing_exists(client, make_shop):
    make_shop(name="美好生活超市")
    html = page(client, q="美好", page=5)
    assert "这一页已经没有结果了" in html and "回到第一页" in html
    assert "店铺没有登记" not in html


def test_results_never_show_the_not_found_help(client, make_shop):
    make_shop(name="美好生活超市")
    html = page(client, q="美好")
    assert "找到 1 家店铺" in html and "店铺没有登记" not in html


def test_an_empty_query_lists_every_listed_shop_and_says_how_to_search(client, make_shop):
    make_shop(name="美好生活超市")
    make_shop(name="老杭州面馆", signed=False)
    for query in ({}, {"q": ""}, {"q": "   "}):
        html = page(client, **query)
        assert "全部已公示的店铺（1 家）" in html
        assert "输入店名中的一两个字" in html
        assert search(client, **query) == ["美好生活超市"]


def test_a_query_longer_than_the_box_is_refused_with_a_message_and_kept(client, make_shop):
    make_shop(name="美好生活超市")
    typed = "美好" * 26
    html = page(client, q=typed)
    assert "最多输入 50 个字，现在有 52 个" in html
    assert f'value="{typed}"' in html
    assert "没有找到" not in html and "找到 0 家店铺" not in html


@pytest.mark.parametrize("query", ["%", "_", "\\", "%%", "'", "超%", "—"])
def test_punctuation_and_like_wildcards_match_only_themselves(client, make_shop, query):
    make_shop(name="美好生活超市")
    assert search(client, q=query) == []
    assert "没有找到" in page(client, q=query)
