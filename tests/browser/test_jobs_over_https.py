"""Issue 16: a 5,000-row door-to-door import through a real RQ worker, in production as deployed.

gunicorn (REGISTRY_ENV=production, 30 s worker timeout) behind the shipped nginx over https, Redis for the
limits and the jobs queue, `flask jobs worker` running the job (tests/browser/https_stack.py), on PostgreSQL
when TEST_DATABASE_URL is set. The officer presses 只导入正确的 5000 行: the request returns at once, the
batch page's progress bar (static/js/job-progress.js polling the status JSON under script-src 'self') moves
to the end, and every row is imported exactly once with its audit entry. Screenshots jobs-*.png.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from registry.extensions import db
from tests.conftest import PASSWORD, seed_areas, valid_credit_code

from .conftest import assert_no_horizontal_overflow
from .pages import log_in
from .test_complaint_journey import STAFF_LOGIN

pytestmark = pytest.mark.browser

ROWS = 5000


def seed_officer_and_checked_list(live) -> int:
    """The officer of 西湖区 and their uploaded, checked list of 5,000 shops (through the services)."""
    from registry.auth.models import Role
    from registry.auth.services import create_user
    from registry.campaigns import imports
    from tests.campaigns.conftest import csv_text, shop_row

    with live.app.app_context():
        seed_areas()
        officer = create_user(STAFF_LOGIN, PASSWORD, "西湖区工作人员", Role.STAFF, "西湖区")
        rows = [shop_row(name=f"上门登记{number}号店", credit_code=valid_credit_code(seed=160000 + number))
                for number in range(ROWS)]
        batch = imports.upload_batch("五千家.csv", csv_text(rows).encode(), officer)
        db.session.commit()
        assert batch.valid_count == ROWS, [row["errors"] for row in batch.rows if row["errors"]]
        batch_id = batch.id
        db.session.remove()
    return batch_id


def imported_state(live, batch_id: int) -> dict:
    from registry.audit.models import AuditEntry
    from registry.audit.services import verify_chain
    from registry.campaigns.models import ImportBatch, ShopInvitation
    from registry.jobs.models import Job
    from registry.merchants.models import Merchant

    with live.app.app_context():
        codes = list(db.session.scalars(select(Merchant.credit_code).join(
            ShopInvitation, ShopInvitation.merchant_id == Merchant.id).where(ShopInvitation.batch_id == batch_id)))
        audited = [json.loads(data)["credit_code"] for data in db.session.scalars(
            select(AuditEntry.data).where(AuditEntry.action == "merchant.imported"))]
        job = db.session.scalars(select(Job).where(Job.subject_id == batch_id)).one()
        chain = verify_chain()
        batch = db.session.get(ImportBatch, batch_id)
        state = {"codes": len(codes), "distinct": len(set(codes)), "audited": sorted(audited) == sorted(codes),
                 "batch": (batch.status, batch.imported_count), "job": (job.status, job.attempts, job.done, job.total),
                 "worker_seconds": (job.finished_at - job.started_at).total_seconds(),
                 "shops": db.session.scalar(select(func.count()).select_from(Merchant)), "chain": chain.ok}
        db.session.remove()
    return state


def test_a_5000_row_import_runs_on_the_worker_while_the_request_returns_at_once(
        https_jobs_server, desktop_context, phone_context, screenshot_dir):
    def shot(page, name):
        # The batch page lists 500 rows below the bar: the first screen is the picture, not 30,000 px of table.
        page.screenshot(path=str(screenshot_dir / f"{name}.png"), full_page=False, timeout=60000)
        assert_no_horizontal_overflow(page)

    live = https_jobs_server
    batch_id = seed_officer_and_checked_list(live)
    problems = []  # CSP violations or script errors on the page: the bar must move by our own script only
    desktop = desktop_context(ignore_https_errors=True).new_page()
    desktop.on("console", lambda message: problems.append(message.text)
               if message.type == "error" and "Failed to load resource" not in message.text else None)
    desktop.on("response", lambda response: problems.append(f"{response.status} {response.url}")
               if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
    desktop.on("pageerror", lambda error: problems.append(str(error)))
    log_in(desktop, live, STAFF_LOGIN, PASSWORD)
    desktop.goto(f"{live.url}/staff/campaigns/batches/{batch_id}")

    started = time.monotonic()
    with desktop.expect_request_finished(lambda request: request.url.endswith("/decision")) as decision:
        with desktop.expect_navigation():
            desktop.get_by_role("button", name=f"只导入正确的 {ROWS} 行").click()
    answered = time.monotonic() - started  # the POST, its redirect and the batch page with 500 rows drawn
    post_seconds = decision.value.timing["responseEnd"] / 1000  # the POST alone, as the browser timed it

    status_url = desktop.locator("[data-job-status]").get_attribute("data-job-status")
    seen, pictured = [], False
    while True:
        status = desktop.request.get(f"{live.url}{status_url}").json()
        seen.append(status["done"])
        if not pictured and status["status"] == "running" and 0 < status["done"] < ROWS // 2:
            # Mid-way: the bar on the page has moved by itself (the script polls the same JSON).
            expect(desktop.locator(".import-job progress")).to_have_attribute("value", re.compile(r"^[1-9][0-9]*$"))
            shot(desktop, "jobs-01-import-progress-desktop")
            phone = phone_context(ignore_https_errors=True).new_page()
            phone.context.add_cookies(desktop.context.cookies())
            phone.goto(f"{live.url}/staff/campaigns/batches/{batch_id}")
            expect(phone.locator(".import-job progress")).to_be_visible()
            shot(phone, "jobs-02-import-progress-phone")
            pictured = True
        if status["finished"] or time.monotonic() - started > 120:
            break
        time.sleep(0.5)

    # The page's own script reloads it when the job ends: the result, without anyone pressing refresh.
    expect(desktop.locator(".card h2").first).to_contain_text(f"已导入 {ROWS} 家店铺", timeout=15000)
    shot(desktop, "jobs-03-import-done-desktop")
    state = imported_state(live, batch_id)
    print(f"\n5,000-row import: the POST answered in {post_seconds:.2f} s, the batch page was back in "
          f"{answered:.2f} s; the worker took "
          f"{state['worker_seconds']:.1f} s; progress seen: {sorted(set(seen))[:12]}…")

    assert status["status"] == "done", status
    assert post_seconds < 2 and answered < 5 and answered < state["worker_seconds"] / 4
    assert any(0 < done < ROWS for done in seen), seen  # the bar moved through the chunks, not 0 → done
    assert state["codes"] == state["distinct"] == state["shops"] == ROWS and state["audited"] and state["chain"]
    assert state["batch"] == ("imported", ROWS) and state["job"] == ("done", 1, ROWS, ROWS)
    assert problems == []
