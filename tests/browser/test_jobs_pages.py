"""The jobs pages in Chromium at 390 and 1280 px: a refused import says why on the page that started it,
and a page without scripts refreshes itself and offers a refresh link (screenshots jobs-04…06)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from registry.extensions import db
from tests.conftest import PASSWORD, shop_details, valid_credit_code

from .pages import log_in

pytestmark = pytest.mark.browser

OFFICER = "jobs-officer@demo.cxm"


def seed(live) -> dict:
    """The officer of 西湖区, a list of two shops whose second code was registered after the upload, and a
    queued job (no worker in this test server's settings would run it: it is made by hand)."""
    from registry.auth.models import Role
    from registry.auth.services import create_user
    from registry.campaigns import imports
    from registry.jobs.models import Job
    from registry.merchants.services import register_shop
    from tests.campaigns.conftest import csv_text, shop_row

    with live.app.app_context():
        officer = create_user(OFFICER, PASSWORD, "西湖区工作人员", Role.STAFF, "西湖区")
        code = valid_credit_code()
        batch = imports.upload_batch("名单.csv", csv_text([shop_row(), shop_row(credit_code=code)]).encode(), officer)
        register_shop(create_user("13900000001", PASSWORD, "王美好"), shop_details(credit_code=code))
        queued = Job(kind="campaigns.posters", function="registry.campaigns.poster_jobs:draw_posters",
                     params_json='{"district": "西湖区", "township": "", "batch_id": null}', started_by_id=officer.id,
                     district="西湖区", status="queued")
        db.session.add(queued)
        db.session.commit()
        facts = {"batch": batch.id, "queued": queued.id}
        db.session.remove()
    return facts


def test_a_refused_import_and_a_page_without_scripts(live_server, phone_context, desktop_context, shot):
    facts = seed(live_server)
    desktop = desktop_context().new_page()
    log_in(desktop, live_server, OFFICER, PASSWORD)
    desktop.goto(f"{live_server.url}/staff/campaigns/batches/{facts['batch']}")
    desktop.get_by_role("button", name="只导入正确的 2 行").click()

    failure = desktop.locator(".job-failure")
    expect(failure).to_contain_text("任务没有完成：第 3 行在上传之后出现了新问题")
    expect(failure).to_contain_text("没有导入任何店铺")
    expect(desktop.get_by_role("button", name="重试")).to_have_count(0)
    expect(desktop.get_by_role("button", name="只导入正确的 2 行")).to_be_visible()  # the batch waits again
    shot(desktop, "jobs-04-import-refused-desktop")
    phone = phone_context().new_page()
    phone.context.add_cookies(desktop.context.cookies())
    phone.goto(desktop.url)
    expect(phone.locator(".job-failure")).to_be_visible()
    shot(phone, "jobs-05-import-refused-phone")

    no_script = desktop_context(java_script_enabled=False).new_page()
    no_script.context.add_cookies(desktop.context.cookies())
    no_script.goto(f"{live_server.url}/staff/jobs/{facts['queued']}")
    expect(no_script.locator(".job-progress-text")).to_have_text("排队中，马上开始…")
    expect(no_script.get_by_role("link", name="刷新查看进度")).to_be_visible()
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in no_script.content()
    shot(no_script, "jobs-06-queued-without-scripts-desktop")
