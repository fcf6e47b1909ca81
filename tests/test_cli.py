"""`flask` commands: creating accounts and loading demonstration data."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from conftest import PASSWORD
from registry.auth.models import User
from registry.auth.services import authenticate, user_by_login
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.pledges.models import Signature

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_create_user_makes_an_administrator_who_can_log_in(runner):
    result = runner.invoke(args=["create-user", "--login", "Admin@Example.CN", "--name", "系统管理员",
                                 "--role", "admin", "--password", PASSWORD])

    assert result.exit_code == 0, result.output
    user = user_by_login("admin@example.cn")
    assert user is not None
    assert (user.role, user.display_name, user.is_admin) == ("admin", "系统管理员", True)
    assert authenticate("admin@example.cn", PASSWORD) == user
    assert f"Created admin admin@example.cn (id {user.id})." in result.output


def test_create_user_refuses_a_short_password_with_the_reason(runner):
    result = runner.invoke(args=["create-user", "--login", "staff@example.cn", "--name", "工作人员",
                                 "--password", "short"])

    assert result.exit_code == 1
    assert "密码至少需要 8 个字符。" in result.output
    assert "Traceback" not in result.output
    assert count(User) == 0


def test_create_user_refuses_a_login_already_taken(runner, make_user):
    make_user(login="staff@example.cn")

    result = runner.invoke(args=["create-user", "--login", "STAFF@example.cn", "--name", "工作人员",
                                 "--password", PASSWORD])

    assert result.exit_code == 1
    assert "已注册" in result.output
    assert count(User) == 1


def test_demo_load_creates_shops_accounts_and_signatures_and_if_empty_loads_nothing_more(runner):
    result = runner.invoke(args=["demo", "load", "--shops", "15"])

    assert result.exit_code == 0, result.output
    loaded = int(re.search(r"Loaded (\d+) demo shops\.", result.output).group(1))
    assert 10 <= loaded <= 15 + 1  # and one shop staff signed up at its door (demo: on-site signing)
    assert count(Merchant) == loaded
    signed = count(Signature)  # shops renew a year after signing: more signatures than shops
    standings = dict(db.session.execute(select(Merchant.standing, func.count()).group_by(Merchant.standing)).all())
    # Every standing is there to look at (issue 15); most shops are in good standing.
    assert set(standings) == {"active", "warned", "suspended", "revoked", "lapsed", "pending"}
    assert standings["active"] + standings["warned"] >= loaded - 5 and signed > loaded
    assert "A shop of each standing" in result.output and "/m/" in result.output
    assert user_by_login("admin@demo.cxm").role == "admin"
    assert user_by_login("staff@demo.cxm").role == "staff"
    merchant = user_by_login("13800138000")
    assert authenticate("13800138000", "chengxin2026") == merchant
    assert merchant.phone_verified_at is not None  # the demo owner can try the SMS password reset
    assert db.session.scalar(select(Merchant).where(Merchant.name == "美好生活超市")).owner_id == merchant.id
    users = count(User)

    again = runner.invoke(args=["demo", "load", "--if-empty", "--shops", "15"])

    assert again.exit_code == 0, again.output
    assert "Database already has data; demo not loaded." in again.output
    assert (count(Merchant), count(Signature), count(User)) == (loaded, signed, users)


def test_demo_logins_print_links_without_a_public_address_setting(app, runner, monkeypatch):
    """Development has no PUBLIC_BASE_URL default any more: `make run`'s links use the port served."""
    assert runner.invoke(args=["demo", "load", "--shops", "10"]).exit_code == 0
    app.config["PUBLIC_BASE_URL"] = None
    monkeypatch.setenv("FLASK_RUN_PORT", "5108")

    result = runner.invoke(args=["demo", "logins"])

    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5108/m/" in result.output
