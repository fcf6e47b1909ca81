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


def accept_offer_and_answer_survey(consumer, shot, offer_shot: str, survey_shot: str | None = None) -> None:
    """On the consumer's case page: accept the shop's offer (the case closes as agreed), then answer
    the follow-up survey (resolved, satisfied, a comment). `shot(page, name)` takes the screenshots."""
    offer = consumer.locator(".callout", has=consumer.get_by_role("heading", name="商家的答复"))
    offer.get_by_role("radio", name="接受，问题已解决").check()
    shot(consumer, offer_shot)
    offer.get_by_role("button", name="提交", exact=True).click()
    expect(consumer.locator(".pill-complaint-closed")).to_have_text("已办结")
    expect(consumer.locator(".pill-outcome")).to_have_text("双方和解")
    survey = consumer.locator(".callout", has=consumer.get_by_role("heading", name="回访"))
    survey.get_by_role("radio", name="已解决", exact=True).check()
    survey.get_by_role("radio", name="满意", exact=True).check()
    survey.get_by_label("还有什么想说的（可选）").fill("处理很及时，谢谢。")
    if survey_shot:
        shot(consumer, survey_shot)
    survey.get_by_role("button", name="提交回访").click()
    expect(consumer.locator(".flash-success")).to_have_text("已提交。")
    expect(consumer.locator(".timeline")).to_contain_text("已解决 · 满意度 4/5")
