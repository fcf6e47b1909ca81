"""Administrators manage accounts: staff are created, roles and districts changed, accounts disabled
(ending their sessions at once) — never their own — and each change is in the audit log."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from conftest import PASSWORD
from registry.audit.models import AuditEntry
from registry.auth.models import Role, User
from registry.auth.services import authenticate, change_role, create_staff, load_user_from_session, set_enabled
from registry.errors import Conflict, DomainError
from registry.extensions import db

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
def admin(make_user):
    return make_user(role="admin", name="管理员")


def entries(user: User) -> list[tuple[str, int | None, dict]]:
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.subject_type == "user",
                                                       AuditEntry.subject_id == user.id).order_by(AuditEntry.id))
    return [(row.action, row.actor_id, json.loads(row.data)) for row in rows]


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_an_administrator_creates_a_staff_account_limited_to_a_district(admin):
    user = create_staff(admin, "13812345678", PASSWORD, " 张 三 ", Role.STAFF, " 西湖区 ")
    db.session.commit()

    stored = reload(user)
    assert (stored.login, stored.display_name, stored.role, stored.district) == ("13812345678", "张 三", "staff", "西湖区")
    assert authenticate("13812345678", PASSWORD).id == user.id
    # The log says who was created with which powers, not the login (it may be a phone number).
    assert entries(stored) == [("user.created", admin.id, {"role": "staff", "district": "西湖区",
                                                             "display_name": "张 三"})]


@pytest.mark.parametrize(("args", "field", "message"), [
    (("13812345678", "short", "张三", Role.STAFF), "password", "密码至少需要 8 个字符。"),
    (("staff@example", PASSWORD, "张三", Role.STAFF), "login", "请输入有效的手机号或电子邮箱。"),
    (("13812345678", PASSWORD, "  ", Role.STAFF), "display_name", "请填写姓名。"),
    (("13812345678", PASSWORD, "张三", Role.MERCHANT), "role", "请选择工作人员或管理员。"),
])
def test_a_staff_account_with_a_mistake_is_refused_and_not_created(admin, args, field, message):
    with pytest.raises(DomainError) as refused:
        create_staff(admin, *args)

    db.session.rollback()
    assert (refused.value.field, refused.value.message) == (field, message)
    assert db.session.scalar(select(User).where(User.login == "13812345678")) is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.created")) is None


def test_a_login_already_taken_is_refused(admin, make_user):
    make_user(login="13812345678")

    with pytest.raises(Conflict) as refused:
        create_staff(admin, "13812345678", PASSWORD, "张三", Role.STAFF)

    assert refused.value.field == "login"


def test_changing_role_and_district_is_recorded_separately(admin, make_user):
    user = make_user(role="staff", district="西湖区")

    change_role(user, admin, Role.ADMIN, "滨江区")
    db.session.commit()

    stored = reload(user)
    assert (stored.role, stored.district) == ("admin", "滨江区")
    assert entries(stored) == [("user.role_changed", admin.id, {"old": "staff", "new": "admin"}),
                               ("user.district_changed", admin.id, {"old": "西湖区", "new": "滨江区"})]


def test_nothing_is_recorded_when_nothing_changes(admin, make_user):
    user = make_user(role="staff", district="西湖区")

    change_role(user, admin, Role.STAFF, "西湖区")
    db.session.commit()

    assert entries(user) == []


def test_a_merchant_has_no_district(admin, make_user):
    user = make_user(role="staff", district="西湖区")

    change_role(user, admin, Role.MERCHANT, "西湖区")
    db.session.commit()

    assert (reload(user).role, reload(user).district) == ("merchant", None)


def test_an_administrator_cannot_demote_themselves(admin):
    with pytest.raises(DomainError) as refused:
        change_role(admin, admin, Role.STAFF, None)

    db.session.rollback()
    assert refused.value.field == "role"
    assert "不能取消自己的管理员权限" in refused.value.message
    assert reload(admin).role == "admin"
    assert entries(admin) == []


def test_an_administrator_may_change_their_own_district(admin):
    change_role(admin, admin, Role.ADMIN, "西湖区")
    db.session.commit()

    assert reload(admin).district == "西湖区"


def test_disabling_ends_every_open_session_and_enabling_lets_the_user_back(admin, make_user):
    user = make_user(role="staff")
    session_id = user.get_id()

    set_enabled(user, admin, False)
    db.session.commit()

    stored = reload(user)
    assert stored.is_enabled is False
    assert stored.session_version == 2
    assert load_user_from_session(session_id) is None
    assert authenticate(stored.login, PASSWORD) is None

    set_enabled(stored, admin, True)
    db.session.commit()

    stored = reload(user)
    assert stored.is_enabled is True
    assert load_user_from_session(session_id) is None  # the old session stays ended
    assert authenticate(stored.login, PASSWORD).id == user.id
    assert [action for action, _actor, _data in entries(stored)] == ["user.disabled", "user.enabled"]


def test_an_administrator_cannot_disable_themselves(admin):
    with pytest.raises(DomainError) as refused:
        set_enabled(admin, admin, False)

    db.session.rollback()
    assert "不能停用自己的账户" in refused.value.message
    stored = reload(admin)
    assert (stored.is_enabled, stored.session_version) == (True, 1)
    assert entries(admin) == []
