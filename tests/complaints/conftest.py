"""Fixtures for the complaint-cycle suites: a small world (a shop in 西湖区, its owner, another shop
owner, staff of that district and of another one, an administrator), a frozen clock, a verified phone.

Nothing here is autouse: test_evidence.py and test_verification.py live in this folder too and must
not be affected.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from registry.extensions import db
from registry.workdays.seeding import seed_from_library

from .helpers import DISTRICT, OTHER_DISTRICT, PHONE, World


@pytest.fixture
def evidence_dir(app, tmp_path):
    """Evidence photos go to the test's own folder, never to instance/."""
    path = tmp_path / "evidence"
    app.config["EVIDENCE_DIR"] = str(path)
    return path


@pytest.fixture
def world(app, make_user, make_shop, evidence_dir, cheap_password_hashing) -> World:
    owner = make_user(name="王美好")
    other_owner = make_user(name="李四")
    shop = make_shop(owner=owner, name="美好生活超市", district=DISTRICT)
    staff = make_user(role="staff", login="staff@xihu.example.cn", name="西湖区工作人员", district=DISTRICT)
    staff_elsewhere = make_user(role="staff", login="staff@binjiang.example.cn", name="滨江区工作人员",
                                district=OTHER_DISTRICT)
    admin = make_user(role="admin", login="admin@example.cn", name="管理员")
    return World(shop, owner, other_owner, staff, staff_elsewhere, admin)


@pytest.fixture
def frozen(clock):
    """The suite's clock, set to 2025-09-30 10:00 Beijing time (a Tuesday)."""
    clock.set(datetime(2025, 9, 30, 2, 0, tzinfo=timezone.utc))
    return clock


@pytest.fixture
def verified(app):
    """verified(client, phone): mark `phone` as confirmed by SMS in the client's session, as confirming a
    code does (a confirmed PhoneVerification row, and the session's record of it)."""
    from registry.complaints.verification import verified_phone
    from registry.messaging.verification import CODE_LIFETIME, PhoneVerification
    from registry.complaints.public_views import VERIFIED_PHONE
    from registry.clock import utcnow

    def mark(client, phone: str = PHONE):
        now = utcnow()
        verification = PhoneVerification(phone=phone, purpose="complaint", code_hash="0" * 64, created_at=now,
                                          expires_at=now + CODE_LIFETIME, consumed_at=now)
        db.session.add(verification)
        db.session.commit()
        with client.session_transaction() as session:
            session[VERIFIED_PHONE] = verified_phone(verification).to_session()
        return client

    return mark


@pytest.fixture
def seeded(app):
    """The working-day calendar seeded from chinese-calendar, as `flask workdays seed` does."""
    seed_from_library()
    db.session.commit()
