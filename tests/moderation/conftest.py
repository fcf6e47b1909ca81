"""Fixtures for the moderation suites: a small world (a shop in 西湖区 and its owner, another shop owner,
two officers of that district, one of another district, an administrator) built under a frozen clock
that every module involved reads. helpers.py files and accepts complaints through the real services."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from .helpers import DISTRICT, OTHER_DISTRICT, World

@pytest.fixture
def frozen(clock):
    """The suite's clock, set to Monday 2026-03-02 10:00 Beijing time."""
    clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))
    return clock


@pytest.fixture
def evidence_dir(app, tmp_path):
    """Complaint and appeal photos go to the test's own folder, never to instance/."""
    path = tmp_path / "evidence"
    app.config["EVIDENCE_DIR"] = str(path)
    return path


@pytest.fixture
def world(app, frozen, make_user, make_shop, evidence_dir, cheap_password_hashing) -> World:
    """Built under the frozen clock, so signatures and sanctions share one timeline."""
    owner = make_user(name="王美好")
    other_owner = make_user(name="李四")
    shop = make_shop(owner=owner, name="美好生活超市", district=DISTRICT)
    other_shop = make_shop(owner=other_owner, name="邻家便利店", district=DISTRICT)
    staff = make_user(role="staff", login="staff@xihu.example.cn", name="张科长", district=DISTRICT)
    staff2 = make_user(role="staff", login="staff2@xihu.example.cn", name="李干事", district=DISTRICT)
    staff_elsewhere = make_user(role="staff", login="staff@binjiang.example.cn", name="滨江区工作人员",
                                district=OTHER_DISTRICT)
    admin = make_user(role="admin", login="admin@example.cn", name="管理员")
    return World(shop, owner, other_owner, other_shop, staff, staff2, staff_elsewhere, admin)


