"""Jobs as staff meet them: a killed import retried imports each row once, a refusal is shown in words,
only the starter and their district's staff may follow a job, and production never runs one in a request."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from conftest import valid_credit_code
from registry.audit.models import AuditEntry
from registry.audit.services import verify_chain
from registry.campaigns import imports
from registry.campaigns.models import ImportBatch, ShopInvitation
from registry.clock import utcnow
from registry.extensions import db
from registry.jobs.models import Job
from registry.merchants.models import Merchant
from registry.merchants.services import register_shop
from registry.reports.models import ReportSnapshot
from tests.campaigns.conftest import csv_text, shop_row
from tests.conftest import shop_details


def text_of(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


@pytest.fixture
def officer(make_user, login_as, client):
    user = make_user(role="staff", name="西湖区工作人员", district="西湖区")
    login_as(client, user)
    return user


def upload(client, rows) -> ImportBatch:
    client.post("/staff/campaigns/upload", data={"file": (io.BytesIO(csv_text(rows).encode()), "名单.csv")},
                content_type="multipart/form-data")
    return db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()


def decide(client, batch):
    return client.post(f"/staff/campaigns/batches/{batch.id}/decision", data={"import_valid": "1"})


def the_job() -> Job:
    db.session.expire_all()
    return db.session.scalars(select(Job).order_by(Job.id.desc())).first()


def imported_codes(batch) -> list[str]:
    return list(db.session.scalars(select(Merchant.credit_code).join(
        ShopInvitation, ShopInvitation.merchant_id == Merchant.id).where(ShopInvitation.batch_id == batch.id)))


def audited_codes(batch) -> list[str]:
    entries = db.session.scalars(select(AuditEntry.data).where(AuditEntry.action == "merchant.imported"))
    return [data["credit_code"] for data in map(json.loads, entries) if data["batch_id"] == batch.id]


def test_an_import_killed_midway_and_retried_imports_each_row_once(client, officer, monkeypatch):
    monkeypatch.setattr(imports, "IMPORT_CHUNK", 40)
    rows = [shop_row(name=f"老街小吃{i}号店") for i in range(130)]
    batch = upload(client, rows)
    real_chunk, calls = imports._import_chunk, []

    def dies_on_the_third_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker killed")  # as if the process died: the third chunk never commits
        return real_chunk(*args, **kwargs)

    monkeypatch.setattr(imports, "_import_chunk", dies_on_the_third_chunk)
    started = decide(client, batch)
    job = the_job()

    assert started.status_code == 302
    assert (job.status, job.failure, job.done, job.total, job.attempts) == ("failed", "crashed", 80, 130, 1)
    assert len(imported_codes(batch)) == 80 and db.session.get(ImportBatch, batch.id).status == "importing"
    page = text_of(client.get(f"/staff/campaigns/batches/{batch.id}"))
    assert "任务意外中断" in page and "不会重复导入" in page and "重试" in page

    monkeypatch.setattr(imports, "_import_chunk", real_chunk)
    retried = client.post(f"/staff/jobs/{job.id}/retry", data={})
    job = the_job()

    assert retried.status_code == 302
    assert (job.status, job.done, job.total, job.attempts) == ("done", 130, 130, 2)
    codes = imported_codes(batch)
    assert len(codes) == len(set(codes)) == 130
    assert sorted(audited_codes(batch)) == sorted(codes)  # one audit entry per shop, none twice
    assert verify_chain().ok  # entries written a chunk at a time still chain in id order
    batch = db.session.get(ImportBatch, batch.id)
    assert (batch.status, batch.imported_count) == ("imported", 130)
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "campaign.batch_imported")) == 1
    assert client.post(f"/staff/jobs/{job.id}/retry", data={}).status_code == 302  # nothing to retry now
    assert len(imported_codes(batch)) == 130


def test_a_job_whose_worker_vanished_is_shown_as_stalled_and_may_be_retried(client, officer, clock):
    batch = upload(client, [shop_row()])
    decide(client, batch)
    job = the_job()
    job.status, job.heartbeat_at = "running", utcnow() - timedelta(minutes=10)
    db.session.commit()

    page = text_of(client.get(f"/staff/jobs/{job.id}"))
    status = client.get(f"/staff/jobs/{job.id}/status").get_json()

    assert "任务很久没有进展" in page and "重试" in page
    assert status["stalled"] is True and status["finished"] is False
    client.post(f"/staff/jobs/{job.id}/retry", data={})
    assert the_job().status == "done" and len(imported_codes(batch)) == 1


def test_a_refused_import_says_why_and_the_batch_waits_for_a_decision_again(client, officer, make_user):
    code = valid_credit_code()
    batch = upload(client, [shop_row(), shop_row(credit_code=code)])
    register_shop(make_user(), shop_details(credit_code=code, district="西湖区"))
    db.session.commit()

    decide(client, batch)
    job = the_job()
    page = text_of(client.get(f"/staff/campaigns/batches/{batch.id}"))
    job_page = text_of(client.get(f"/staff/jobs/{job.id}"))

    assert (job.status, job.failure) == ("failed", "refused")
    assert "第 3 行在上传之后出现了新问题" in job.message and "没有导入任何店铺" in job.message
    assert "任务没有完成" in page and "第 3 行在上传之后出现了新问题" in page
    assert "重试" not in job_page  # running it again would be refused again
    assert imported_codes(batch) == [] and db.session.get(ImportBatch, batch.id).status == "validated"


def test_the_status_answers_the_progress_as_json(client, officer):
    batch = upload(client, [shop_row(), shop_row()])
    decide(client, batch)
    job = the_job()

    status = client.get(f"/staff/jobs/{job.id}/status")

    assert status.mimetype == "application/json" and status.headers["Cache-Control"] == "no-store"
    assert status.get_json() | {"text": None} == {"id": job.id, "status": "done", "stage": "importing", "done": 2,
                                                  "total": 2, "percent": 100, "finished": True, "stalled": False,
                                                  "text": None}


def test_only_the_starter_and_staff_of_the_same_district_follow_a_job(client, officer, make_user, login_as, app):
    batch = upload(client, [shop_row()])
    decide(client, batch)
    job = the_job()
    paths = [f"/staff/jobs/{job.id}", f"/staff/jobs/{job.id}/status"]
    answers = {}
    for name, user in {"colleague": make_user(role="staff", district="西湖区"),
                       "elsewhere": make_user(role="staff", district="滨江区"),
                       "area-wide": make_user(role="staff"), "merchant": make_user()}.items():
        other = login_as(app.test_client(), user)
        answers[name] = [other.get(path).status_code for path in paths] + [
            other.post(f"/staff/jobs/{job.id}/retry", data={}).status_code]
        listed = other.get("/staff/jobs")
        answers[name].append(f"/staff/jobs/{job.id}\"" in listed.get_data(as_text=True))
    anonymous = app.test_client().get(paths[0])

    assert answers == {"colleague": [200, 200, 302, True], "elsewhere": [403, 403, 403, False],
                       "area-wide": [200, 200, 302, True], "merchant": [403, 403, 403, False]}
    assert anonymous.status_code == 302 and "/login" in anonymous.location


def test_a_job_file_is_only_handed_to_those_who_may_see_the_job(client, officer, make_user, login_as, app):
    from registry.jobs.models import JobStatus

    job = Job(kind="campaigns.posters", function="x:y", started_by_id=officer.id, district="西湖区",
              status=JobStatus.DONE.value, result_json='{"count": 1}', file_data=b"%PDF-1.4", file_name="posters.pdf",
              file_type="application/pdf")
    db.session.add(job)
    db.session.commit()
    elsewhere = login_as(app.test_client(), make_user(role="staff", district="滨江区"))

    assert client.get(f"/staff/jobs/{job.id}/file").data == b"%PDF-1.4"
    assert elsewhere.get(f"/staff/jobs/{job.id}/file").status_code == 403


def test_production_without_a_queue_never_runs_a_job_in_the_request(client, officer, app):
    batch = upload(client, [shop_row()])
    app.config["REGISTRY_ENV"] = "production"
    try:
        decide(client, batch)
    finally:
        app.config["REGISTRY_ENV"] = "testing"
    job = the_job()

    assert (job.status, job.failure, job.stage, job.attempts) == ("failed", "crashed", "unqueued", 0)
    assert imported_codes(batch) == []
    assert "后台任务队列暂时无法使用" in text_of(client.get(f"/staff/jobs/{job.id}"))
    client.post(f"/staff/jobs/{job.id}/retry", data={})  # the queue is back (here: run in-process again)
    assert the_job().status == "done" and len(imported_codes(batch)) == 1


def test_a_queue_that_cannot_be_reached_fails_the_job_in_words_instead_of_a_500(client, officer, app):
    batch = upload(client, [shop_row()])
    app.config["JOBS_REDIS_URL"] = "redis://127.0.0.1:9/0"  # nothing listens there
    try:
        response = decide(client, batch)
    finally:
        app.config["JOBS_REDIS_URL"] = None

    assert response.status_code == 302
    assert (the_job().status, the_job().stage) == ("failed", "unqueued")


def test_administrators_recount_the_public_figures_now(client, make_user, login_as, app):
    admin = login_as(client, make_user(role="admin"))
    staff = login_as(app.test_client(), make_user(role="staff"))

    refused = staff.post("/staff/publishing/figures", data={})
    started = admin.post("/staff/publishing/figures", data={})
    job = the_job()

    assert refused.status_code == 302 and job.started_by.role == "admin"
    assert job.status == "done" and db.session.scalar(select(func.count()).select_from(ReportSnapshot)) == 2
    assert "公开统计数字已更新" in text_of(admin.get(started.location))


def test_administrators_export_the_open_data_now(client, make_user, login_as, app, tmp_path):
    app.config["OPENDATA_DIR"] = str(tmp_path / "opendata")
    admin = login_as(client, make_user(role="admin"))

    started = admin.post("/staff/publishing/open-data", data={})
    job = the_job()

    assert job.status == "done", job.message
    assert "开放数据已导出" in text_of(admin.get(started.location))
    assert {path.name.split("-")[0] for path in (tmp_path / "opendata").glob("*.csv")} == {"standings", "sanctions"}


def test_a_poster_pdf_is_kept_a_week_with_its_job(client, officer, clock):
    from registry.jobs import runner
    from registry.jobs.services import Outcome

    old = Job(kind="campaigns.posters", function="x:y", started_by_id=officer.id, district="西湖区", status="done",
              result_json='{"count": 1}', file_data=b"%PDF", file_name="posters.pdf", file_type="application/pdf",
              finished_at=utcnow() - timedelta(days=8))
    recent = Job(kind="campaigns.posters", function="x:y", started_by_id=officer.id, district="西湖区", status="done",
                 result_json='{"count": 1}', file_data=b"%PDF", file_name="posters.pdf", file_type="application/pdf",
                 finished_at=utcnow() - timedelta(days=6))
    finishing = Job(kind="reports.snapshot", function="x:y", started_by_id=officer.id, status="running")
    db.session.add_all([old, recent, finishing])
    db.session.commit()

    runner._finish(finishing.id, runner.JobStatus.DONE, outcome=Outcome({"years": []}))

    assert client.get(f"/staff/jobs/{old.id}/file").status_code == 404
    assert "已经删除" in text_of(client.get(f"/staff/jobs/{old.id}"))
    assert client.get(f"/staff/jobs/{recent.id}/file").data == b"%PDF"
