"""Registration, login, logout, login throttling, `next=` redirects and the language switch."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from conftest import PASSWORD, unique_mobile
from registry.audit.models import AuditEntry
from registry.auth.models import User
from registry.extensions import db
from registry.phones import normalize_mobile
from registry.messaging.models import OutboxMessage

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


@pytest.fixture
def app_overrides():
    # The login throttle is part of what this module checks.
    return {"RATELIMIT_ENABLED": True}


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def location_path(response) -> str:
    """The path a redirect points to, refusing any redirect that leaves this site."""
    parts = urlsplit(response.headers["Location"])
    assert parts.scheme in ("", "http") and parts.netloc in ("", "localhost"), response.headers["Location"]
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sms_code(phone: str, purpose: str) -> str:
    """The code in the newest message the outbox "sent" to `phone` for `purpose`."""
    from registry.messaging.senders import latest_message_to

    message = latest_message_to(phone, purpose)
    assert message is not None, f"no {purpose} SMS to {phone}"
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def register(client, phone: str | None = None, display_name: str = "王美好", password: str = PASSWORD,
             password_again: str | None = None, code: str | None = None):
    """Both registration steps: name and phone (a code is texted), then the code and the password."""
    phone = phone or unique_mobile()
    first = client.post("/register", data={"display_name": display_name, "phone": phone})
    if first.status_code != 302:
        return first
    return client.post("/register/confirm", data={
        "code": code or sms_code(normalize_mobile(phone), "register"), "password": password,
        "password_again": password if password_again is None else password_again})


def test_register_confirms_the_phone_by_sms_then_creates_the_account_and_signs_in(client):
    first = client.post("/register", data={"display_name": "王美好", "phone": "139 1234 5678"})

    assert first.status_code == 302 and location_path(first) == "/register/confirm"
    assert user_count() == 0  # no account before the code is confirmed
    page = client.get("/register/confirm").get_data(as_text=True)
    assert "139****5678" in page
    response = client.post("/register/confirm", data={"code": sms_code("13912345678", "register"),
                                                      "password": PASSWORD, "password_again": PASSWORD})

    assert response.status_code == 302
    assert location_path(response) == "/my/shops/new"
    user = db.session.scalar(select(User).where(User.login == "13912345678"))
    assert user is not None and user.display_name == "王美好" and user.role == "merchant"
    assert user.phone_verified_at is not None
    assert client.get("/my/shops").status_code == 200
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.registered"))
    assert entry.subject_id == user.id


def test_a_wrong_code_creates_no_account_and_says_why(client):
    response = register(client, phone="13912345678", code="000000")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "验证码不正确" in html
    assert user_count() == 0
    assert 'value="correct horse' not in html  # passwords are never echoed back


def test_a_refused_first_step_keeps_what_was_typed_and_sends_nothing(client):
    response = client.post("/register", data={"display_name": "李小龙", "phone": "1391234567"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="李小龙"' in html and 'value="1391234567"' in html
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


@pytest.mark.parametrize(("password", "message"), [
    ("short", "密码至少需要 8 个字符。"),
    ("12345678", "这个密码太常见，很容易被猜中。请换一个，例如一句只有您知道的话。"),
    ("password", "这个密码太常见，很容易被猜中。请换一个，例如一句只有您知道的话。"),
    ("aaaaaaaa", "这个密码太常见，很容易被猜中。请换一个，例如一句只有您知道的话。"),
    ("13912345678", "密码不能包含您的手机号或邮箱，别人很容易猜到。"),
])
def test_a_weak_password_is_refused_and_the_code_still_works(client, password, message):
    response = register(client, phone="13912345678", password=password)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert f'value="{password}"' not in html
    assert user_count() == 0
    # The code was not used up by the refused password: the owner corrects the password and goes on.
    retry = client.post("/register/confirm", data={"code": sms_code("13912345678", "register"),
                                                   "password": PASSWORD, "password_again": PASSWORD})
    assert retry.status_code == 302 and user_count() == 1


def test_a_weak_password_is_refused_in_english_too(client):
    client.set_cookie("lang", "en")

    html = register(client, phone="13912345678", password="12345678").get_data(as_text=True)

    assert "This password is too common" in html


def test_registering_a_taken_phone_is_refused_at_the_first_step(client, make_user):
    make_user(login="13912345678")

    response = client.post("/register", data={"display_name": "冒名者", "phone": "+86 13912345678"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "该手机号已注册" in html
    assert 'value="冒名者"' in html
    assert user_count() == 1
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_mismatched_passwords_are_refused(client):
    response = register(client, password=PASSWORD, password_again=PASSWORD + "!")

    assert "两次输入的密码不一致。" in response.get_data(as_text=True)
    assert user_count() == 0


def test_the_confirm_step_without_a_code_asked_for_goes_back_to_the_first_step(client):
    response = client.get("/register/confirm")

    assert response.status_code == 302 and location_path(response) == "/register"


def test_login_and_logout(client, auth, make_user):
    user = make_user()

    response = auth.login(user.login)
    assert response.status_code == 302
    assert location_path(response) == "/my/shops"
    assert client.get("/my/shops").status_code == 200

    response = auth.logout()
    assert response.status_code == 302
    assert location_path(response) == "/"
    assert client.get("/my/shops").status_code == 302


def test_login_with_a_wrong_password_is_refused_with_one_message_for_every_failure(client, auth, make_user):
    user = make_user()

    wrong_password = auth.login(user.login, PASSWORD + "x").get_data(as_text=True)
    unknown_account = auth.login(unique_mobile()).get_data(as_text=True)

    assert "手机号/邮箱或密码不正确。" in wrong_password
    assert "手机号/邮箱或密码不正确。" in unknown_account
    assert client.get("/my/shops").status_code == 302


def test_a_disabled_account_cannot_log_in(client, auth, make_user):
    user = make_user()
    user.is_enabled = False
    db.session.commit()

    auth.login(user.login)

    assert client.get("/my/shops").status_code == 302


def test_after_logout_the_old_session_cookie_no_longer_gives_access(client, auth, make_user):
    user = make_user()
    auth.login(user.login)
    assert client.get("/my/shops").status_code == 200
    old_cookie = client.get_cookie("session").value

    auth.logout()
    client.set_cookie("session", old_cookie)
    response = client.get("/my/shops")

    assert response.status_code == 302
    assert location_path(response).startswith("/login")
    assert db.session.get(User, user.id).session_version == 2


def test_logging_out_on_one_device_ends_the_session_on_the_others(app, auth, make_user, login_as):
    user = make_user()
    other_device = login_as(app.test_client(), user)
    assert other_device.get("/my/shops").status_code == 200

    auth.login(user.login)
    auth.logout()

    assert other_device.get("/my/shops").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example",
                                    "https:/evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, make_user, target):
    user = make_user()

    response = client.post("/login", query_string={"next": target},
                           data={"login": user.login, "password": PASSWORD})

    assert response.status_code == 302
    assert location_path(response) == "/my/shops"


def test_login_follows_a_local_next(client, make_user):
    user = make_user()

    response = client.post("/login?next=/my/shops/new", data={"login": user.login, "password": PASSWORD})

    assert location_path(response) == "/my/shops/new"


def test_the_sixth_failed_login_in_a_minute_for_one_account_and_address_is_throttled(client, make_user):
    user = make_user()
    for _attempt in range(5):
        response = client.post("/login", data={"login": user.login, "password": "wrong password"})
        assert response.status_code == 200

    response = client.post("/login", data={"login": user.login, "password": PASSWORD})

    assert response.status_code == 429
    assert "登录尝试过于频繁" in response.get_data(as_text=True)
    # Even the right password is not let in while throttled.
    assert client.get("/my/shops").status_code == 302
    # Another account from the same address is not locked out.
    other = make_user()
    assert client.post("/login", data={"login": other.login, "password": PASSWORD}).status_code == 302


def test_the_language_switch_sets_a_cookie_and_returns_to_the_page(client):
    response = client.get("/lang/en?next=/search")

    assert response.status_code == 302
    assert location_path(response) == "/search"
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "en"
    # Whether the page is then in English depends on the translations (not tested here).
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example"])
def test_the_language_switch_never_redirects_off_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})

    assert location_path(response) == "/"


def test_an_unknown_language_sets_no_cookie(client):
    response = client.get("/lang/xx")

    assert response.status_code == 302
    assert client.get_cookie("lang") is None


# --- The login throttle counts the account, whatever the spelling, and the address -----------------

PHONE_SPELLINGS = ["13912345678", "139 1234 5678", "139-1234-5678", "+86 13912345678", "+8613912345678",
                   "１３９１２３４５６７８", "139\u200b1234\u200b5678", " 13912345678 ", "(139) 1234 5678",
                   "＋８６ １３９ １２３４ ５６７８", "139.1234.5678", "86-139-1234-5678"]


def test_twelve_spellings_of_one_phone_share_one_limit(client, make_user):
    make_user(login="13912345678")
    answers = [client.post("/login", data={"login": spelling, "password": "wrong password"}).status_code
               for spelling in PHONE_SPELLINGS]

    assert answers[:5] == [200] * 5
    assert answers[5:] == [429] * 7


def test_a_login_that_succeeds_through_another_spelling_still_counts(client, make_user):
    make_user(login="13912345678")
    for spelling in PHONE_SPELLINGS[:4]:
        assert client.post("/login", data={"login": spelling, "password": "wrong password"}).status_code == 200
    assert client.post("/login", data={"login": PHONE_SPELLINGS[4], "password": PASSWORD}).status_code == 302
    client.post("/logout")

    response = client.post("/login", data={"login": PHONE_SPELLINGS[5], "password": PASSWORD})

    assert response.status_code == 429


def test_text_that_reaches_no_account_is_folded_before_counting(client):
    spellings = ["not-a-login", "NOT-A-LOGIN", "not a login", "not\u200ba\u200blogin", "ｎｏｔ－ａ－ｌｏｇｉｎ", "notalogin"]
    answers = [client.post("/login", data={"login": s, "password": "x" * 8}).status_code for s in spellings]

    assert answers == [200] * 5 + [429]


def test_one_address_is_limited_across_accounts_but_sized_for_a_shared_office(client):
    answers = [client.post("/login", data={"login": unique_mobile(), "password": "wrong password"}).status_code
               for _attempt in range(31)]

    # 30 a minute from one address (an office or a carrier NAT shares one), then 429.
    assert answers[:30] == [200] * 30
    assert answers[30] == 429


@pytest.mark.parametrize("case", ["unknown", "disabled", "malformed", "wrong password"])
def test_every_failed_login_checks_one_password_hash_so_all_take_the_same_time(client, make_user, monkeypatch, case):
    """Timing without a stopwatch: every failure runs scrypt exactly once, as a wrong password does."""
    import registry.auth.models

    user = make_user()
    if case == "disabled":
        user.is_enabled = False
        db.session.commit()
    login = {"unknown": unique_mobile(), "malformed": "no such login"}.get(case, user.login)
    checked = []
    real_check = registry.auth.models.check_password_hash

    def counting_check(password_hash, password):
        checked.append(password_hash.split("$", 1)[0])
        return real_check(password_hash, password)

    monkeypatch.setattr(registry.auth.models, "check_password_hash", counting_check)

    response = client.post("/login", data={"login": login, "password": "wrong password"})

    assert "手机号/邮箱或密码不正确。" in response.get_data(as_text=True)
    # Once, and with the same kind (and cost) of hash as the account's own.
    assert checked == [user.password_hash.split("$", 1)[0]]


def test_one_account_is_limited_across_addresses(client, make_user):
    """Many addresses (a botnet) guessing at one account: 100 an hour in all, then 429 from anywhere."""
    user = make_user()

    def attempt(number: int) -> int:
        return client.post("/login", data={"login": user.login, "password": "wrong password"},
                           environ_overrides={"REMOTE_ADDR": f"10.0.{number // 4}.{number % 4 + 1}"}).status_code

    answers = [attempt(number) for number in range(100)]
    assert answers == [200] * 100
    assert attempt(101) == 429


class RefusingGateway:
    """An SMS provider that refuses every message."""

    def send(self, phone, body, purpose):
        from registry.messaging.senders import SmsDeliveryError

        raise SmsDeliveryError("provider said no")


def test_a_code_the_provider_refused_is_said_at_once_and_can_be_asked_for_again(app, client):
    app.config["SMS_SENDER"] = "tests.auth.test_views:RefusingGateway"
    refused = client.post("/register", data={"display_name": "王美好", "phone": "13912345678"})

    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "短信发送失败，请稍后再试。" in html
    assert 'value="王美好"' in html and user_count() == 0

    app.config["SMS_SENDER"] = "outbox"
    again = client.post("/register", data={"display_name": "王美好", "phone": "13912345678"})
    assert again.status_code == 302 and location_path(again) == "/register/confirm"
    assert sms_code("13912345678", "register")


@pytest.mark.parametrize(("role", "home"), [("merchant", "/my/shops"), ("staff", "/staff/"), ("admin", "/staff/")])
def test_each_role_lands_on_its_own_home_after_login(client, make_user, role, home):
    user = make_user(role=role)

    response = client.post("/login", data={"login": user.login, "password": PASSWORD})

    assert location_path(response) == home
    # Signed in already, the login page sends them home too.
    assert location_path(client.get("/login")) == home


def test_a_safe_next_still_wins_over_a_staff_home(client, make_user):
    user = make_user(role="staff")

    response = client.post("/login?next=/staff/complaints", data={"login": user.login, "password": PASSWORD})

    assert location_path(response) == "/staff/complaints"


def test_the_login_field_is_plain_text_for_a_phone_or_an_email(client):
    html = client.get("/login").get_data(as_text=True)

    field = re.search(r'<input[^>]*name="login"[^>]*>', html).group(0)
    assert 'type="text"' in field and 'autocomplete="username"' in field
    assert 'inputmode="email"' not in field and 'type="email"' not in field


# --- Every problem after one submit ------------------------------------------------------------------

def test_the_first_step_names_a_missing_name_and_a_bad_phone_together(client):
    response = client.post("/register", data={"display_name": "", "phone": "1391234"})

    html = response.get_data(as_text=True)
    assert "请填写姓名。" in html and "手机号码应为 11 位数字，您输入了 7 位。" in html
    assert 'value="1391234"' in html


def test_the_second_step_names_a_weak_password_mismatch_and_a_wrong_code_together(client):
    client.post("/register", data={"display_name": "王美好", "phone": "13912345678"})
    right = sms_code("13912345678", "register")
    wrong = "000000" if right != "000000" else "111111"

    mismatch = client.post("/register/confirm", data={"code": wrong, "password": "12345678",
                                                      "password_again": "12345679"})
    weak = client.post("/register/confirm", data={"code": wrong, "password": "12345678", "password_again": "12345678"})

    for response in (mismatch, weak):
        html = response.get_data(as_text=True)
        assert "验证码不正确" in html and "这个密码太常见" in html
    assert "两次输入的密码不一致。" in mismatch.get_data(as_text=True)
    # A right code typed with a weak password is not used up: the owner fixes the password and goes on.
    client.post("/register/confirm", data={"code": right, "password": "12345678", "password_again": "12345678"})
    done = client.post("/register/confirm", data={"code": right, "password": PASSWORD, "password_again": PASSWORD})
    assert done.status_code == 302 and user_count() == 1


# --- An invitation letter's claim survives login and registration ----------------------------------

def test_a_logged_out_claim_goes_through_registration_and_back_to_the_claim(client):
    claim = client.get("/my/claim?code=ABCD2345")
    login_url = claim.headers["Location"]
    assert location_path(claim).startswith("/login?next=")

    login = client.get(login_url).get_data(as_text=True)
    register_link = re.search(r'href="(/register\?next=[^"]+)"', login).group(1).replace("&amp;", "&")
    assert "注册并认领店铺" in login

    page = client.get(register_link).get_data(as_text=True)
    assert "注册完成后会回到认领页面" in page
    first = client.post(register_link, data={"display_name": "王美好", "phone": "13912345678"})
    assert location_path(first) == "/register/confirm"
    done = client.post("/register/confirm", data={"code": sms_code("13912345678", "register"),
                                                  "password": PASSWORD, "password_again": PASSWORD})

    assert location_path(done) == "/my/claim?code=ABCD2345"
    assert 'value="ABCD2345"' in client.get("/my/claim?code=ABCD2345").get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/my/claim", "//evil.example", "/\\evil.example"])
def test_registration_never_carries_an_off_site_next(client, target):
    client.post("/register", query_string={"next": target}, data={"display_name": "王美好", "phone": "13912345678"})

    done = client.post("/register/confirm", data={"code": sms_code("13912345678", "register"),
                                                  "password": PASSWORD, "password_again": PASSWORD})

    assert location_path(done) == "/my/shops/new"
