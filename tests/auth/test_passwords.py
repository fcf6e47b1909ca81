"""Passwords: change (everyone), reset by SMS code (shop owners, verified phone), temporary password set by an
administrator (must be changed at the next login), and scrypt never running inside SQLite's write lock."""

from __future__ import annotations

import re
import sqlite3

import pytest
from sqlalchemy import func, select

from conftest import PASSWORD, unique_mobile
from registry.audit.models import AuditEntry
from registry.auth.models import User
from registry.clock import utcnow
from registry.extensions import db
from registry.messaging.models import OutboxMessage
from registry.messaging.senders import latest_message_to

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

NEW_PASSWORD = "a new and longer passphrase"


@pytest.fixture
def app_overrides():
    return {"RATELIMIT_ENABLED": True}


@pytest.fixture
def owner(make_user):
    """A shop owner whose phone was confirmed at registration."""
    user = make_user(login="13912345678")
    user.phone_verified_at = utcnow()
    db.session.commit()
    return user


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def audit_actions(user: User) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.subject_type == "user",
                                                                   AuditEntry.subject_id == user.id)
                                   .order_by(AuditEntry.id)))


def log_in(client, login: str, password: str = PASSWORD):
    return client.post("/login", data={"login": login, "password": password})


def sms_code(phone: str, purpose: str) -> str:
    message = latest_message_to(phone, purpose)
    assert message is not None, f"no {purpose} SMS to {phone}"
    body = message.body
    db.session.rollback()  # the test shares the app's session: end this read before the next request
    return re.search(r"\b(\d{6})\b", body).group(1)


def messages_sent() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)))


# --- Changing one's own password -------------------------------------------------------------------------


def change(client, current: str = PASSWORD, new: str = NEW_PASSWORD, again: str | None = None):
    return client.post("/account/password", data={"current_password": current, "password": new,
                                                   "password_again": new if again is None else again})


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, client, owner, login_as):
    other_device = login_as(app.test_client(), owner)
    log_in(client, owner.login)

    response = change(client)

    assert response.status_code == 302
    assert client.get("/my/shops").status_code == 200  # this device stays signed in
    assert other_device.get("/my/shops").status_code == 302  # the other one is signed out
    user = fresh(owner)
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    assert user.session_version == 2
    assert audit_actions(user) == ["user.password_changed"]
    client.post("/logout")
    assert log_in(client, owner.login, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(("current", "new", "again", "field_message"), [
    ("wrong password", NEW_PASSWORD, None, "当前密码不正确。"),
    (PASSWORD, "12345678", None, "这个密码太常见，很容易被猜中。请换一个，例如一句只有您知道的话。"),
    (PASSWORD, "password", None, "这个密码太常见，很容易被猜中。请换一个，例如一句只有您知道的话。"),
    (PASSWORD, "13912345678", None, "密码不能包含您的手机号或邮箱，别人很容易猜到。"),
    (PASSWORD, "short", None, "密码至少需要 8 个字符。"),
    (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "两次输入的密码不一致。"),
    (PASSWORD, PASSWORD, None, "新密码不能与当前密码相同。"),
])
def test_a_refused_change_says_why_and_changes_nothing(client, owner, login_as, current, new, again,
                                                       field_message):
    login_as(client, owner)

    response = change(client, current, new, again)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_message in html
    assert 'value="' + new + '"' not in html
    user = fresh(owner)
    assert user.check_password(PASSWORD) and user.session_version == 1
    assert audit_actions(user) == []


def test_the_account_menu_links_to_the_change_password_page(client, owner, login_as):
    login_as(client, owner)

    html = client.get("/my/shops").get_data(as_text=True)

    assert 'href="/account/password"' in html and "修改密码" in html


# --- Reset by SMS code -------------------------------------------------------------------------------------


def forgot(client, phone: str):
    return client.post("/password/forgot", data={"phone": phone})


def reset(client, code: str, new: str = NEW_PASSWORD):
    return client.post("/password/reset", data={"code": code, "password": new, "password_again": new})


def test_the_login_page_links_to_the_forgotten_password_page(client):
    html = client.get("/login").get_data(as_text=True)

    assert 'href="/password/forgot"' in html and "忘记密码？" in html


def test_an_owner_resets_the_password_with_a_code_sent_to_the_verified_phone(app, client, owner, login_as):
    other_device = login_as(app.test_client(), owner)

    response = forgot(client, "139 1234 5678")
    assert response.status_code == 302 and response.headers["Location"].endswith("/password/reset")
    assert "139****5678" in client.get("/password/reset").get_data(as_text=True)
    response = reset(client, sms_code("13912345678", "password_reset"))

    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    user = fresh(owner)
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    assert other_device.get("/my/shops").status_code == 302  # every session ended
    assert audit_actions(user) == ["user.password_reset"]
    assert log_in(client, owner.login, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("who", ["unknown", "unverified", "staff", "disabled"])
def test_forgot_password_answers_the_same_whether_or_not_a_resettable_account_exists(client, make_user, owner,
                                                                                    who):
    phone = unique_mobile()
    if who != "unknown":
        user = make_user(login=phone, role="staff" if who == "staff" else "merchant")
        if who == "disabled":
            user.phone_verified_at, user.is_enabled = utcnow(), False
        db.session.commit()
    real = forgot(client, owner.login)
    real_page = client.get("/password/reset").get_data(as_text=True).replace("139****5678", "PHONE")
    sent_for_real = messages_sent()

    response = forgot(client, phone)
    page = client.get("/password/reset").get_data(as_text=True).replace(phone[:3] + "****" + phone[-4:], "PHONE")

    assert (response.status_code, response.headers["Location"]) == (real.status_code, real.headers["Location"])
    assert page == real_page
    assert messages_sent() == sent_for_real == 1  # no code for an account that cannot be reset this way
    # And typing some code gets the same answer as a wrong code for a real account.
    assert "验证码不正确或已失效" in reset(client, "123456").get_data(as_text=True)


def test_a_wrong_code_changes_nothing_and_does_not_tell_whether_the_account_exists(client, owner):
    forgot(client, owner.login)

    response = reset(client, "000000" if sms_code(owner.login, "password_reset") != "000000" else "111111")

    assert response.status_code == 200
    assert "验证码不正确或已失效。请检查短信，或重新获取验证码。" in response.get_data(as_text=True)
    assert fresh(owner).check_password(PASSWORD)


def test_a_weak_new_password_is_refused_and_the_code_stays_usable(client, owner):
    forgot(client, owner.login)
    code = sms_code(owner.login, "password_reset")

    response = reset(client, code, "13912345678")

    assert "密码不能包含您的手机号或邮箱，别人很容易猜到。" in response.get_data(as_text=True)
    assert reset(client, code).status_code == 302
    assert fresh(owner).check_password(NEW_PASSWORD)


def test_a_registration_code_cannot_reset_a_password(client, owner):
    from registry.messaging.verification import send_code

    send_code(owner.login, "register")
    db.session.commit()
    forgot(client, owner.login)

    response = reset(client, sms_code(owner.login, "register"))

    assert response.status_code == 200
    assert fresh(owner).check_password(PASSWORD)


def test_reset_codes_for_one_phone_are_rate_limited(client, owner):
    answers = [forgot(client, owner.login).status_code for _attempt in range(6)]

    assert answers == [302] * 5 + [429]


def test_the_forgotten_password_page_says_e_mail_accounts_cannot_use_sms(client):
    html = client.get("/password/forgot").get_data(as_text=True)

    assert "用邮箱登录的账户" in html


# --- An administrator sets a temporary password -------------------------------------------------------------


@pytest.fixture
def admin_client(client, login_as, make_user):
    admin = make_user(role="admin", name="管理员", login="admin@example.cn")
    login_as(client, admin)
    client.admin = admin
    return client


def test_an_administrator_sets_a_temporary_password_that_must_be_changed_at_next_login(app, admin_client,
                                                                                      make_user, login_as):
    staff = make_user(role="staff", login="chen@xihu.example.cn")
    staff_device = login_as(app.test_client(), staff)

    response = admin_client.post(f"/admin/users/{staff.id}/password", data={"password": "temporary passphrase 7"})

    assert response.status_code == 302
    user = fresh(staff)
    assert user.must_change_password and user.check_password("temporary passphrase 7")
    assert staff_device.get("/my/shops").status_code == 302  # signed out everywhere
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password_reset"))
    assert (entry.subject_id, entry.actor_id) == (staff.id, admin_client.admin.id)

    # The next login goes to the change-password page, and every other page sends it back there.
    person = app.test_client()
    response = log_in(person, staff.login, "temporary passphrase 7")
    assert response.headers["Location"].endswith("/account/password")
    for path in ("/my/shops", "/staff", "/", "/search"):
        answer = person.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/account/password"), path
    assert person.get("/account/password").status_code == 200
    assert change(person, "temporary passphrase 7").status_code == 302

    assert person.get("/my/shops").status_code == 200
    user = fresh(staff)
    assert not user.must_change_password
    assert audit_actions(user)[-2:] == ["user.password_reset", "user.password_changed"]


def test_logout_works_while_a_password_change_is_required(app, admin_client, make_user):
    staff = make_user(role="staff")
    admin_client.post(f"/admin/users/{staff.id}/password", data={"password": "temporary passphrase 7"})
    person = app.test_client()
    log_in(person, staff.login, "temporary passphrase 7")

    response = person.post("/logout")

    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert person.get("/").status_code == 200


def test_a_weak_temporary_password_is_refused(admin_client, make_user):
    staff = make_user(role="staff")

    response = admin_client.post(f"/admin/users/{staff.id}/password", data={"password": "password"})

    assert response.status_code == 400
    assert "这个密码太常见" in response.get_data(as_text=True)
    assert fresh(staff).check_password(PASSWORD) and not fresh(staff).must_change_password


def test_staff_created_by_an_administrator_choose_their_own_password_at_first_login(admin_client):
    admin_client.post("/admin/users/new", data={"display_name": "陈小红", "login": "chen@xihu.example.cn",
                                                "role": "staff", "district": "西湖区", "password": "一句足够长的密码"})

    user = db.session.scalar(select(User).where(User.login == "chen@xihu.example.cn"))
    assert user.must_change_password


# --- scrypt never runs while SQLite's write lock is held ------------------------------------------------------


@pytest.fixture
def lock_probe(app, monkeypatch):
    """Make every password hash and check first try to take SQLite's write lock from a second connection,
    without waiting: records whether some transaction of the app held it during the slow work."""
    import registry.auth.models

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL has no database-wide write lock")
    path = db.engine.url.database
    held = []

    def probe(what):
        connection = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            held.append((what, str(error)))
        finally:
            connection.close()

    real_hash, real_check = registry.auth.models.generate_password_hash, registry.auth.models.check_password_hash

    def hashing(password, method="scrypt", salt_length=16):
        probe("hash")
        return real_hash(password, method=method, salt_length=salt_length)

    def checking(password_hash, password):
        probe("check")
        return real_check(password_hash, password)

    monkeypatch.setattr(registry.auth.models, "generate_password_hash", hashing)
    monkeypatch.setattr(registry.auth.models, "check_password_hash", checking)
    # The app's own session must not hold the lock between tests' setup and the request.
    db.session.commit()
    return held


def test_no_password_is_hashed_or_checked_while_the_write_lock_is_held(app, client, owner, make_user, login_as,
                                                                       lock_probe):
    # Registration, login (right and wrong), change, reset by SMS, administrator's temporary password, new staff.
    phone = unique_mobile()
    client.post("/register", data={"display_name": "王美好", "phone": phone})
    assert client.post("/register/confirm", data={"code": sms_code(phone, "register"), "password": PASSWORD,
                                                  "password_again": PASSWORD}).status_code == 302
    client.post("/logout")
    log_in(client, owner.login, "wrong password")
    log_in(client, unique_mobile(), "wrong password")
    assert log_in(client, owner.login).status_code == 302
    assert change(client).status_code == 302
    client.post("/logout")
    forgot(client, owner.login)
    assert reset(client, sms_code(owner.login, "password_reset"), "yet another passphrase").status_code == 302
    admin = make_user(role="admin", login="admin@example.cn")
    login_as(client, admin)
    assert client.post(f"/admin/users/{owner.id}/password",
                       data={"password": "temporary passphrase 7"}).status_code == 302
    assert client.post("/admin/users/new", data={"display_name": "陈小红", "login": "chen@xihu.example.cn",
                                                 "role": "staff", "password": "一句足够长的密码"}).status_code == 302

    assert lock_probe == []


# --- CSRF --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": True}])
def test_the_password_and_registration_forms_refuse_posts_without_a_csrf_token(client, owner, make_user, login_as,
                                                                             app_overrides):
    posts = [("/register", {"display_name": "王美好", "phone": unique_mobile()}),
             ("/password/forgot", {"phone": owner.login})]
    answers = [client.post(path, data=data).status_code for path, data in posts]
    admin = make_user(role="admin", login="admin@example.cn")
    login_as(client, admin)
    answers.append(client.post("/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                           "password_again": NEW_PASSWORD}).status_code)
    answers.append(client.post(f"/admin/users/{owner.id}/password", data={"password": NEW_PASSWORD}).status_code)

    assert answers == [400] * 4  # refused before the view runs: nothing sent or changed
    assert messages_sent() == 0
    assert fresh(owner).check_password(PASSWORD) and fresh(admin).check_password(PASSWORD)
