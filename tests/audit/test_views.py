"""The audit log page: staff and admins only; filters, paging, newest first; data shown readably and never
a consumer's phone number; the chain check's result."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text, update

from conftest import LOGIN_REDIRECT, MATRIX_ROLES, assert_answer
from registry.audit.models import AuditEntry
from registry.audit.services import record
from registry.audit.triggers import downgrade_statements
from registry.extensions import db

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


def entry_ids(response) -> list[int]:
    """The entry numbers listed, in page order."""
    return [int(n) for n in re.findall(r'<td class="mono"[^>]*>(\d+)</td>', response.get_data(as_text=True))]


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def all_entries() -> list[tuple]:
    db.session.expire_all()
    return list(db.session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id)).all())


# --- Who may open what ---------------------------------------------------------------------------------

ANSWERS = {"anonymous": LOGIN_REDIRECT, "merchant": 403, "other_merchant": 403, "staff": 200,
           "staff_elsewhere": 200, "admin": 200}


@pytest.mark.parametrize("role", MATRIX_ROLES)
@pytest.mark.parametrize("path", ["/staff/audit", "/staff/audit?action=pledge.&actor=system&date_from=2026-01-01",
                                  "/staff/audit/verify"])
def test_staff_and_administrators_read_the_audit_log(client, login_as, matrix_people, path, role):
    if role != "anonymous":
        login_as(client, matrix_people[role])
    before = all_entries()

    response = client.get(path)

    assert_answer(response, ANSWERS[role], path)
    assert all_entries() == before
    if response.status_code == 200:
        assert response.headers["Cache-Control"] == "no-store"


# --- The list --------------------------------------------------------------------------------------------

@pytest.fixture
def staff(make_user):
    return make_user(role="staff", name="陈工")


@pytest.fixture
def staff_client(client, login_as, staff):
    return login_as(client, staff)


@pytest.fixture
def log(app, staff, make_user):
    """A small history: the ids of entries by staff, by the system and by a merchant, in order."""
    merchant = make_user(name="王美好")
    ids = {
        "staff_user": record("user.role_changed", merchant, staff, old="merchant", new="staff").id,
        "system": record("merchant.standing_changed", merchant, None, old="active", new="lapsed", reason="expired").id,
        "merchant": record("pledge.signed", merchant, merchant, version=1, signer_name="王美好").id,
    }
    db.session.commit()
    return ids


def test_newest_first_with_who_did_what_readably(staff_client, log):
    response = staff_client.get("/staff/audit")

    assert entry_ids(response) == [log["merchant"], log["system"], log["staff_user"]]
    page = text_of(response)
    assert "修改角色" in page and "user.role_changed" in page
    assert "原值 merchant 新值 staff" in page
    assert "陈工" in page and "系统" in page
    assert "共 3 条记录" in page


@pytest.mark.parametrize(("query", "expected"), [
    ("action=user.", ["staff_user"]),
    ("action=merchant.standing_changed", ["system"]),
    ("actor=system", ["system"]),
    ("subject_type=user", ["merchant", "system", "staff_user"]),
    ("subject_type=merchant", []),
    ("action=pledge.%25", []),  # a LIKE wildcard in the prefix is just a character
])
def test_filters(staff_client, log, query, expected):
    assert entry_ids(staff_client.get(f"/staff/audit?{query}")) == [log[name] for name in expected]


def test_filter_by_actor_and_subject_id(staff_client, log, staff):
    assert entry_ids(staff_client.get(f"/staff/audit?actor={staff.id}")) == [log["staff_user"]]
    subject = db.session.get(AuditEntry, log["system"]).subject_id
    assert entry_ids(staff_client.get(f"/staff/audit?subject_type=user&subject_id={subject}")) == [
        log["merchant"], log["system"], log["staff_user"]]
    assert entry_ids(staff_client.get("/staff/audit?subject_id=999999")) == []


def test_filter_by_date_range_in_beijing_days(staff_client, log):
    # Two entries just either side of midnight 1 November in Beijing (16:00 UTC on 31 October).
    with_time = {log["system"]: datetime(2026, 10, 31, 15, 59, tzinfo=timezone.utc),
                 log["merchant"]: datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc)}
    # Moving entries in time means changing them: the triggers are dropped for the test.
    for statement in downgrade_statements(db.engine.dialect.name):
        db.session.execute(text(statement))
    for entry_id, moment in with_time.items():
        db.session.execute(update(AuditEntry).where(AuditEntry.id == entry_id).values(created_at=moment))
    db.session.commit()

    assert entry_ids(staff_client.get("/staff/audit?date_from=2026-11-01&date_to=2026-11-01")) == [log["merchant"]]
    assert entry_ids(staff_client.get("/staff/audit?date_to=2026-10-31")) == [log["system"]]
    bad = staff_client.get("/staff/audit?date_from=十一月")
    assert "请按“2027-01-01”的格式填写日期。" in bad.get_data(as_text=True)
    assert len(entry_ids(bad)) == 3  # the bad filter is left out, not applied


def test_the_log_is_paged(staff_client, staff):
    first = [record("test.action", staff, staff, n=n).id for n in range(55)]
    db.session.commit()

    assert entry_ids(staff_client.get("/staff/audit")) == first[::-1][:50]
    assert entry_ids(staff_client.get("/staff/audit?page=2")) == first[4::-1]


def test_a_consumer_phone_never_reaches_the_audit_log(app, staff_client, make_shop, make_user, tmp_path):
    """A complaint's consumer phone is filed, accepted and mediated: the audit data never holds it."""
    from tests.complaints.helpers import PHONE, World, do, file

    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    owner = make_user()
    shop = make_shop(owner=owner, district="西湖区")
    admin = make_user(role="admin")
    w = World(shop, owner, make_user(), make_user(role="staff", district="西湖区"), None, admin)
    complaint, _token = file(shop)
    for action in ("accept", "merchant_reply", "reject_offer", "schedule_mediation", "record_mediated"):
        do(action, complaint, w)
        db.session.commit()

    data = " ".join(db.session.scalars(select(AuditEntry.data)))
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"complaint.filed", "complaint.accept", "complaint.record_mediated"} <= actions
    assert PHONE not in data
    for entry in db.session.scalars(select(AuditEntry)):
        assert PHONE not in json.dumps(json.loads(entry.data), ensure_ascii=False)
    pages = [staff_client.get("/staff/audit").get_data(as_text=True),
             staff_client.get("/staff/audit?action=complaint.").get_data(as_text=True)]
    assert all(PHONE not in page for page in pages)


def test_a_mobile_number_recorded_by_mistake_is_masked_on_the_page(staff_client, staff):
    record("test.action", staff, staff, note="请回电 13867452301", credit_code="91330106MA2H13867X")
    db.session.commit()

    page = staff_client.get("/staff/audit").get_data(as_text=True)

    assert "13867452301" not in page and "138****2301" in page
    assert "91330106MA2H13867X" in page  # codes that merely contain digits are left alone


def test_user_text_is_escaped(staff_client, staff):
    record("test.action", staff, staff, note="<script>alert(1)</script>")
    db.session.commit()

    page = staff_client.get("/staff/audit").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


# --- The chain check -----------------------------------------------------------------------------------

def test_the_check_reports_an_intact_chain_with_its_length(staff_client, log):
    response = staff_client.get("/staff/audit/verify")

    assert response.status_code == 200
    assert "日志完整 ：已校验全部 3 条记录，哈希链完好，没有发现改动。" in text_of(response)
    # The ordinary page does not walk the chain.
    assert "哈希链完好" not in text_of(staff_client.get("/staff/audit"))


def test_the_check_names_the_first_tampered_entry(staff_client, log):
    for statement in downgrade_statements(db.engine.dialect.name):
        db.session.execute(text(statement))
    db.session.execute(text("UPDATE audit_entries SET data = :data WHERE id = :id"),
                       {"data": '{"new": "active", "old": "active", "reason": "expired"}', "id": log["system"]})
    db.session.commit()

    response = staff_client.get("/staff/audit/verify")

    page = text_of(response)
    assert f"日志已被改动 ：第一条有问题的记录是 #{log['system']}。" in page
    assert "内容与哈希值不符：这条记录被改动过。" in page
    assert "在它之前的 1 条记录校验通过。" in page
    assert f'href="/staff/audit?until={log["system"]}"' in response.get_data(as_text=True)
    assert entry_ids(staff_client.get(f"/staff/audit?until={log['system']}")) == [log["system"], log["staff_user"]]
