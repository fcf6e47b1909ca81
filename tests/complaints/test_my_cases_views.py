"""我的投诉 (complaints/my_cases_views.py): a confirmed phone sees its own cases with their links; before
the code, a phone with cases and one without get the same answer; a wrong code shows nothing."""

from __future__ import annotations

import re
import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.messaging.senders import latest_message_to
from registry.messaging.verification import PhoneVerification

from .helpers import PHONE, file

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

URL = "/my-complaints"
OTHER_PHONE = "13923456789"
NO_CASES_PHONE = "13712345678"


def ask_code(client, phone: str):
    return client.post(URL, data={"phone": phone, "send": "1"})


def sent_code(phone: str) -> str:
    return re.search(r"\b(\d{6})\b", latest_message_to(phone, "my_cases").body)[1]


def confirm(client, phone: str, code: str):
    return client.post(URL, data={"phone": phone, "code": code, "confirm": "1"})


@pytest.fixture
def cases(world, frozen, seeded):
    mine = [file(world.shop), file(world.shop)]
    theirs = file(world.shop, consumer_phone=OTHER_PHONE, verified=OTHER_PHONE)
    return mine, theirs


def test_a_confirmed_phone_sees_its_own_cases_with_their_links(client, world, cases):
    (first, first_token), (second, second_token) = cases[0]
    other, other_token = cases[1]
    assert ask_code(client, PHONE).status_code == 200
    response = confirm(client, PHONE, sent_code(PHONE))
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)

    page = client.get(URL)
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert first.tracking_number in html and second.tracking_number in html and world.shop.name in html
    assert f"/c/{first_token}" in html and f"/c/{second_token}" in html
    assert other.tracking_number not in html and other_token not in html
    # Each link opens the case's tracking page.
    assert client.get(f"/c/{first_token}").status_code == 200

    client.post(f"{URL}/leave", data={})
    assert first.tracking_number not in client.get(URL).get_data(as_text=True)


def test_a_wrong_code_shows_nothing_and_is_counted(client, world, cases):
    (first, _), _second = cases[0]
    ask_code(client, PHONE)
    code = sent_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    response = confirm(client, PHONE, wrong)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "验证码不正确" in html
    assert first.tracking_number not in html
    assert first.tracking_number not in client.get(URL).get_data(as_text=True)
    attempts = db.session.scalar(select(func.max(PhoneVerification.attempts)).where(
        PhoneVerification.phone == PHONE, PhoneVerification.purpose == "my_cases"))
    assert attempts == 1


def test_a_phone_without_cases_gets_the_same_answer_before_the_code(client, world, cases):
    with_cases = ask_code(client, PHONE).get_data(as_text=True)
    without = ask_code(client, NO_CASES_PHONE).get_data(as_text=True)
    # The pages differ only in the number they were asked for; both numbers got a code.
    assert with_cases.replace(PHONE, "X") == re.sub(NO_CASES_PHONE, "X", without)
    assert latest_message_to(NO_CASES_PHONE, "my_cases") is not None
    confirm(client, NO_CASES_PHONE, sent_code(NO_CASES_PHONE))
    assert "没有找到" in client.get(URL).get_data(as_text=True)


def test_the_list_is_shown_for_half_an_hour(client, world, cases, frozen):
    (first, _), _second = cases[0]
    ask_code(client, PHONE)
    confirm(client, PHONE, sent_code(PHONE))
    frozen.advance(minutes=29)
    assert first.tracking_number in client.get(URL).get_data(as_text=True)
    frozen.advance(minutes=2)
    html = client.get(URL).get_data(as_text=True)
    assert first.tracking_number not in html and "发送验证码" in html


def test_an_invalid_phone_says_why_and_keeps_it(client, world):
    response = ask_code(client, "1381234")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "11 位" in html and 'value="1381234"' in html


def test_the_case_page_offers_a_copy_link_that_works_without_javascript(client, world, cases):
    (_first, token), _second = cases[0]
    html = client.get(f"/c/{token}").get_data(as_text=True)
    assert re.search(rf'<a class="copy-link" href="http://localhost/c/{token}" data-copy-link', html)
    assert "/static/js/copy-link.js" in html
