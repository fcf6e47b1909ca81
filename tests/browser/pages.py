"""Steps several browser journeys share."""

from __future__ import annotations

from playwright.sync_api import expect


def log_in(page, live, login: str, password: str) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("手机号或邮箱").fill(login)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator(".site-nav")).to_contain_text("退出")
