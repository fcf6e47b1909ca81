"""Slow work never runs inside a write transaction (issue 10, item 3).

SQLite has one write lock, and a POST takes it at its first statement (BEGIN IMMEDIATE). Cleaning
photos with Pillow or waiting for the SMS gateway while holding it made concurrent code requests fail
with "database is locked". While that slow work runs, the request must have no transaction open and
(on SQLite) another connection must get the write lock at once; the SMS gateway is called only after
the code is committed, and its failure is a message on the page, not a 500.
"""

from __future__ import annotations

import io
import re

import pytest

from registry.complaints import public_views
from registry.complaints.models import Complaint, EvidencePhoto
from registry.messaging.verification import PhoneVerification
from registry.extensions import db
from registry.messaging.models import FAILED, SENT, OutboxMessage
from registry.messaging.senders import SmsDeliveryError
from registry.moderation import sanctions
from registry.moderation import owner_views as moderation_views
from registry.moderation.models import Appeal
from registry.moderation.sanctions import SanctionInput
from tests.write_lock import another_writer_blocked, committed_rows, in_transaction

from .helpers import PHONE, complaint_form, count, hidden_value, jpeg_bytes

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

CODE_IN_SMS = re.compile(r"验证码是 (\d{6})")


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def probed_photos(monkeypatch):
    """Wrap process_image in the complaint and appeal views: record, for every photo, whether a
    transaction was open and whether another connection could take the write lock meanwhile."""
    seen = []

    def wrap(real):
        def probe(*args, **kwargs):
            seen.append((in_transaction(), another_writer_blocked()))
            return real(*args, **kwargs)
        return probe

    monkeypatch.setattr(public_views, "process_image", wrap(public_views.process_image))
    monkeypatch.setattr(moderation_views, "process_image", wrap(moderation_views.process_image))
    return seen


def test_photos_of_a_complaint_are_cleaned_with_no_transaction_open(client, world, verified, probed_photos):
    base = f"/m/{world.shop.public_code}/complain"
    verified(client)
    key = hidden_value(text(client.get(f"{base}/details")), "submission_key")
    form = complaint_form(submission_key=key)
    form["photos"] = [(io.BytesIO(jpeg_bytes()), "IMG_1.JPG"), (io.BytesIO(jpeg_bytes()), "IMG_2.JPG")]

    filed = client.post(f"{base}/details", data=form, content_type="multipart/form-data")

    assert filed.status_code == 302
    assert probed_photos == [(False, None), (False, None)]
    assert count(Complaint) == 1 and count(EvidencePhoto) == 2  # and the complaint is filed as before


def test_appeal_photos_are_cleaned_with_no_transaction_open(client, world, login_as, probed_photos):
    sanction = sanctions.issue_warning(world.shop, world.staff, SanctionInput("counterfeit", "假冒商品。"))
    db.session.commit()
    login_as(client, world.owner)

    sent = client.post(f"/my/sanctions/{sanction.id}/appeal", content_type="multipart/form-data", data={
        "text": "我们的羊毛衫有正规进货票据。", "photos": [(io.BytesIO(jpeg_bytes()), "票据.jpg")]})

    assert sent.status_code == 302
    assert probed_photos == [(False, None)]
    assert count(Appeal) == 1


class ProbingGateway:
    """A production-style sender that records, while "sending", what a slow gateway would see."""

    def __init__(self, sink: list, fail: bool = False):
        self.sink, self.fail = sink, fail

    def send(self, phone: str, body: str, purpose: str) -> None:
        self.sink.append({"phone": phone, "code": CODE_IN_SMS.search(body).group(1),
                          "writer_blocked": another_writer_blocked(),
                          "codes_committed": committed_rows("phone_verifications")})
        if self.fail:
            raise SmsDeliveryError("gateway said no")


@pytest.fixture
def gateway(app):
    sink: list = []

    def configure(fail: bool = False) -> list:
        app.config["SMS_SENDER"] = "tests.complaints.test_write_lock:ProbingGateway"
        app.config["SMS_SENDER_OPTIONS"] = {"sink": sink, "fail": fail}
        return sink

    return configure


def test_the_gateway_is_called_after_the_code_is_committed_with_no_transaction_open(client, world, gateway):
    sink = gateway()
    base = f"/m/{world.shop.public_code}/complain"
    client.get(base)

    sent = client.post(base, data={"phone": PHONE, "send": "1"})

    assert sent.status_code == 200 and "短信发送失败" not in text(sent)
    assert [(c["phone"], c["writer_blocked"], c["codes_committed"]) for c in sink] == [(PHONE, None, 1)]
    message = db.session.scalar(db.select(OutboxMessage))
    assert (message.status, message.sender, message.attempts) == (SENT, "ProbingGateway", 1)
    assert message.body == ""  # the gateway has the code; it is not kept in clear
    # And the code that was texted works.
    confirmed = client.post(base, data={"phone": PHONE, "code": sink[0]["code"], "confirm": "1"})
    assert confirmed.status_code == 302


def test_a_refusing_gateway_is_a_message_the_code_is_kept_and_resending_works(client, world, gateway):
    sink = gateway(fail=True)
    base = f"/m/{world.shop.public_code}/complain"
    client.get(base)

    refused = client.post(base, data={"phone": PHONE, "send": "1"})

    assert refused.status_code == 200
    assert "短信发送失败，请稍后再试。" in text(refused)
    assert 'name="code"' not in text(refused)  # no code form for a code that never arrived
    assert count(PhoneVerification) == 1 and committed_rows("phone_verifications") == 1
    assert db.session.scalar(db.select(OutboxMessage.status)) == FAILED
    assert len(sink) == 1

    # At once, without the 60-second wait: the gateway works again and the new code arrives.
    gateway(fail=False)
    again = client.post(base, data={"phone": PHONE, "send": "1"})
    assert again.status_code == 200 and "短信发送失败" not in text(again) and 'name="code"' in text(again)
    assert len(sink) == 2 and count(PhoneVerification) == 2
    confirmed = client.post(base, data={"phone": PHONE, "code": sink[1]["code"], "confirm": "1"})
    assert confirmed.status_code == 302


def test_a_filed_complaint_is_answered_without_taking_the_write_lock_again(app, client, world, verified):
    """After the commit the case is stored: the answer (flash with the tracking number, redirect) must not
    open a new transaction, which in a POST waits for SQLite's write lock behind other writers and, past
    the busy timeout, turned a stored complaint into a 500 with no case link."""
    from sqlalchemy import event

    base = f"/m/{world.shop.public_code}/complain"
    verified(client)
    key = hidden_value(text(client.get(f"{base}/details")), "submission_key")
    statements = []
    committed = []

    def on_commit(conn):
        committed.append(True)

    def on_statement(conn, cursor, statement, parameters, context, executemany):
        if committed:
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        filed = client.post(f"{base}/details", data=complaint_form(submission_key=key))
    finally:
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "before_cursor_execute", on_statement)

    assert filed.status_code == 302 and committed
    assert statements == []
    assert count(Complaint) == 1
