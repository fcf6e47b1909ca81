"""One SMS verification, one complaint (complaints.verification.spend_verification): a session cookie copied
before a filing cannot file again; a consumer may go on, on purpose, with the cookie the filing handed
back, a few times within minutes; after that, a new code."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from registry.complaints import verification
from registry.complaints.models import Complaint
from registry.messaging.verification import PhoneVerification
from registry.clock import utcnow
from registry.extensions import db
from registry.messaging.models import OutboxMessage

from .helpers import PHONE, complaint_form, count, flashes, hidden_value

pytestmark = pytest.mark.usefixtures("fresh_request_globals")

CODE_IN_SMS = re.compile(r"验证码是 (\d{6})")
SPENT = "这次短信验证已经用过或已过期"


def text(response) -> str:
    return response.get_data(as_text=True)


def verify_by_sms(client, shop, phone: str = PHONE):
    base = f"/m/{shop.public_code}/complain"
    assert client.post(base, data={"phone": phone, "send": "1"}).status_code == 200
    body = db.session.scalar(db.select(OutboxMessage.body).where(OutboxMessage.phone == phone)
                             .order_by(OutboxMessage.id.desc()).limit(1))
    confirmed = client.post(base, data={"phone": phone, "code": CODE_IN_SMS.search(body).group(1), "confirm": "1"})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith(f"{base}/details")
    db.session.rollback()


def file_once(client, shop):
    """GET the form (a new submission key), then POST it; returns the POST's response."""
    url = f"/m/{shop.public_code}/complain/details"
    form = client.get(url)
    if form.status_code != 200:
        return form
    response = client.post(url, data=complaint_form(submission_key=hidden_value(text(form), "submission_key")))
    db.session.rollback()
    return response


def cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_session_copied_before_filing_cannot_file_a_second_complaint(app, client, world, clock):
    verify_by_sms(client, world.shop)
    before = cookie(client)  # what a consumer (or anyone) could copy from the browser
    assert file_once(client, world.shop).status_code == 302
    assert count(Complaint) == 1

    replay = app.test_client()
    replay.set_cookie("session", before)
    # The old cookie still says "verified" (it is signed, not revoked), so the form opens…
    form = replay.get(f"/m/{world.shop.public_code}/complain/details")
    assert form.status_code == 200 and PHONE in text(form)
    # …but the server knows the verification's use was spent.
    refused = replay.post(f"/m/{world.shop.public_code}/complain/details",
                          data=complaint_form(submission_key=hidden_value(text(form), "submission_key")))
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/m/{world.shop.public_code}/complain")
    assert any(SPENT in f for f in flashes(text(replay.get(refused.headers["Location"]))))
    assert count(Complaint) == 1
    assert db.session.scalar(db.select(PhoneVerification.uses)) == 1


def test_the_same_form_posted_twice_with_the_old_cookie_is_still_one_complaint(app, client, world, clock):
    """A double click: the second post carries the cookie from before the first; it files nothing new."""
    verify_by_sms(client, world.shop)
    url = f"/m/{world.shop.public_code}/complain/details"
    before = cookie(client)
    data = complaint_form(submission_key=hidden_value(text(client.get(url)), "submission_key"))
    first = client.post(url, data=data)
    again = app.test_client()
    again.set_cookie("session", before)
    second = again.post(url, data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Complaint) == 1


def test_a_consumer_may_go_on_on_purpose_up_to_three_complaints_within_minutes(client, world, make_shop, clock):
    other_shop = make_shop(name="邻家便利店", district=world.shop.district)
    verify_by_sms(client, world.shop)
    first = file_once(client, world.shop)
    assert first.status_code == 302
    case = text(client.get(first.headers["Location"]))
    assert "还要投诉另一件事" in case and "还可提交 2 件" in case
    assert f'href="/m/{world.shop.public_code}/complain/details"' in case

    clock.advance(minutes=9)
    # Another shop: its complaint button leads straight to the form, no new code.
    start = client.get(f"/m/{other_shop.public_code}/complain")
    assert start.status_code == 302 and start.headers["Location"].endswith("/complain/details")
    assert file_once(client, other_shop).status_code == 302
    clock.advance(minutes=9)
    third = file_once(client, world.shop)
    assert third.status_code == 302
    assert count(Complaint) == 3 and "还要投诉另一件事" not in text(client.get(third.headers["Location"]))

    # The fourth needs a new code.
    fourth = client.get(f"/m/{world.shop.public_code}/complain/details")
    assert fourth.status_code == 302 and fourth.headers["Location"].endswith("/complain")
    # One code sent (the filing texts are notices, not codes).
    assert count(OutboxMessage, OutboxMessage.purpose == "complaint") == 1 and count(Complaint) == 3


def test_going_on_later_than_ten_minutes_needs_a_new_code(app, client, world, clock):
    verify_by_sms(client, world.shop)
    assert file_once(client, world.shop).status_code == 302
    kept = cookie(client)
    clock.advance(minutes=11)
    late = client.get(f"/m/{world.shop.public_code}/complain/details")
    assert late.status_code == 302 and late.headers["Location"].endswith("/complain")
    # Nor does a cookie whose own deadline was altered help: the server checks the time itself.
    forged = app.test_client()
    forged.set_cookie("session", kept)
    with forged.session_transaction() as session:
        session["verified_phone"]["until"] = (clock.now + timedelta(hours=1)).isoformat()
    assert file_once(forged, world.shop).status_code == 302
    assert count(Complaint) == 1


def test_the_first_complaint_is_due_within_thirty_minutes_of_the_code(client, world, clock):
    verify_by_sms(client, world.shop)
    clock.advance(minutes=31)
    assert file_once(client, world.shop).status_code == 302
    assert count(Complaint) == 0


def test_spending_is_atomic_and_names_its_verification(world, verified, app):
    """The service refuses a use it cannot find unspent, whatever the session says."""
    client = verified(app.test_client())
    with client.session_transaction() as session:
        record = verification.VerifiedPhone.from_session(session["verified_phone"], utcnow())
    now = utcnow()
    following = verification.spend_verification(record, now)
    assert (following.uses, following.verification_id) == (1, record.verification_id)
    with pytest.raises(verification.VerificationSpent):
        verification.spend_verification(record, now)  # the same use twice
    with pytest.raises(verification.VerificationSpent):  # another phone's session cannot borrow it
        verification.spend_verification(verification.VerifiedPhone("13900001111", record.verification_id, 1, following.until),
                                    now)
    assert verification.spend_verification(following, now).uses == 2
    db.session.rollback()


def test_a_refused_form_does_not_spend_the_verification(client, world, clock):
    verify_by_sms(client, world.shop)
    url = f"/m/{world.shop.public_code}/complain/details"
    key = hidden_value(text(client.get(url)), "submission_key")
    refused = client.post(url, data=complaint_form(submission_key=key, privacy_consent=None))
    assert refused.status_code == 200 and "请阅读个人信息处理说明并勾选同意" in text(refused)
    db.session.rollback()
    assert db.session.scalar(db.select(PhoneVerification.uses)) == 0
    assert client.post(url, data=complaint_form(submission_key=key)).status_code == 302
    assert count(Complaint) == 1
