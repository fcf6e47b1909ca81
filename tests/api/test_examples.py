"""The /api page's curl examples work as printed: each command, split the way a shell splits it, is turned
into the request curl would send (curl sends a URL's bytes as they are, so the URL itself must be ASCII;
-G moves --data-urlencode and -d values into the query string, encoded) and answered by the app."""

from __future__ import annotations

import html
import re
import shlex
from urllib.parse import quote, urlsplit

import pytest

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

BASE = "https://cxm.example.cn"  # PUBLIC_BASE_URL in tests/apps.py


def printed_commands(page: str) -> list[str]:
    return [html.unescape(block) for block in re.findall(r"<pre[^>]*>(.*?)</pre>", page, re.S)]


def curl_request(command: str) -> tuple[str, dict[str, str]]:
    """(path and query, headers) of the GET request curl makes for `command` (the options the page uses)."""
    words = shlex.split(command)
    assert words[0] == "curl", command
    url, headers, data, as_get = None, {}, [], False
    options = iter(words[1:])
    for word in options:
        if word == "-G":
            as_get = True
        elif word == "-H":
            name, value = next(options).split(":", 1)
            headers[name.strip()] = value.strip()
        elif word == "--data-urlencode":
            name, value = next(options).split("=", 1)
            data.append(f"{name}={quote(value, safe='')}")
        elif word == "-d":
            data.append(next(options))
        else:
            assert not word.startswith("-"), f"option {word} not understood by this test: {command}"
            url = word
    assert url is not None and url.isascii(), f"curl would send these bytes unencoded: {url}"
    assert url.startswith(BASE + "/"), url
    assert not data or as_get, f"without -G, curl would POST the data: {command}"
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, *data]))
    return f"{parts.path}?{query}" if query else parts.path, headers


def test_every_printed_example_is_answered(client, make_shop):
    make_shop(name="美好生活超市", district="西湖区")
    page = client.get("/api").get_data(as_text=True)
    commands = printed_commands(page)
    assert len(commands) >= 3

    answers = []
    for command in commands:
        target, headers = curl_request(command)
        response = client.get(target, headers=headers)
        assert response.status_code == 200, (command, response.get_data(as_text=True))
        answers.append(response.get_json())

    searches = [a for a in answers if "items" in a]
    assert len(searches) == 2 and searches[0] == searches[1]  # readable and encoded forms: the same search
    assert [shop["name"] for shop in searches[0]["items"]] == ["美好生活超市"]


def test_a_raw_chinese_url_is_what_the_test_refuses():
    with pytest.raises(AssertionError, match="unencoded"):
        curl_request(f"curl '{BASE}/api/v1/shops?q=超市'")
