"""Search order and the capped count (issue 6): the whole name first, then names that start with the
query, then the rest; a 1-character query at province scale says "more than N" instead of counting
every match."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from registry.lookup import queries

from .test_views import result_names, search

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


@pytest.fixture
def named(make_shop, make_user):
    owner = make_user()

    def build(*names):
        return [make_shop(owner=owner, name=name) for name in names]
    return build


def test_a_two_character_query_lists_whole_name_then_prefix_then_inside(client, named):
    # Registered in the reverse of the expected order, so shop ids alone would list them wrongly.
    named("美好超市", "超级市场", "超市之家", "超市")
    assert search(client, q="超市") == ["超市", "超市之家", "美好超市"]


def test_a_one_character_query_lists_names_starting_with_it_first(client, named):
    named("美好生活", "好又多", "好")
    assert search(client, q="好") == ["好", "好又多", "美好生活"]


def test_a_longer_query_lists_whole_name_then_prefix_then_inside(client, named):
    named("阳光美好生活馆", "美好生活超市", "美好生活")
    assert search(client, q="美好生活") == ["美好生活", "美好生活超市", "阳光美好生活馆"]


def test_past_the_count_cap_the_page_says_more_than(client, named, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    named("超市一号", "超市二号", "超市三号", "超市四号", "超市五号")
    html = client.get("/search", query_string={"q": "超市"}).get_data(as_text=True)
    assert "找到超过 3 家店铺" in html
    named_exact = search(client, q="超市一号")
    assert named_exact == ["超市一号"]
    assert "找到 1 家店铺" in client.get("/search", query_string={"q": "超市一号"}).get_data(as_text=True)


def test_a_longer_query_of_common_words_walks_the_first_pair_in_rank_order(client, named, monkeypatch):
    """When every pair of characters is common (便利店 at a million shops), the search reads the first
    pair's index in order instead of ranking every match: names starting with it still come first."""
    monkeypatch.setattr(queries, "RARE_GRAM_SHOPS", 1)
    named("好超市便利店", "超市便宜货", "超市便利")
    assert search(client, q="超市便利") == ["超市便利", "好超市便利店"]
    assert search(client, q="市便利") == ["超市便利", "好超市便利店"]  # both have 市便 inside: shorter first


def test_common_word_results_are_paged_without_a_count(client, named, monkeypatch):
    monkeypatch.setattr(queries, "RARE_GRAM_SHOPS", 1)
    named(*[f"超市便利{n:02d}号" for n in range(25)])
    first = client.get("/search", query_string={"q": "超市便利"}).get_data(as_text=True)
    assert "找到超过 20 家店铺" in first and "下一页" in first
    second = search(client, q="超市便利", page=2)
    assert len(second) == 5
    assert "下一页" not in client.get("/search", query_string={"q": "超市便利", "page": 2}).get_data(as_text=True)


def test_a_name_that_starts_with_the_query_and_is_shorter_comes_first(client, named):
    """Issue 15: 美好生活 listed 美好生活生活超市 above 美好生活超市. Exact name, then names starting with
    the query (shorter first: the closer match), then names holding it inside."""
    named("阳光美好生活馆", "美好生活生活超市", "美好生活超市", "美好生活")
    assert search(client, q="美好生活") == ["美好生活", "美好生活超市", "美好生活生活超市", "阳光美好生活馆"]


def test_the_same_order_when_every_pair_of_the_query_is_common(client, named, monkeypatch):
    monkeypatch.setattr(queries, "RARE_GRAM_SHOPS", 1)
    named("阳光美好生活馆", "美好生活生活超市", "美好生活超市", "美好生活")
    assert search(client, q="美好生活") == ["美好生活", "美好生活超市", "美好生活生活超市", "阳光美好生活馆"]


@pytest.mark.parametrize("query, expected", [
    ("超市", ["超市", "超市村", "超市之家", "美好超市", "阳光美好超市"]),
    ("超", ["超市", "超市村", "超市之家", "美好超市", "阳光美好超市"]),
])
def test_short_queries_whole_name_then_prefix_then_inside_shorter_first(client, named, query, expected):
    named("阳光美好超市", "美好超市", "超市之家", "超市村", "超市")
    assert search(client, q=query) == expected


def walk_pages(client, query: str) -> tuple[list[str], list[str]]:
    """Every result of a search, following the pager's 下一页 links; and each page's status line."""
    names, statuses, params = [], [], {"q": query}
    for _ in range(20):
        response = client.get("/search", query_string=params)
        html = response.get_data(as_text=True)
        names += result_names(response)
        statuses.append(re.search(r'role="status">(.*?)</p>', html, re.S).group(1).strip())
        link = re.search(r'<a href="([^"]+)">下一页', html)
        if link is None:
            return names, statuses
        query = urlsplit(link.group(1).replace("&amp;", "&")).query
        params = {key: values[0] for key, values in parse_qs(query).items()}
    raise AssertionError("the pager never ends")


@pytest.mark.parametrize("query", ["超", "超市"])
def test_past_the_count_cap_every_page_is_reachable_and_the_count_says_more_than(app, client, named, monkeypatch,
                                                                                   query):
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    monkeypatch.setitem(app.config, "SEARCH_PAGE_SIZE", 2)
    names = [f"超市{n}号" for n in range(1, 8)]
    named(*names)
    found, statuses = walk_pages(client, query)
    assert found == names  # every shop once, in order (same length: registration order)
    assert set(statuses) == {"找到超过 3 家店铺，输入更完整的店名或选择区县可以缩小范围。"}
    html = client.get("/search", query_string={"q": query, "page": 2}).get_data(as_text=True)
    assert "第 2 页" in html and "第 2 /" not in html  # no invented page total


@pytest.mark.parametrize("query", ["市", "超市"])
def test_under_the_cap_the_count_is_exact_and_pages_say_their_total(app, client, named, monkeypatch, query):
    monkeypatch.setitem(app.config, "SEARCH_PAGE_SIZE", 2)
    named(*[f"超市{n}号" for n in range(1, 6)], "面馆")
    found, statuses = walk_pages(client, query)
    assert found == [f"超市{n}号" for n in range(1, 6)]
    assert set(statuses) == {"找到 5 家店铺"}
    assert "第 3 / 3 页" in client.get("/search", query_string={"q": query, "page": 3}).get_data(as_text=True)


def test_a_shop_enters_search_when_it_signs_and_is_counted_only_then(client, make_shop, make_user, pledge):
    from registry.extensions import db
    from registry.pledges.signing import sign_pledge

    owner = make_user()
    shop = make_shop(owner=owner, name="新开超市", signed=False)
    make_shop(name="老超市")
    assert search(client, q="超市") == ["老超市"]
    assert "找到 1 家店铺" in client.get("/search", query_string={"q": "超"}).get_data(as_text=True)
    sign_pledge(shop, pledge, owner, shop.owner_name, "店主", "127.0.0.1", {c.number for c in pledge.clauses})
    db.session.commit()
    assert search(client, q="超市") == ["老超市", "新开超市"]
    assert "找到 2 家店铺" in client.get("/search", query_string={"q": "超"}).get_data(as_text=True)
