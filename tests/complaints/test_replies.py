"""complaints/replies.py through the pages: a shop reply carrying personal data is masked and held for
staff, public only once approved; staff hide any reply with a public reason, audited; staff-written
public summaries with personal data are refused with where it is."""

from __future__ import annotations

import pytest

from registry.audit.models import AuditEntry
from registry.complaints.models import Complaint, ComplaintEvent
from registry.extensions import db

from .helpers import REPLY, SUMMARY, file, hidden_value, walk

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

PHONE_IN_REPLY = "139 1234 5678"
ID_IN_REPLY = "11010519491231002X"
LEAKY_REPLY = f"已退款。有问题请致电 {PHONE_IN_REPLY}，或找身份证 {ID_IN_REPLY} 的店长。"


def text(response) -> str:
    return response.get_data(as_text=True)


def public_texts(app, shop) -> str:
    """The QR page in both languages and the API's complaints of the shop."""
    client = app.test_client()
    pages = [text(client.get(f"/m/{shop.public_code}")), text(client.get(f"/api/v1/shops/{shop.public_code}/complaints"))]
    client.get("/lang/en")
    pages.append(text(client.get(f"/m/{shop.public_code}")))
    return "\n".join(pages)


def audit_actions() -> list[str]:
    return list(db.session.scalars(db.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_reply_with_personal_data_is_masked_held_approved_then_hidden(app, world, login_as):
    complaint = walk(file(world.shop)[0], world, "accepted")
    owner = login_as(app.test_client(), world.owner)

    posted = owner.post(f"/my/complaints/{complaint.id}", data={"body": LEAKY_REPLY}, follow_redirects=True)

    assert "交工作人员审核" in text(posted)
    reply = db.session.scalars(db.select(ComplaintEvent).where(ComplaintEvent.kind == "merchant_replied")).one()
    assert reply.held_for_review and not reply.is_public
    assert "139****5678" in reply.body and "110***********002X" in reply.body
    assert "1234" not in reply.body and "19491231" not in reply.body  # stored masked, never raw
    assert "等待工作人员审核" in text(owner.get(f"/my/complaints/{complaint.id}"))  # the shop sees it waits
    published = public_texts(app, world.shop)
    assert "139****5678" not in published and "1234 5678" not in published and ID_IN_REPLY not in published

    staff = login_as(app.test_client(), world.staff)
    queue = text(staff.get("/staff/complaints/replies"))
    assert complaint.tracking_number in queue and "139****5678" in queue
    assert staff.post(f"/staff/complaints/replies/{reply.id}/approve").status_code == 302
    assert "139****5678" in public_texts(app, world.shop)  # public, as masked
    assert complaint.tracking_number not in text(staff.get("/staff/complaints/replies"))

    hidden = staff.post(f"/staff/complaints/replies/{reply.id}/hide", data={"reason": "已隐藏：含个人信息"})
    assert hidden.status_code == 302
    published = public_texts(app, world.shop)
    assert "已隐藏：含个人信息" in published and "139****5678" not in published and "已退款" not in published
    assert audit_actions()[-2:] == ["complaint.reply_approved", "complaint.reply_hidden"]
    entry = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.actor_id == world.staff.id


def test_a_clean_reply_is_public_at_once_and_staff_can_still_hide_it(app, world, login_as):
    complaint = walk(file(world.shop)[0], world, "replied")
    reply = complaint.events[-1]
    assert not reply.held_for_review and reply.is_public and REPLY in public_texts(app, world.shop)

    staff = login_as(app.test_client(), world.staff)
    page = text(staff.get(f"/staff/complaints/{complaint.id}"))
    assert "已隐藏：含个人信息" in page  # the hide form offers the usual reason
    refused = staff.post(f"/staff/complaints/replies/{reply.id}/hide", data={"reason": "联系 13800138000"},
                         follow_redirects=True)
    assert "像是手机号" in text(refused)
    staff.post(f"/staff/complaints/replies/{reply.id}/hide", data={"reason": "已隐藏：内容与投诉无关"})
    published = public_texts(app, world.shop)
    assert "已隐藏：内容与投诉无关" in published and REPLY not in published
    # Staff of another district cannot act on this district's replies at all.
    elsewhere = login_as(app.test_client(), world.staff_elsewhere)
    assert elsewhere.post(f"/staff/complaints/replies/{reply.id}/approve").status_code == 403


def test_a_public_summary_with_personal_data_is_refused_saying_where(client, world, login_as):
    complaint, _ = file(world.shop)
    login_as(client, world.staff)
    url = f"/staff/complaints/{complaint.id}"
    summary = "消费者王女士（13700000322）反映价格不符"

    refused = client.post(f"{url}/accept", data={"version": hidden_value(text(client.get(url)), "version"),
                                                 "public_summary": summary})

    assert refused.status_code == 400
    assert "第 8 个字起的“137****0322”像是手机号" in text(refused)
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).public_summary is None
    accepted = client.post(f"{url}/accept", data={"version": hidden_value(text(client.get(url)), "version"),
                                                  "public_summary": SUMMARY})
    assert accepted.status_code == 302
