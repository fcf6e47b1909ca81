"""Staff call-backs (回访) on concluded complaints (complaints.handling.record_callback and its view):
several attempts, internal remarks, district scope, audit, and the consumer's own survey beside them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from registry.audit.models import AuditEntry
from registry.complaints import handling
from registry.complaints.models import CallBack, Complaint
from registry.errors import DomainError, InvalidTransition, NotPermitted
from registry.extensions import db

from .helpers import count, events_of, file, snapshot, walk

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

REMARKS = "内部备注：消费者说店长态度差 REMARK-MARKER-7731"


def closed_case(world, variant="closed_mediated"):
    complaint, token = file(world.shop)
    walk(complaint, world, variant)
    return complaint, token


def test_an_unreached_call_then_a_reached_one(world):
    complaint, _ = closed_case(world)
    before = snapshot(complaint)
    handling.record_callback(complaint, world.staff, False, None, None, "无人接听")
    db.session.commit()
    handling.record_callback(complaint, world.staff, True, True, 4, REMARKS)
    db.session.commit()

    calls = list(db.session.scalars(select(CallBack).order_by(CallBack.id)))
    assert [(c.reached, c.resolved, c.satisfaction, c.remarks, c.staff_id) for c in calls] == [
        (False, None, None, "无人接听", world.staff.id), (True, True, 4, REMARKS, world.staff.id)]
    after = snapshot(complaint)
    assert after["row"]["status"] == "closed" and after["row"]["followup_at"] is None  # the survey stays open
    new_events = after["events"][len(before["events"]):]
    assert [(e[1], e[2], e[3], e[4], e[6]) for e in new_events] == [
        ("callback", "staff", world.staff.id, None, False), ("callback", "staff", world.staff.id, None, False)]
    assert json.loads(new_events[1][5]) == {"reached": True, "resolved": True, "satisfaction": 4}
    audits = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "complaint.callback")
                                     .order_by(AuditEntry.id)))
    assert len(audits) == 2 and all(a.actor_id == world.staff.id for a in audits)
    assert "REMARK-MARKER" not in "".join(a.data for a in audits)  # remarks stay on the call-back row


@pytest.mark.parametrize("answers, field", [
    ((None, None, None), "reached"),
    ((True, None, 4), "resolved"),
    ((True, True, None), "satisfaction"),
    ((True, True, 6), "satisfaction"),
    ((False, True, None), "reached"),
    ((False, None, 3), "reached"),
])
def test_incomplete_answers_are_refused_and_nothing_is_saved(world, answers, field):
    complaint, _ = closed_case(world)
    before = snapshot(complaint)
    with pytest.raises(DomainError) as refused:
        handling.record_callback(complaint, world.staff, *answers, "")
    db.session.rollback()
    assert refused.value.field == field
    assert count(CallBack) == 0 and snapshot(complaint) == before


def test_remarks_have_a_length_limit(world):
    complaint, _ = closed_case(world)
    with pytest.raises(DomainError) as refused:
        handling.record_callback(complaint, world.staff, True, True, 5, "很" * 501)
    db.session.rollback()
    assert refused.value.field == "remarks" and count(CallBack) == 0


@pytest.mark.parametrize("variant", ["accepted", "mediating", "refused", "withdrawn_after_acceptance"])
def test_only_concluded_cases_are_called_back(world, variant):
    complaint, _ = file(world.shop)
    walk(complaint, world, variant)
    with pytest.raises(InvalidTransition):
        handling.record_callback(complaint, world.staff, True, True, 5, "")
    db.session.rollback()
    assert count(CallBack) == 0


def test_staff_of_another_district_cannot_record_one(world):
    complaint, _ = closed_case(world)
    with pytest.raises(NotPermitted):
        handling.record_callback(complaint, world.staff_elsewhere, True, True, 5, "")
    db.session.rollback()
    assert count(CallBack) == 0


def test_the_consumer_survey_still_works_after_a_call_back(world):
    complaint, _ = closed_case(world, "closed_agreed")
    handling.record_callback(complaint, world.staff, True, False, 2, "")
    handling.answer_followup(complaint, True, 5, "后来解决了")
    db.session.commit()
    row = db.session.get(Complaint, complaint.id)
    assert (row.followup_resolved, row.followup_satisfaction) == (True, 5)


# --- the view -------------------------------------------------------------------------------------

def _url(complaint):
    return f"/staff/complaints/{complaint.id}/callback"


def test_staff_record_a_call_back_from_the_case_page(world, client, login_as):
    complaint, _ = closed_case(world)
    login_as(client, world.staff)
    page = client.get(f"/staff/complaints/{complaint.id}")
    assert "电话回访" in page.text and _url(complaint) in page.text
    response = client.post(_url(complaint), data={"reached": "yes", "resolved": "yes", "satisfaction": "5",
                                                  "remarks": REMARKS, "version": str(complaint.version)})
    assert response.status_code == 302
    call = db.session.scalar(select(CallBack))
    assert (call.reached, call.resolved, call.satisfaction, call.remarks) == (True, True, 5, REMARKS)
    assert REMARKS in client.get(f"/staff/complaints/{complaint.id}").text


def test_a_bad_call_back_keeps_the_form(world, client, login_as):
    complaint, _ = closed_case(world)
    login_as(client, world.staff)
    response = client.post(_url(complaint), data={"reached": "yes", "resolved": "yes", "satisfaction": "",
                                                  "remarks": "这段备注要保留"})
    assert response.status_code == 400
    assert "请选择消费者的满意程度（1–5 分）。" in response.text and "这段备注要保留" in response.text
    assert count(CallBack) == 0


def test_staff_of_another_district_get_403(world, client, login_as):
    complaint, _ = closed_case(world)
    login_as(client, world.staff_elsewhere)
    response = client.post(_url(complaint), data={"reached": "no"})
    assert response.status_code == 403 and count(CallBack) == 0


def test_remarks_never_reach_the_consumer_or_the_shop(world, client, login_as):
    complaint, token = closed_case(world)
    handling.record_callback(complaint, world.staff, True, True, 5, REMARKS)
    db.session.commit()
    assert "REMARK-MARKER" not in client.get(f"/c/{token}").text
    login_as(client, world.owner)
    shop_pages = [client.get(f"/my/complaints/{complaint.id}").text, client.get("/my/complaints").text,
                  client.get(f"/m/{world.shop.public_code}").text]
    assert not any("REMARK-MARKER" in page for page in shop_pages)
    assert all(not event[6] for event in events_of(complaint) if event[1] == "callback")  # never public


def test_a_form_posted_twice_records_one_call(world, client, login_as):
    complaint, _ = closed_case(world)
    login_as(client, world.staff)
    data = {"reached": "no", "version": str(complaint.version)}
    assert client.post(_url(complaint), data=data).status_code == 302
    again = client.post(_url(complaint), data=data)
    assert again.status_code == 302 and count(CallBack) == 1
    assert "刚刚已被他人处理" in client.get(again.headers["Location"]).text


@pytest.mark.parametrize("who, expected", [("anonymous", 302), ("owner", 403)])
def test_only_staff_reach_the_call_back_form(world, client, login_as, who, expected):
    complaint, _ = closed_case(world)
    if who == "owner":
        login_as(client, world.owner)
    response = client.post(_url(complaint), data={"reached": "no"})
    assert response.status_code == expected and count(CallBack) == 0
