"""The moderation pages through HTTP: the dashboard at /staff/ (the complaint queue moved to
/staff/complaints), a flag handled and a shop suspended from the staff pages, the two-person rule
behind the buttons, what the QR page says, the consumer's misused-badge report (rate-limited, CSRF),
the appeal form and its decision, and the admin page of flag rules. (The access matrix is in
test_access.py.)"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.merchants.models import Merchant
from registry.moderation import appeals, flags, sanctions
from registry.moderation.models import Appeal, AppealPhoto, Flag, FlagRule, Sanction
from registry.moderation.sanctions import SanctionInput

from .helpers import count, file, flashes, jpeg_bytes, messages_to, plain, text

pytestmark = pytest.mark.usefixtures("fresh_request_globals")

REASON = "经查实销售假冒品牌羊毛衫。"


def fresh(merchant) -> Merchant:
    db.session.expire_all()
    return db.session.get(Merchant, merchant.id)


def qr_page(client, shop) -> str:
    client.get("/")  # a fresh anonymous visit
    response = client.get(f"/m/{shop.public_code}")
    assert response.status_code == 200
    return text(response)


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
    assert f'name="suspension-flag_id" type="hidden" value="{flag.id}"' in page

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


# --- The consumer's report --------------------------------------------------------------------------

def test_a_consumer_reports_a_misused_badge(client, world):
    html = qr_page(client, world.shop)
    assert "这不是我所在的店？" in html and f'href="/m/{world.shop.public_code}/report"' in html
    assert "csrf_token" not in html  # the QR page carries no form, so it sets no session cookie
    assert client.get(f"/m/{world.shop.public_code}/report?s=AB-12").status_code == 200
    response = client.post(f"/m/{world.shop.public_code}/report", data={"note": "在别的店门口看到", "serial": "AB-12"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/m/{world.shop.public_code}?s=AB-12")
    shown = text(client.get(response.headers["Location"]))
    assert any("谢谢您的报告" in f for f in flashes(shown))
    [flag] = db.session.scalars(select(Flag)).all()
    assert (flag.kind, flag.merchant_id, flag.source["reports"][0]["note"]) == ("misused_badge", world.shop.id,
                                                                               "在别的店门口看到")


def test_a_report_for_an_unknown_or_pending_shop_is_a_404(client, world, make_shop):
    pending = make_shop(signed=False, name="未签署小店")
    assert client.post("/m/nosuchcode/report", data={}).status_code == 404
    assert client.post(f"/m/{pending.public_code}/report", data={}).status_code == 404
    assert count(Flag) == 0


def test_a_too_long_report_note_is_refused_with_a_message(client, world):
    response = client.post(f"/m/{world.shop.public_code}/report", data={"note": "长" * 201})
    assert response.status_code == 400
    page = text(response)
    assert "最多 200 个字。" in page and "长" * 201 in page  # the message, and what was typed is kept
    assert count(Flag) == 0


@pytest.mark.parametrize("app_overrides", [{"RATELIMIT_ENABLED": True}])
def test_reports_are_rate_limited_per_address(client, world):
    url = f"/m/{world.shop.public_code}/report"
    statuses = [client.post(url, data={"note": f"第 {i} 次"}).status_code for i in range(6)]
    assert statuses == [302] * 5 + [429]
    assert db.session.scalar(select(Flag)).source["count"] == 5


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_a_report_needs_the_csrf_token_of_the_report_page(client, world):
    url = f"/m/{world.shop.public_code}/report"
    assert client.post(url, data={"note": "无令牌"}).status_code == 400
    assert count(Flag) == 0
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)
    assert client.post(url, data={"note": "有令牌", "csrf_token": token}).status_code == 302
    assert count(Flag) == 1


# --- Appeals ----------------------------------------------------------------------------------------

def test_the_owner_sees_the_sanction_and_appeals_once(client, world, login_as, evidence_dir):
    sanction = sanctions.issue_warning(world.shop, world.staff, SanctionInput("counterfeit", REASON))
    db.session.commit()
    login_as(client, world.owner)
    desk = plain(text(client.get(f"/my/shops/{world.shop.id}")))
    assert "您的店铺被公开警示" in desk and REASON in desk and "对这项处理提出申诉" in desk
    assert f"/my/sanctions/{sanction.id}/appeal" in text(client.get(f"/my/shops/{world.shop.id}"))

    form = text(client.get(f"/my/sanctions/{sanction.id}/appeal"))
    assert "申诉理由" in form and REASON in form
    short = client.post(f"/my/sanctions/{sanction.id}/appeal", data={"text": "不对"})
    assert short.status_code == 400 and "请用至少 10 个字说明申诉理由。" in text(short)
    fake = client.post(f"/my/sanctions/{sanction.id}/appeal", content_type="multipart/form-data", data={
        "text": "我们的羊毛衫有正规进货票据。", "photos": [(io.BytesIO(b"<html>not a photo</html>"), "票据.jpg")]})
    assert fake.status_code == 400 and "票据.jpg" in text(fake)
    assert count(Appeal) == 0

    sent = client.post(f"/my/sanctions/{sanction.id}/appeal", content_type="multipart/form-data", data={
        "text": "我们的羊毛衫有正规进货票据。", "photos": [(io.BytesIO(jpeg_bytes()), "票据.jpg")]})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/my/shops/{world.shop.id}")
    appeal = db.session.scalar(select(Appeal))
    assert (appeal.text, len(appeal.photos)) == ("我们的羊毛衫有正规进货票据。", 1)

    again = client.post(f"/my/sanctions/{sanction.id}/appeal", data={"text": "再申诉一次，理由同上。"})
    assert again.status_code == 200 and "只能申诉一次" in text(again)
    assert count(Appeal) == 1
    assert "等待审理" in text(client.get(f"/my/shops/{world.shop.id}"))


def test_another_merchant_cannot_appeal(client, world, login_as):
    sanction = sanctions.issue_warning(world.shop, world.staff, SanctionInput("counterfeit", REASON))
    db.session.commit()
    login_as(client, world.other_owner)
    assert client.get(f"/my/sanctions/{sanction.id}/appeal").status_code == 403
    assert client.post(f"/my/sanctions/{sanction.id}/appeal", data={"text": "冒名申诉冒名申诉"}).status_code == 403
    assert count(Appeal) == 0


def test_the_appeal_is_decided_by_another_officer_and_the_shop_is_told(app, world, login_as, evidence_dir):
    from registry.uploads import process_image

    sanction = sanctions.suspend(world.shop, world.staff, SanctionInput("counterfeit", REASON), None, True)
    appeal = appeals.submit_appeal(sanction, world.owner, "所售商品均有正规进货票据。",
                                    [process_image(io.BytesIO(jpeg_bytes()), "票据.jpg")])
    db.session.commit()
    issuer = login_as(app.test_client(), world.staff)
    other = login_as(app.test_client(), world.staff2)

    page = text(issuer.get(f"/staff/sanctions/{sanction.id}"))
    assert "所售商品均有正规进货票据。" in page and "申诉须由作出该处理决定以外的工作人员审理。" in page
    assert "decide-decision" not in page
    refused = issuer.post(f"/staff/appeals/{appeal.id}/decide", data={"decide-decision": "grant", "decide-note": "同意"})
    assert refused.status_code == 302
    assert db.session.get(Appeal, appeal.id).status == "pending"

    photo = db.session.scalar(select(AppealPhoto))
    image = other.get(f"/staff/appeals/photos/{photo.id}")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert image.headers["X-Content-Type-Options"] == "nosniff" and image.headers["Cache-Control"] == "no-store"
    assert image.get_data() == (evidence_dir / "appeals" / photo.stored_name).read_bytes()
    image.close()  # a sent file stays open until the server closes the response

    missing = other.post(f"/staff/appeals/{appeal.id}/decide", data={"decide-decision": "grant", "decide-note": ""})
    assert missing.status_code == 400 and "请填写处理说明，商家会看到它。" in text(missing)
    granted = other.post(f"/staff/appeals/{appeal.id}/decide",
                         data={"decide-decision": "grant", "decide-note": "票据齐全，撤销暂停。"})
    assert granted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status == "granted"
    assert db.session.get(Sanction, sanction.id).status == "ended" and fresh(world.shop).standing == "active"

    owner = login_as(app.test_client(), world.owner)
    desk = plain(text(owner.get(f"/my/shops/{world.shop.id}")))
    assert "申诉成立" in desk and "票据齐全，撤销暂停。" in desk and "您的店铺诚信码已被暂停" not in desk


# --- Flag rules (administrators) ---------------------------------------------------------------------

def test_an_administrator_adjusts_a_rule(client, world, login_as):
    login_as(client, world.admin)
    page = text(client.get("/admin/flag-rules"))
    assert "同一手机号集中投诉" in page and 'value="90"' in page

    refused = client.post("/admin/flag-rules/burst_same_phone", data={
        "burst_same_phone-enabled": "y", "burst_same_phone-threshold": "三", "burst_same_phone-window_days": "7"})
    assert refused.status_code == 400 and "请填写整数。" in text(refused) and 'value="三"' in text(refused)
    out_of_range = client.post("/admin/flag-rules/burst_same_phone", data={
        "burst_same_phone-threshold": "5", "burst_same_phone-window_days": "9999"})
    assert out_of_range.status_code == 400 and "请填写 1 到 3650 之间的天数。" in text(out_of_range)
    assert count(FlagRule) == 0

    saved = client.post("/admin/flag-rules/burst_same_phone", data={
        "burst_same_phone-threshold": "5", "burst_same_phone-window_days": "14"})  # unticked: disabled
    assert saved.status_code == 302
    rule = db.session.scalar(select(FlagRule))
    assert (rule.code, rule.enabled, rule.threshold, rule.window_days, rule.updated_by_id) == (
        "burst_same_phone", False, 5, 14, world.admin.id)
    assert "已停用" in text(client.get("/admin/flag-rules"))
    assert client.post("/admin/flag-rules/no_such_rule", data={}).status_code == 404


def test_the_staff_navigation_links_the_moderation_pages(client, world, login_as):
    login_as(client, world.staff)
    nav = re.search(r'<nav class="staff-nav".*?</nav>', text(client.get("/staff/flags")), re.S).group(0)
    for href in ('href="/staff/"', 'href="/staff/flags"', 'href="/staff/sanctions"', 'href="/staff/appeals"',
                 'href="/staff/shops"'):
        assert href in nav
    assert "/admin/flag-rules" not in nav
    login_as(client, world.admin)
    assert "/admin/flag-rules" in text(client.get("/staff/flags"))


def test_district_staff_see_only_their_district_in_lists(client, world, login_as, make_shop):
    elsewhere = make_shop(name="江边小店", district="滨江区")
    flags.report_misused_badge(elsewhere, "", None)
    flags.report_misused_badge(world.shop, "", None)
    sanctions.issue_warning(elsewhere, world.staff_elsewhere, SanctionInput("price_fraud", "价签不符。"))
    db.session.commit()
    login_as(client, world.staff)
    for url in ("/staff/", "/staff/flags", "/staff/sanctions?view=all", "/staff/shops"):
        html = text(client.get(url))
        assert "江边小店" not in html, url
    assert world.shop.name in text(client.get("/staff/flags"))
    login_as(client, world.admin)
    assert "江边小店" in text(client.get("/staff/flags")) and "江边小店" in text(client.get("/staff/sanctions?view=all"))
