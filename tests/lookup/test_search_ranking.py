"""Search order and the capped count (issue 6): the whole name first, then names that start with the
query, then the rest; a 1-character query at province scale says "more than N" instead of counting
every match."""

from __future__ import annotations

import pytest

from registry.lookup import queries

from .test_views import search

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
