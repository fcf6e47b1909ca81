"""The browser-like test client of tests/production.py: the Referer it sends is the one a browser
sends under each Referrer-Policy (https://www.w3.org/TR/referrer-policy/), so a page whose policy
would break its own forms is caught by the production-configuration tests."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.production import BrowserClient, header_policy, referrer_for

PAGE = "https://cxm.example.cn/c/0123abcd?x=1#top"
FULL = "https://cxm.example.cn/c/0123abcd?x=1"
ORIGIN = "https://cxm.example.cn/"
SAME, OTHER, PLAIN = "https://cxm.example.cn/c/0123abcd/respond", "https://other.example/", "http://cxm.example.cn/"


@pytest.mark.parametrize(("policy", "same", "other", "plain"), [
    ("no-referrer", None, None, None),
    ("same-origin", FULL, None, None),
    ("strict-origin-when-cross-origin", FULL, ORIGIN, None),
    ("origin-when-cross-origin", FULL, ORIGIN, ORIGIN),
    ("strict-origin", ORIGIN, ORIGIN, None),
    ("origin", ORIGIN, ORIGIN, ORIGIN),
    ("no-referrer-when-downgrade", FULL, FULL, None),
    ("unsafe-url", FULL, FULL, FULL),
])
def test_the_referer_follows_the_policy(policy, same, other, plain):
    assert (referrer_for(policy, PAGE, SAME), referrer_for(policy, PAGE, OTHER), referrer_for(policy, PAGE, PLAIN)) \
        == (same, other, plain)


def test_the_last_policy_a_browser_knows_wins():
    assert header_policy("no-referrer, same-origin") == "same-origin"
    assert header_policy("same-origin, made-up-policy") == "same-origin"
    assert header_policy("made-up-policy") is None


def _app_with(page_html: str, header: str | None) -> Flask:
    app = Flask(__name__)
    seen = {}

    @app.route("/form")
    def form():
        return page_html, 200, ({"Referrer-Policy": header} if header else {})

    @app.post("/done")
    def done():
        from flask import request

        seen["referer"] = request.headers.get("Referer")
        seen["form"] = request.form.to_dict(flat=False)
        return "ok"

    app.seen = seen
    return app


FORM = '<form method="post" action="/done"{rel}><input type="hidden" name="csrf_token" value="t1">' \
       '<textarea name="body">\nkept</textarea><select name="s"><option value="a">A<option value="b" selected>B</select>' \
       '<input type="checkbox" name="c" value="1"><button type="submit" name="go" value="yes">提交</button></form>'


@pytest.mark.parametrize(("head", "header", "rel", "expected"), [
    ("", "same-origin", "", "https://cxm.example.cn/form"),
    ("", "no-referrer", "", None),
    ("", None, "", "https://cxm.example.cn/form"),  # the browsers' default policy
    ('<meta name="referrer" content="no-referrer">', "same-origin", "", None),  # the page's meta wins
    ("", "same-origin", ' rel="noreferrer"', None),
])
def test_a_form_is_posted_with_its_fields_and_the_referer_its_page_allows(head, header, rel, expected):
    app = _app_with(f"<html><head>{head}</head><body>{FORM.format(rel=rel)}</body></html>", header)
    browser = BrowserClient(app)
    browser.get("/form")
    assert browser.submit({"c": "1"}, button="提交").text == "ok"
    assert app.seen["referer"] == expected
    assert app.seen["form"] == {"csrf_token": ["t1"], "body": ["kept"], "s": ["b"], "c": ["1"], "go": ["yes"]}
