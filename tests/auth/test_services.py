"""Accounts: creating them, checking passwords, and sessions that can be ended server-side."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from conftest import PASSWORD, unique_mobile
from registry.auth.models import Role, User
from registry.auth.services import authenticate, create_user, end_all_sessions, load_user_from_session
from registry.errors import Conflict, DomainError
from registry.extensions import db

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_create_user_stores_normalised_mobile_and_a_scrypt_hash(app):
    user = create_user("+86 139-1234-5678", PASSWORD, "  王美好 ")
    db.session.commit()

    stored = db.session.scalar(select(User).where(User.id == user.id))
    assert stored.login == "13912345678"
    assert stored.display_name == "王美好"
    assert stored.role == "merchant"
    assert stored.password_hash.startswith("scrypt:")
    assert PASSWORD not in stored.password_hash


def test_create_user_folds_full_width_and_upper_case_email(app):
    user = create_user("Ｓｈｏｐ@Example.CN", PASSWORD, "店主")

    assert user.login == "shop@example.cn"


@pytest.mark.parametrize("second_login", ["13912345678", "１３９１２３４５６７８", "+86 139 1234 5678"])
def test_create_user_refuses_a_login_already_taken_in_any_spelling(app, second_login):
    create_user("13912345678", PASSWORD, "王美好")
    db.session.commit()

    with pytest.raises(Conflict) as refused:
        create_user(second_login, PASSWORD, "李四")

    assert refused.value.field == "login"
    assert "已注册" in refused.value.message
    assert user_count() == 1


def test_create_user_refuses_a_password_shorter_than_eight_characters(app):
    with pytest.raises(DomainError) as refused:
        create_user(unique_mobile(), "1234567", "王美好")

    assert refused.value.field == "password"
    assert refused.value.message == "密码至少需要 8 个字符。"
    assert user_count() == 0


def test_create_user_accepts_exactly_eight_characters_without_composition_rules(app):
    user = create_user(unique_mobile(), "xiaolong", "王美好")

    assert user.check_password("xiaolong")


@pytest.mark.parametrize("password", ["12345678", "password", "PASSWORD", "aaaaaaaa", "ａａａａａａａａ", "qwertyuiop",
                                      "abababab"])
def test_create_user_refuses_a_common_password(app, password):
    with pytest.raises(DomainError) as refused:
        create_user(unique_mobile(), password, "王美好")

    assert refused.value.field == "password"
    assert refused.value.message == "这个密码太常见，很容易被猜中。请换一个，例如一句只有您知道的话。"
    assert user_count() == 0


@pytest.mark.parametrize("password", ["13912345678", "139 1234 5678", "+86-139-1234-5678", "me13912345678!",
                                      "１３９１２３４５６７８"])
def test_create_user_refuses_a_password_containing_the_accounts_own_phone(app, password):
    with pytest.raises(DomainError) as refused:
        create_user("13912345678", password, "王美好")

    assert refused.value.message == "密码不能包含您的手机号或邮箱，别人很容易猜到。"
    assert user_count() == 0


@pytest.mark.parametrize("password", ["wangmeihao@example.cn", "Wangmeihao2026", "my wangmeihao"])
def test_create_user_refuses_a_password_containing_the_email_local_part(app, password):
    with pytest.raises(DomainError) as refused:
        create_user("wangmeihao@example.cn", password, "王美好")

    assert refused.value.message == "密码不能包含您的手机号或邮箱，别人很容易猜到。"


def test_the_common_password_list_is_the_shipped_one():
    from registry.auth.passwords import common_passwords

    passwords = common_passwords()
    assert len(passwords) > 19000
    assert {"password", "12345678", "qwerty", "iloveyou"} <= passwords


def test_create_user_refuses_an_invalid_login(app):
    with pytest.raises(DomainError) as refused:
        create_user("not-a-phone", PASSWORD, "王美好")

    assert refused.value.field == "login"
    assert user_count() == 0


def test_authenticate_accepts_the_right_password_in_any_spelling_of_the_login(app, make_user):
    user = make_user(login="13912345678")

    assert authenticate("139 1234 5678", PASSWORD) == user
    assert authenticate("13912345678", PASSWORD + "x") is None
    assert authenticate("13900000000", PASSWORD) is None
    assert authenticate("garbage", PASSWORD) is None


def test_authenticate_refuses_a_disabled_account(app, make_user):
    user = make_user()
    user.is_enabled = False
    db.session.commit()

    assert authenticate(user.login, PASSWORD) is None


def test_end_all_sessions_makes_the_old_session_id_invalid(app, make_user):
    user = make_user()
    old_session_id = user.get_id()
    assert load_user_from_session(old_session_id) == user

    end_all_sessions(user)
    db.session.commit()

    assert db.session.get(User, user.id).session_version == 2
    assert load_user_from_session(old_session_id) is None
    assert load_user_from_session(user.get_id()) == user


def test_a_disabled_user_cannot_be_loaded_from_a_session(app, make_user):
    user = make_user()
    session_id = user.get_id()
    user.is_enabled = False
    db.session.commit()

    assert load_user_from_session(session_id) is None


def test_malformed_or_unknown_session_ids_load_nobody(app, make_user):
    user = make_user()
    assert load_user_from_session(f"{user.id}:1") == user

    for session_id in ("", f"{user.id}", f"{user.id}:", ":1", "x:1", f"{user.id}:x", f"{user.id + 1}:1"):
        assert load_user_from_session(session_id) is None, session_id


def test_roles_are_stored_as_given(app):
    staff = create_user(unique_mobile(), PASSWORD, "工作人员", Role.STAFF, district="西湖区")

    stored = db.session.get(User, staff.id)
    assert (stored.role, stored.district, stored.is_staff, stored.is_admin) == ("staff", "西湖区", True, False)
