"""Register, register a shop, log out and log in again in the production configuration over https
(CSRF with its strict referrer check, `__Host-session`, one proxy in front: tests/production.py),
each form posted as a browser posts it from the page that holds it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.auth.models import User
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.messaging.senders import latest_message_to
from tests.production import PRODUCTION_URL, BrowserClient

pytestmark = pytest.mark.production

PASSWORD = "a sentence I will remember 2026"


def test_an_owner_registers_adds_a_shop_logs_out_and_in_again_over_https(app, pledge, shop_form):
    browser = BrowserClient(app)
    browser.get("/register")
    asked = browser.submit({"display_name": "王美好", "phone": "13912345678"}, button="submit")
    assert asked.status == 200 and asked.url == f"{PRODUCTION_URL}/register/confirm", asked.text[:300]
    code = re.search(r"\b(\d{6})\b", latest_message_to("13912345678", "register").body)[1]
    registered = browser.submit({"code": code, "password": PASSWORD, "password_again": PASSWORD}, button="submit")
    assert registered.status == 200 and registered.url == f"{PRODUCTION_URL}/my/shops/new", registered.text[:300]
    user = db.session.scalar(select(User).where(User.login == "13912345678"))
    assert user is not None and user.display_name == "王美好"
    session_cookie = browser.cookie("__Host-session")
    assert session_cookie is not None and session_cookie.secure and session_cookie.http_only
    assert session_cookie.same_site == "Lax" and session_cookie.path == "/"

    shop = browser.submit(shop_form(name="美好生活超市"), button="submit")
    assert shop.status == 200, shop.text[:300]
    assert db.session.scalar(select(Merchant.name).where(Merchant.owner_id == user.id)) == "美好生活超市"

    logged_out = browser.submit(action="/logout")
    assert logged_out.status == 200 and logged_out.url == f"{PRODUCTION_URL}/"
    assert browser.get("/my/shops").url.startswith(f"{PRODUCTION_URL}/login")

    logged_in = browser.submit({"login": "139 1234 5678", "password": PASSWORD}, button="submit")
    assert logged_in.status == 200 and logged_in.url == f"{PRODUCTION_URL}/my/shops", logged_in.text[:300]
    assert "美好生活超市" in logged_in.text
