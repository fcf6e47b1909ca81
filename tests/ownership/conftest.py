"""Fixtures for the ownership suites: a shop registered (and signed) by someone who is not its owner,
the real owner's account, officers of its district and of another one."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from PIL import Image
from sqlalchemy import select

from registry.extensions import db

REAL_PHONE = "13867452301"


@dataclass
class Dispute:
    shop: object
    squatter: object
    owner: object
    staff: object
    staff2: object
    staff_elsewhere: object


@pytest.fixture
def claim_dir(app, tmp_path):
    """Licence photos go to the test's own folder, never to instance/."""
    path = tmp_path / "evidence"
    app.config["EVIDENCE_DIR"] = str(path)
    return path / "ownership"


@pytest.fixture
def dispute(app, make_user, make_shop, claim_dir) -> Dispute:
    squatter = make_user(name="抢注人")
    shop = make_shop(owner=squatter, name="老街面馆", district="西湖区")
    return Dispute(shop, squatter, make_user(name="真店主"),
                   make_user(role="staff", login="staff@xihu.example.cn", name="张科长", district="西湖区"),
                   make_user(role="staff", login="staff2@xihu.example.cn", name="李干事", district="西湖区"),
                   make_user(role="staff", login="staff@binjiang.example.cn", name="滨江", district="滨江区"))


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 30)).save(out, "JPEG", quality=85)
    return out.getvalue()


def last_code(phone: str) -> str:
    """The code in the newest text to `phone` (the outbox keeps it in development and tests)."""
    from registry.messaging.models import OutboxMessage

    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.phone == phone)
                             .order_by(OutboxMessage.id.desc()).limit(1))
    return re.search(r"\d{6}", body).group(0)


def messages_to(phone: str) -> list[str]:
    from registry.messaging.models import OutboxMessage

    return list(db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.phone == phone)
                                   .order_by(OutboxMessage.id)))
