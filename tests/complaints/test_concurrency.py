"""Two people acting on one thing at once (SECURITY.md, "concurrency"): one wins, the other is told.

- Two officers open the same case (same version) and both press 受理: the first succeeds, the second
  is told the case was already handled; exactly one "accepted" event and one audit entry exist.
- A stale version at the service: Conflict, nothing applied. Also the race the version check cannot
  see (the other officer commits between our load and our write): still Conflict, never a 500.
- A double-submitted complaint form (same submission key) creates one complaint, both answers lead
  to the same case link; also when both requests get past the "already filed?" check.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from registry.audit.models import AuditEntry
from registry.clock import utcnow
from registry.complaints import filing, handling
from registry.complaints.models import Complaint, ComplaintEvent
from registry.errors import Conflict
from registry.extensions import db

from .helpers import PHONE, SUMMARY, complaint_form, count, events_of, file, flashes, hidden_value, snapshot

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


@pytest.fixture
def two_officers(app, world, make_user, login_as):
    """Two signed-in clients of two staff users of the shop's district."""
    second = make_user(role="staff", login="staff2@xihu.example.cn", name="第二位工作人员", district=world.shop.district)
    first_client = login_as(app.test_client(), world.staff)
    second_client = login_as(app.test_client(), second)
    return (world.staff, first_client), (second, second_client)


def _accept_events(complaint) -> int:
    return count(ComplaintEvent, ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "accepted")


def _audit(action: str, complaint) -> list[AuditEntry]:
    return list(db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.subject_id == complaint.id)))


def test_two_officers_accept_the_same_version_one_wins_the_other_is_told(world, two_officers):
    complaint, _ = file(world.shop)
    (first, first_client), (second, second_client) = two_officers
    url = f"/staff/complaints/{complaint.id}"

    first_page, second_page = first_client.get(url), second_client.get(url)
    assert first_page.status_code == second_page.status_code == 200
    first_version = hidden_value(first_page.get_data(as_text=True), "version")
    second_version = hidden_value(second_page.get_data(as_text=True), "version")
    assert first_version == second_version == str(complaint.version)

    won = first_client.post(f"{url}/accept", data={"version": first_version, "public_summary": SUMMARY})
    assert won.status_code == 302 and won.headers["Location"].endswith(url)
    lost = second_client.post(f"{url}/accept", data={"version": second_version,
                                                      "public_summary": "另一位工作人员写的摘要"})
    assert lost.status_code == 302 and lost.headers["Location"].endswith(url)
    told = second_client.get(url).get_data(as_text=True)
    assert any("已被他人处理" in message for message in flashes(told)), flashes(told)
    assert complaint.tracking_number in "".join(flashes(told))

    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert complaint.status == "accepted"
    assert complaint.public_summary == SUMMARY  # the winner's, not overwritten
    assert _accept_events(complaint) == 1
    entries = _audit("complaint.accept", complaint)
    assert [e.actor_id for e in entries] == [first.id]


def test_stale_version_on_another_action_is_also_a_conflict(world, two_officers):
    complaint, _ = file(world.shop)
    (_first, first_client), (_second, second_client) = two_officers
    url = f"/staff/complaints/{complaint.id}"
    version = hidden_value(second_client.get(url).get_data(as_text=True), "version")
    assert first_client.post(f"{url}/accept", data={"version": version, "public_summary": SUMMARY}).status_code == 302

    lost = second_client.post(f"{url}/refuse", data={"version": version, "ground": "no_evidence",
                                                      "explanation": "缺少小票"}, follow_redirects=True)
    assert lost.status_code == 200
    assert any("已被他人处理" in m for m in flashes(lost.get_data(as_text=True)))
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert complaint.status == "accepted" and complaint.refusal_ground is None
    assert [e[1] for e in events_of(complaint)] == ["filed", "accepted", "forwarded"]
    assert _audit("complaint.refuse", complaint) == []


def test_a_version_that_is_not_a_number_is_a_conflict_not_a_crash(world, two_officers):
    complaint, _ = file(world.shop)
    (_first, client), _ = two_officers
    response = client.post(f"/staff/complaints/{complaint.id}/accept",
                           data={"version": "abc", "public_summary": SUMMARY}, follow_redirects=True)
    assert response.status_code == 200
    assert any("已被他人处理" in m for m in flashes(response.get_data(as_text=True)))
    assert db.session.get(Complaint, complaint.id).status == "filed"


def test_stale_expected_version_at_the_service_applies_nothing(world):
    complaint, _ = file(world.shop)
    seen = complaint.version
    handling.accept_complaint(complaint, world.admin, seen, SUMMARY)  # another officer, a moment ago
    db.session.commit()
    before = snapshot(complaint)

    with pytest.raises(Conflict) as raised:
        handling.schedule_mediation(complaint, world.staff, seen, utcnow(), "电话调解", "")
    assert raised.value.status_code == 409 and "已被他人处理" in raised.value.message
    db.session.rollback()
    assert snapshot(complaint) == before


def test_race_past_the_version_check_is_a_conflict_not_a_crash(world):
    """The other officer commits after our request loaded the case (PostgreSQL, READ COMMITTED):
    our version check passes on the old version, and the UPDATE finds no row of that version."""
    complaint, _ = file(world.shop)
    loaded_version = complaint.version
    audit_before = count(AuditEntry)
    session = db.session()
    session.expire_on_commit = False
    try:
        complaint = db.session.get(Complaint, complaint.id)
        complaint.merchant  # noqa: B018 - everything the request needs is loaded, as in a request
        db.session.commit()  # end our read transaction (SQLite: free the write lock for the other writer)
        # Meanwhile another officer refuses it and commits, on another connection.
        with db.engine.begin() as other:
            other.execute(update(Complaint.__table__).where(Complaint.__table__.c.id == complaint.id)
                          .values(status="refused", refusal_ground="duplicate", version=loaded_version + 1,
                                  decided_at=utcnow(), closed_at=utcnow()))
        with pytest.raises(Conflict) as raised:
            handling.accept_complaint(complaint, world.staff, loaded_version, SUMMARY)
        assert "已被他人处理" in raised.value.message
        db.session.rollback()
    finally:
        session.expire_on_commit = True
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert complaint.status == "refused" and complaint.public_summary is None  # the other officer's decision
    assert [e[1] for e in events_of(complaint)] == ["filed"]
    assert count(AuditEntry) == audit_before


# --- the consumer's form, submitted twice ----------------------------------------------------------


def _details_page(client, shop):
    page = client.get(f"/m/{shop.public_code}/complain/details")
    assert page.status_code == 200
    return hidden_value(page.get_data(as_text=True), "submission_key")


def test_double_submitted_complaint_form_creates_one_complaint(app, world, verified):
    client = verified(app.test_client())
    key = _details_page(client, world.shop)
    assert len(key) >= 20
    # Both requests leave the browser before the first answer arrives: both carry the same cookie.
    cookie = client.get_cookie("session")
    url = f"/m/{world.shop.public_code}/complain/details"

    first = client.post(url, data=complaint_form(submission_key=key))
    assert first.status_code == 302
    client.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    second = client.post(url, data=complaint_form(submission_key=key))
    assert second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert re.search(r"/c/[0-9a-f]{32}$", first.headers["Location"])
    assert count(Complaint) == 1
    complaint = db.session.scalar(db.select(Complaint))
    assert complaint.submission_key == key and complaint.consumer_phone == PHONE
    assert [e[1] for e in events_of(complaint)] == ["filed"]
    assert len(_audit("complaint.filed", complaint)) == 1

    # A third try after the first answer (the verified phone is used up): no second complaint either.
    third = client.post(url, data=complaint_form(submission_key=key))
    assert third.status_code == 302
    assert count(Complaint) == 1


def test_same_key_arriving_at_the_same_moment_gives_the_first_complaint(world, monkeypatch):
    """Both requests passed the "already filed?" look-up before either committed; the second insert
    meets the unique key and must answer with the first complaint, not an error."""
    first, token = file(world.shop, key="k" * 32)
    real_lookup = filing.complaint_by_submission_key
    calls = []

    def not_yet_visible(key):
        calls.append(key)
        return None if len(calls) == 1 else real_lookup(key)

    monkeypatch.setattr(filing, "complaint_by_submission_key", not_yet_visible)
    again, same_token = file(world.shop, key="k" * 32, commit=False)
    db.session.commit()
    assert again.id == first.id and same_token == token
    assert count(Complaint) == 1
    assert len(_audit("complaint.filed", first)) == 1
