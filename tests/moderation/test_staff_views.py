"""The staff moderation pages through HTTP: the dashboard at /staff/ (the complaint queue moved to
/staff/complaints), a flag handled and a shop suspended, the two-person rule behind the buttons and
what the QR page then says. (The access matrix is in test_access.py.)"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.moderation import flags, sanctions
from registry.moderation.models import Flag, Sanction
from registry.moderation.sanctions import SanctionInput

from .helpers import REASON, audit_actions, file, flashes, fresh, messages_to, plain, qr_page, text

pytestmark = pytest.mark.usefixtures("fresh_request_globals")


# --- Dashboard and the moved complaint queue --------------------------------------------------------

def test_the_dashboard_is_at_staff_and_the_complaint_queue_moved(client, world, login_as, make_shop):
    late = file(world.shop)
    late.due_date = date(2026, 2, 20)
    db.session.commit()
    flags.report_misused_badge(world.shop, "", None)
    db.session.commit()
    login_as(client, world.staff)

    html = text(client.get("/staff/"))
    assert "<h1>工作台</h1>" in html
    assert "负责区县：西湖区" in html
    urgent = plain(html)
    assert late.tracking_number in urgent and "已逾期" in urgent
    assert world.shop.name in urgent  # the open flag
    assert "本月数据" in urgent

    queue = client.get("/staff/complaints")
    assert queue.status_code == 200 and "<h1>投诉处理</h1>" in text(queue)
    assert late.tracking_number in text(queue)
    assert 'href="/staff/complaints"' in html  # the navigation's complaint link
    assert 'href="/staff/"' in html


# --- A flag handled and a shop suspended --------------------------------------------------------------

def test_staff_dismisses_a_flag_with_a_note(client, world, login_as):
    flag = flags.raise_staff_flag(world.shop, world.staff2, "夜间经营扰民，需核实。")
    db.session.commit()
    login_as(client, world.staff)
    assert world.shop.name in text(client.get("/staff/flags"))

    refused = client.post(f"/staff/flags/{flag.id}/dismiss", data={"note": "  "})
    assert refused.status_code == 400
    assert "请说明为什么不需要处理。" in text(refused)
    assert db.session.get(Flag, flag.id).status == "open"

    done = client.post(f"/staff/flags/{flag.id}/dismiss", data={"note": "已上门核实，未发现问题。"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/flags")
    db.session.expire_all()
    flag = db.session.get(Flag, flag.id)
    assert (flag.status, flag.resolved_by_id, flag.resolution_note) == ("dismissed", world.staff.id,
                                                                        "已上门核实，未发现问题。")
    again = client.post(f"/staff/flags/{flag.id}/dismiss", data={"note": "再来一次"}, follow_redirects=True)
    assert "这条标记刚刚已被处理" in text(again)


def test_staff_suspends_a_shop_from_a_flag_and_the_qr_page_says_so(client, world, login_as, frozen):
    flag = flags.report_misused_badge(world.shop, "文三路另一家店门口也贴着", "S-1")
    db.session.commit()
    login_as(client, world.staff)
    page = text(client.get(f"/staff/shops/{world.shop.id}?flag={flag.id}"))
    assert f"正在处理标记 #{flag.id}" in page
    assert f'<option value="{flag.id}" selected>' in page and 'name="suspension-flag_id"' in page

    # The date is missing: the form comes back with the message next to the field and what was typed.
    refused = client.post(f"/staff/shops/{world.shop.id}/suspension", data={
        "suspension-clause_kind": "counterfeit", "suspension-public_reason": REASON, "suspension-ends": "date",
        "suspension-until": "", "suspension-flag_id": str(flag.id)})
    assert refused.status_code == 400
    assert "请填写暂停截止日期，或选择“整改后恢复”。" in text(refused)
    assert REASON in text(refused)
    assert fresh(world.shop).standing == "active" and db.session.get(Flag, flag.id).status == "open"

    done = client.post(f"/staff/shops/{world.shop.id}/suspension", data={
        "suspension-clause_kind": "counterfeit", "suspension-public_reason": REASON, "suspension-ends": "date",
        "suspension-until": "2026-03-20", "suspension-internal_note": "现场检查", "suspension-flag_id": str(flag.id)})
    assert done.status_code == 302
    shop = fresh(world.shop)
    assert (shop.standing, shop.standing_reason) == ("suspended", REASON)
    sanction = db.session.scalar(select(Sanction))
    assert (sanction.kind, sanction.last_day, sanction.issued_by_id) == ("suspension", date(2026, 3, 20), world.staff.id)
    assert db.session.get(Flag, flag.id).sanction_id == sanction.id
    assert "暂停至 2026-03-20" in messages_to(shop.contact_phone)[-1]

    client.post("/logout")
    words = plain(qr_page(client, shop))
    assert "暂停至 2026-03-20" in words and f"原因：{REASON}" in words
    assert "处理记录" in words
    assert "现场检查" not in words  # internal notes stay internal

    frozen.set(datetime(2026, 3, 21, 2, 0, tzinfo=timezone.utc))  # the day after: ended by itself
    words = plain(qr_page(client, shop))
    assert "有效承诺" in words and "暂停至" not in words
    assert "已到期" in words  # still listed among the marks, as ended


def test_a_suspension_until_rectified_and_a_warning_read_plainly(client, world):
    sanctions.suspend(world.shop, world.staff, SanctionInput("inferior", "以陈米冒充新米。"), None, True)
    sanctions.issue_warning(world.other_shop, world.staff, SanctionInput("price_fraud", "价签与结算价不符。"))
    db.session.commit()
    words = plain(qr_page(client, world.shop))
    assert "暂停，整改后恢复" in words and "原因：以陈米冒充新米。" in words
    words = plain(qr_page(client, world.other_shop))
    assert "警示：价签与结算价不符。" in words and "2026-03-02 起公开警示" in words and "公示至 2027-03-02" in words


def test_the_search_page_shows_sanctions(client, world, frozen):
    sanctions.suspend(world.shop, world.staff, SanctionInput("inferior", "以陈米冒充新米。"), date(2026, 3, 5), False)
    db.session.commit()
    html = text(client.get("/search?q=美好"))
    assert "pill-suspended" in html
    frozen.set(datetime(2026, 3, 6, 2, 0, tzinfo=timezone.utc))
    html = text(client.get("/search?q=美好"))
    assert "pill-suspended" not in html and "pill-active" in html


# --- The two-person rule behind the buttons ---------------------------------------------------------

def test_revocation_needs_a_second_officer_and_the_qr_page_says_revoked(app, world, login_as):
    first = login_as(app.test_client(), world.staff)
    second = login_as(app.test_client(), world.staff2)
    proposed = first.post(f"/staff/shops/{world.shop.id}/revocation", data={
        "revocation-clause_kind": "counterfeit", "revocation-public_reason": REASON})
    assert proposed.status_code == 302
    sanction = db.session.scalar(select(Sanction))
    assert sanction.status == "proposed" and fresh(world.shop).standing == "active"

    own_page = text(first.get(f"/staff/sanctions/{sanction.id}"))
    assert "须由另一位工作人员批准" in own_page and "批准撤销" not in own_page
    refused = first.post(f"/staff/sanctions/{sanction.id}/approve", follow_redirects=True)
    assert "不能批准自己提出的撤销" in " ".join(flashes(text(refused)))
    db.session.expire_all()
    assert db.session.get(Sanction, sanction.id).status == "proposed" and fresh(world.shop).standing == "active"

    assert "批准撤销" in text(second.get(f"/staff/sanctions/{sanction.id}"))
    approved = second.post(f"/staff/sanctions/{sanction.id}/approve")
    assert approved.status_code == 302
    db.session.expire_all()
    sanction = db.session.get(Sanction, sanction.id)
    assert (sanction.status, sanction.approved_by_id) == ("active", world.staff2.id)
    assert fresh(world.shop).standing == "revoked"

    words = plain(qr_page(app.test_client(), world.shop))
    assert "已撤销" in words and "已于 2026-03-02 撤销" in words and f"原因：{REASON}" in words


def test_another_officer_rejects_a_proposal(client, world, login_as):
    proposal = sanctions.propose_revocation(world.shop, world.staff, SanctionInput("counterfeit", REASON))
    db.session.commit()
    login_as(client, world.staff2)
    refused = client.post(f"/staff/sanctions/{proposal.id}/reject", data={"reject-note": ""})
    assert refused.status_code == 400 and "请说明不批准的理由。" in text(refused)
    done = client.post(f"/staff/sanctions/{proposal.id}/reject", data={"reject-note": "证据不足。"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Sanction, proposal.id).status == "rejected" and fresh(world.shop).standing == "active"


def test_reinstatement_from_the_shop_page(client, world, login_as):
    sanctions.suspend(world.shop, world.staff, SanctionInput("inferior", "以次充好。"), None, True)
    db.session.commit()
    login_as(client, world.staff2)
    page = text(client.get(f"/staff/shops/{world.shop.id}"))
    assert "整改后恢复" in page and "warning-clause_kind" not in page  # no warning form for a suspended shop
    done = client.post(f"/staff/shops/{world.shop.id}/reinstatement",
                       data={"reinstate-public_reason": "已整改，复查合格。"})
    assert done.status_code == 302
    shop = fresh(world.shop)
    assert (shop.standing, shop.standing_reason) == ("lapsed", "已整改，复查合格。")


def test_a_revoked_shop_is_reinstated_only_with_a_second_officer(app, world, login_as):
    revocation = sanctions.propose_revocation(world.shop, world.staff, SanctionInput("counterfeit", REASON))
    sanctions.approve_revocation(revocation, world.staff2)
    db.session.commit()
    first = login_as(app.test_client(), world.staff)
    second = login_as(app.test_client(), world.staff2)
    assert "另一位工作人员批准后才生效" in text(first.get(f"/staff/shops/{world.shop.id}"))
    proposed = first.post(f"/staff/shops/{world.shop.id}/reinstatement",
                          data={"reinstate-public_reason": "已整改，复查合格。"}, follow_redirects=True)
    assert "已提出恢复" in " ".join(flashes(text(proposed)))
    db.session.expire_all()
    proposal = db.session.scalar(select(Sanction).where(Sanction.kind == "reinstatement"))
    assert proposal.status == "proposed" and fresh(world.shop).standing == "revoked"
    assert "已撤销" in plain(qr_page(app.test_client(), world.shop))

    own_page = text(first.get(f"/staff/sanctions/{proposal.id}"))
    assert "这是您提出的恢复" in own_page and "批准恢复" not in own_page
    refused = first.post(f"/staff/sanctions/{proposal.id}/approve", follow_redirects=True)
    assert "不能批准自己提出的恢复" in " ".join(flashes(text(refused)))
    db.session.expire_all()
    assert db.session.get(Sanction, proposal.id).status == "proposed" and fresh(world.shop).standing == "revoked"

    board = plain(text(second.get("/staff/")))
    assert "待审批的撤销与恢复" in board and "恢复" in board
    assert "批准恢复" in text(second.get(f"/staff/sanctions/{proposal.id}"))
    approved = second.post(f"/staff/sanctions/{proposal.id}/approve", follow_redirects=True)
    assert "已批准恢复" in " ".join(flashes(text(approved)))
    db.session.expire_all()
    assert (db.session.get(Sanction, proposal.id).status, db.session.get(Sanction, proposal.id).approved_by_id) \
        == ("active", world.staff2.id)
    assert fresh(world.shop).standing == "lapsed"


# --- The staff shop page: complaints, flags and sanctions; a decision closes the flag it answers -----

def test_the_shop_page_lists_complaints_flags_and_sanctions_with_links_to_the_full_lists(client, world, login_as):
    from registry.moderation.queries import SHOP_RECORD_LIST

    cases = [file(world.shop) for _ in range(SHOP_RECORD_LIST + 2)]
    flag = flags.raise_staff_flag(world.shop, world.staff2, "夜间经营扰民，需核实。")
    db.session.commit()
    login_as(client, world.staff)
    html = text(client.get(f"/staff/shops/{world.shop.id}"))
    assert f'href="/staff/complaints/{cases[-1].id}"' in html  # the newest case, linked
    assert f'href="/staff/complaints/{cases[0].id}"' not in html  # beyond the cap …
    assert f"全部 {SHOP_RECORD_LIST + 2} 件投诉" in html  # … behind the link to the shop's full list
    assert f'href="/staff/complaints?view=open&amp;shop={world.shop.id}"' in html
    assert f'href="/staff/flags/{flag.id}"' in html

    shop_queue = text(client.get(f"/staff/complaints?view=new&shop={world.shop.id}"))
    assert f"只看“{world.shop.name}”的投诉" in shop_queue and cases[0].tracking_number in shop_queue


def test_a_sanction_from_the_shop_page_closes_the_open_flag_it_answers(client, world, login_as):
    flag = flags.raise_staff_flag(world.shop, world.staff2, "多次被投诉短斤缺两。")
    db.session.commit()
    login_as(client, world.staff)
    # Opened straight from the shop list (no ?flag=): the newest open flag is the one offered.
    html = text(client.get(f"/staff/shops/{world.shop.id}"))
    assert f'<option value="{flag.id}" selected>' in html and "这项决定回应的标记" in html

    done = client.post(f"/staff/shops/{world.shop.id}/warning", data={
        "warning-clause_kind": "counterfeit", "warning-public_reason": REASON, "warning-flag_id": str(flag.id)})
    assert done.status_code == 302
    db.session.expire_all()
    closed = db.session.get(Flag, flag.id)
    warning = db.session.scalar(select(Sanction).where(Sanction.merchant_id == world.shop.id))
    assert closed.status == "actioned" and closed.sanction_id == warning.id
    assert "flag.actioned" in [a for a in audit_actions(closed)]
    # Both ways: the flag names the decision, the decision names the flag.
    assert f'href="/staff/sanctions/{warning.id}"' in text(client.get(f"/staff/flags/{flag.id}"))
    assert f'href="/staff/flags/{flag.id}"' in text(client.get(f"/staff/sanctions/{warning.id}"))


def test_a_decision_may_answer_no_flag(client, world, login_as):
    flag = flags.raise_staff_flag(world.shop, world.staff2, "多次被投诉短斤缺两。")
    db.session.commit()
    login_as(client, world.staff)
    assert client.post(f"/staff/shops/{world.shop.id}/warning", data={
        "warning-clause_kind": "counterfeit", "warning-public_reason": REASON,
        "warning-flag_id": "none"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Flag, flag.id).status == "open"


def test_the_flag_page_links_its_related_complaints(client, world, login_as):
    from .helpers import accept

    cases = [file(world.shop) for _ in range(3)]
    for case in cases:
        accept(case, world.staff)
    db.session.commit()
    flag = db.session.scalar(select(Flag).where(Flag.merchant_id == world.shop.id, Flag.rule_code.is_not(None)))
    login_as(client, world.staff)
    html = text(client.get(f"/staff/flags/{flag.id}"))
    for case in cases:
        assert f'<a href="/staff/complaints/{case.id}">{case.tracking_number}</a>' in html
