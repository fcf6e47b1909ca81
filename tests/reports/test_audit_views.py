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
    assert "原值 商户 新值 工作人员" in page and "原值 有效 新值 已过期" not in page
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


# --- District scope --------------------------------------------------------------------------------------

def test_district_staff_read_their_districts_entries_and_their_own_admins_read_all(app, make_user, make_shop,
                                                                                  matrix_people, login_as):
    """Two districts: each officer reads what concerns shops (and consultations) of their district and what
    they did themselves; entries with no district (pledge texts, flag rules, accounts) only if they made them.
    Administrators and area-wide staff read everything."""
    from registry.consultations.models import Consultation
    from registry.clock import utcnow
    from registry.moderation import flags, sanctions
    from registry.moderation.models import RULE_BURST_SAME_PHONE
    from registry.moderation.sanctions import SanctionInput

    xihu_shop, xihu_staff = matrix_people["shop"], matrix_people["staff"]
    binjiang_staff, admin = matrix_people["staff_elsewhere"], matrix_people["admin"]
    binjiang_shop = make_shop(name="滨江小店", district="滨江区")
    area_staff = make_user(role="staff", name="全区工作人员")
    xihu_warning = sanctions.issue_warning(xihu_shop, xihu_staff, SanctionInput("inferior", "以次充好。"))
    binjiang_warning = sanctions.issue_warning(binjiang_shop, binjiang_staff, SanctionInput("inferior", "以次充好。"))
    consultations = {}
    for district in ("西湖区", "滨江区"):
        consultations[district] = Consultation(channel="phone", topic="退货", district=district, summary="咨询退货。",
                                               outcome="answered", received_at=utcnow(), recorded_by_id=admin.id)
        db.session.add(consultations[district])
        db.session.flush()
        record("consultation.recorded", consultations[district], admin, district=district)
    flags.update_rule(RULE_BURST_SAME_PHONE, admin, True, 4, 7)  # area-wide, by an administrator
    record("campaign.posters_printed", xihu_staff, xihu_staff, district="西湖区")  # the officer's own action
    db.session.commit()

    def belongs(entry, shop, sanction, consultation, officer) -> bool:
        from registry.badges.models import Badge
        from registry.pledges.models import Signature

        of_shop = {("merchant", shop.id), ("sanction", sanction.id), ("consultation", consultation.id),
                   ("user", officer.id)}
        of_shop |= {("badge", i) for i in db.session.scalars(select(Badge.id).where(Badge.merchant_id == shop.id))}
        of_shop |= {("signature", i) for i in db.session.scalars(select(Signature.id)
                                                                 .where(Signature.merchant_id == shop.id))}
        return (entry.subject_type, entry.subject_id) in of_shop or entry.actor_id == officer.id

    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).all()
    assert len(entries) < 50  # one page
    xihu = [e.id for e in entries if belongs(e, xihu_shop, xihu_warning, consultations["西湖区"], xihu_staff)]
    binjiang = [e.id for e in entries
                if belongs(e, binjiang_shop, binjiang_warning, consultations["滨江区"], binjiang_staff)]
    assert set(xihu) & set(binjiang) == set()
    assert {"merchant.registered", "pledge.signed", "badge.issued", "sanction.warning_issued",
            "merchant.standing_changed", "consultation.recorded", "campaign.posters_printed"} \
        <= {e.action for e in entries if e.id in xihu}
    assert {"flag_rule.updated", "pledge.published"} <= {e.action for e in entries if e.id not in xihu}

    xihu_page = login_as(app.test_client(), xihu_staff).get("/staff/audit")
    assert entry_ids(xihu_page) == xihu
    assert "与西湖区有关的记录" in text_of(xihu_page)
    assert entry_ids(login_as(app.test_client(), binjiang_staff).get("/staff/audit")) == binjiang
    every = [e.id for e in entries]
    assert entry_ids(login_as(app.test_client(), admin).get("/staff/audit")) == every
    assert entry_ids(login_as(app.test_client(), area_staff).get("/staff/audit")) == every
    assert "有关的记录" not in text_of(login_as(app.test_client(), admin).get("/staff/audit"))

    # Filters narrow the district's entries, never widen them.
    filtered = login_as(app.test_client(), xihu_staff).get("/staff/audit?action=sanction.")
    assert entry_ids(filtered) == [e.id for e in entries if e.id in xihu and e.action.startswith("sanction.")]
    other_shop = login_as(app.test_client(), xihu_staff).get(f"/staff/audit?subject_type=merchant"
                                                              f"&subject_id={binjiang_shop.id}")
    assert entry_ids(other_shop) == []


def test_codes_recorded_with_an_action_are_shown_by_their_names(staff_client, staff, make_shop):
    shop = make_shop()
    record("merchant.standing_changed", shop, staff, old="active", new="revoked", reason="revoked")
    record("sanction.revocation_approved", shop, staff, merchant_id=shop.id, kind="revocation")
    record("sanction.ended", shop, None, kind="suspension", reason="appeal_granted")
    db.session.commit()
    page = text_of(staff_client.get("/staff/audit"))
    assert "批准撤销承诺" in page and "店铺状态变更" in page and "处理决定结束" in page
    assert "原值 有效承诺 新值 已撤销 原因 撤销承诺" in page and "revoked" not in page
    assert "类别 撤销" in page and "申诉成立，已撤销" in page
