"""The account pages for administrators: find, create, change role and district, disable and enable."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from conftest import LOGIN_REDIRECT, MATRIX_ROLES, PASSWORD, assert_answer
from registry.audit.models import AuditEntry
from registry.auth.models import User
from registry.extensions import db

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


def accounts() -> list[tuple]:
    db.session.expire_all()
    return list(db.session.execute(select(User.id, User.login, User.role, User.district, User.is_enabled,
                                          User.session_version).order_by(User.id)).all())


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def flashed(client) -> str:
    """The messages the next page shows (follow the redirect)."""
    return text_of(client.get("/admin/users"))


# --- Who may open what ---------------------------------------------------------------------------------

ADMIN_ONLY = {"anonymous": LOGIN_REDIRECT, "merchant": 403, "other_merchant": 403, "staff": 403,
              "staff_elsewhere": 403}
ROUTES = [
    ("GET", "/admin/users", 200),
    ("GET", "/admin/users?q=王&role=merchant&enabled=yes", 200),
    ("GET", "/admin/users/new", 200),
    ("POST", "/admin/users/new", 200),  # empty form: shown again with errors
    ("GET", "/admin/users/{target}", 200),
    ("POST", "/admin/users/{target}/role", 400),  # empty form: refused with errors
    ("POST", "/admin/users/{target}/disable", 302),
    ("POST", "/admin/users/{target}/enable", 302),
    ("POST", "/admin/users/{target}/password", 400),  # empty form: refused with errors
    ("GET", "/admin/users/999999", 404),
]


@pytest.mark.parametrize("role", MATRIX_ROLES)
@pytest.mark.parametrize(("method", "path", "admin_answer"), ROUTES)
def test_only_administrators_reach_the_account_pages(client, login_as, matrix_people, method, path, admin_answer,
                                                     role):
    target = matrix_people["staff_elsewhere"]
    url = path.format(target=target.id)
    if role != "anonymous":
        login_as(client, matrix_people[role])
    before = accounts()

    response = client.open(url, method=method)

    assert_answer(response, admin_answer if role == "admin" else ADMIN_ONLY[role], url)
    changed = accounts() != before
    assert changed == (role == "admin" and path.endswith("/disable"))
    if response.status_code == 200:
        assert response.headers["Cache-Control"] == "no-store"


# --- Finding accounts ----------------------------------------------------------------------------------

@pytest.fixture
def admin_client(client, login_as, make_user):
    admin = make_user(role="admin", name="管理员", login="admin@example.cn")
    login_as(client, admin)
    client.admin = admin
    return client


def names_listed(response) -> set[str]:
    return set(re.findall(r'<a href="/admin/users/\d+">([^<]+)</a>', response.get_data(as_text=True)))


def test_accounts_are_found_by_login_name_role_district_and_state(admin_client, make_user):
    make_user(name="王美好", login="13900000001")
    make_user(role="staff", name="西湖区陈工", district="西湖区")
    make_user(role="staff", name="滨江区李工", district="滨江区")
    disabled = make_user(role="staff", name="已离职的周工")
    disabled.is_enabled = False
    db.session.commit()

    assert names_listed(admin_client.get("/admin/users")) == {"管理员", "王美好", "西湖区陈工", "滨江区李工", "已离职的周工"}
    assert names_listed(admin_client.get("/admin/users?q=13900000001")) == {"王美好"}
    assert names_listed(admin_client.get("/admin/users?q=李工")) == {"滨江区李工"}
    assert names_listed(admin_client.get("/admin/users?role=staff&district=西湖区")) == {"西湖区陈工"}
    assert names_listed(admin_client.get("/admin/users?enabled=no")) == {"已离职的周工"}
    assert names_listed(admin_client.get("/admin/users?q=%25")) == set()  # a LIKE wildcard is just a character


# --- Creating staff ------------------------------------------------------------------------------------

STAFF_FORM = {"display_name": "陈小红", "login": "chen@xihu.example.cn", "role": "staff", "district": "西湖区",
              "password": "一句足够长的密码"}


def test_an_administrator_creates_a_staff_account(admin_client):
    response = admin_client.post("/admin/users/new", data=STAFF_FORM)

    user = db.session.scalar(select(User).where(User.login == "chen@xihu.example.cn"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert (user.display_name, user.role, user.district) == ("陈小红", "staff", "西湖区")
    assert user.check_password("一句足够长的密码")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.created"))
    assert (entry.subject_id, entry.actor_id) == (user.id, admin_client.admin.id)


def test_a_short_password_is_refused_next_to_the_field_and_the_rest_is_kept(admin_client):
    before = accounts()

    response = admin_client.post("/admin/users/new", data=dict(STAFF_FORM, password="short"))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "密码至少需要 8 个字符。" in html
    assert 'value="陈小红"' in html and 'value="chen@xihu.example.cn"' in html and 'value="西湖区"' in html
    assert 'value="short"' not in html  # a password is never sent back
    assert accounts() == before


def test_a_taken_login_is_refused(admin_client, make_user):
    make_user(login="chen@xihu.example.cn")
    before = accounts()

    response = admin_client.post("/admin/users/new", data=STAFF_FORM)

    assert "该手机号或邮箱已注册" in response.get_data(as_text=True)
    assert accounts() == before


# --- Role, district, disabling -------------------------------------------------------------------------

def test_role_and_district_are_changed(admin_client, make_user):
    user = make_user(role="staff", district="西湖区")

    response = admin_client.post(f"/admin/users/{user.id}/role", data={"role": "admin", "district": ""})

    assert response.status_code == 302
    stored = db.session.get(User, user.id)
    db.session.refresh(stored)
    assert (stored.role, stored.district) == ("admin", None)


def test_an_unknown_role_is_refused(admin_client, make_user):
    user = make_user(role="staff", district="西湖区")
    before = accounts()

    response = admin_client.post(f"/admin/users/{user.id}/role", data={"role": "superuser", "district": ""})

    assert response.status_code == 400
    assert "请选择角色。" in response.get_data(as_text=True)
    assert accounts() == before


def test_an_administrator_cannot_demote_or_disable_themselves(admin_client):
    me = admin_client.admin
    before = accounts()

    demote = admin_client.post(f"/admin/users/{me.id}/role", data={"role": "staff", "district": ""})
    assert demote.status_code == 400
    assert "不能取消自己的管理员权限。请让另一位管理员操作。" in text_of(demote)

    disable = admin_client.post(f"/admin/users/{me.id}/disable")
    assert disable.status_code == 302
    assert "不能停用自己的账户。请让另一位管理员操作。" in flashed(admin_client)
    assert accounts() == before
    assert "停用账户</button>" not in admin_client.get(f"/admin/users/{me.id}").get_data(as_text=True)


def test_disabling_a_user_signs_them_out_everywhere_at_once(app, admin_client, make_user, login_as):
    user = make_user(role="staff", district="西湖区")
    their_client = login_as(app.test_client(), user)
    assert their_client.get("/staff/consultations").status_code == 200

    response = admin_client.post(f"/admin/users/{user.id}/disable")

    assert response.status_code == 302
    assert "账户已停用，已登录的会话已全部结束。" in text_of(admin_client.get(response.headers["Location"]))
    # Their very next request is treated as signed out.
    answer = their_client.get("/staff/consultations")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert their_client.post("/login", data={"login": user.login, "password": PASSWORD}).status_code == 200
    assert their_client.get("/staff/consultations").status_code == 302
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.subject_id == user.id,
                                                             AuditEntry.subject_type == "user")) == "user.disabled"

    admin_client.post(f"/admin/users/{user.id}/enable")
    assert their_client.post("/login", data={"login": user.login, "password": PASSWORD}).status_code == 302
    assert their_client.get("/staff/consultations").status_code == 200


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_disabling_without_the_csrf_token_is_refused(admin_client, make_user):
    user = make_user(role="staff")

    admin_client.post(f"/admin/users/{user.id}/disable")

    db.session.expire_all()
    assert db.session.get(User, user.id).is_enabled is True
