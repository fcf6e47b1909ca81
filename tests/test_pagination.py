"""registry.pagination: page numbers and record ids typed into URLs, read by one rule (no app or
database needed: a bare Flask request is enough)."""

from __future__ import annotations

import pytest
from flask import Flask

from registry.pagination import ID_MAX, PAGE_MAX, bounded_integer, page_number, record_id

BARE = Flask(__name__)


@pytest.mark.parametrize(("value", "expected"), [
    ("5", 5), ("1", 1), ("10", 10), ("0", None), ("11", None), ("", None), (None, None), ("-3", None),
    ("+3", None), (" 3", None), ("3.0", None), ("３", None), ("٣", None), ("0003", None), ("1e1", None),
])
def test_bounded_integer(value, expected):
    assert bounded_integer(value, 1, 10) == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("", 1), ("?page=3", 3), ("?page=0", 1), ("?page=abc", 1), ("?page=-2", 1), ("?page=２", 1),
    (f"?page={PAGE_MAX}", PAGE_MAX), (f"?page={PAGE_MAX + 1}", PAGE_MAX), ("?page=" + "9" * 5000, PAGE_MAX),
    ("?p=4", 1),
])
def test_page_number(query, expected):
    with BARE.test_request_context("/list" + query):
        assert page_number() == expected


def test_page_number_under_another_name():
    with BARE.test_request_context("/list?p=4"):
        assert page_number("p") == 4


@pytest.mark.parametrize(("query", "expected"), [
    ("?flag=12", 12), ("", None), ("?flag=", None), ("?flag=0", None), ("?flag=x", None),
    (f"?flag={ID_MAX}", ID_MAX), (f"?flag={ID_MAX + 1}", None), ("?flag=" + "9" * 400, None),
])
def test_record_id(query, expected):
    with BARE.test_request_context("/list" + query):
        assert record_id("flag") == expected
