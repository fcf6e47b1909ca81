"""Steps several browser journeys share."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from registry.extensions import db


def log_in(page, live, login: str, password: str) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("手机号或邮箱").fill(login)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator(".site-nav")).to_contain_text("退出")


def newest_sms_code(live, phone: str, purpose: str) -> str:
    """The 6-digit code in the newest `purpose` message the outbox "sent" to `phone`."""
    from registry.messaging.models import OutboxMessage

    with live.app.app_context():
        body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.phone == phone,
                                                                  OutboxMessage.purpose == purpose)
                                 .order_by(OutboxMessage.id.desc()).limit(1))
        db.session.remove()
    assert body is not None, f"no {purpose} SMS sent to {phone}"
    return re.search(r"\b(\d{6})\b", body)[1]
