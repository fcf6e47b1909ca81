"""One-time SMS codes: sent to the outbox, stored only as a hash, single use, 5 tries, 10 minutes."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from registry.messaging.verification import MAX_ATTEMPTS, PhoneVerification, TooSoon, confirm_code, send_code
from registry.errors import DomainError
from registry.extensions import db
from registry.phones import InvalidIdentifier, validate_mobile
from registry.messaging.models import FAILED, OutboxMessage
from registry.messaging.outbox import undelivered_in_last_commit
from registry.messaging.senders import SmsDeliveryError, latest_message_to

PHONE = "13912345678"
MASKED = "139****5678"
START = datetime(2026, 3, 2, 1, 30, tzinfo=timezone.utc)
_BODY = re.compile(r"^【西子消协】您的验证码是 (\d{6})，10 分钟内有效。如非本人操作请忽略。$")


@pytest.fixture(autouse=True)
def enabled_loggers(monkeypatch):
    """Log assertions must not depend on test order: Alembic's fileConfig (run by the migration tests)
    disables every logger that exists by then, which would silence these modules' logs."""
    for name in ("registry.messaging.senders", "registry.messaging.outbox", "registry.messaging.verification"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)


@pytest.fixture
def clock(app, clock):
    """The suite's clock at START; tests move it with clock.advance(...)."""
    clock.set(START)
    return clock


class FailingSender:
    def send(self, phone, body, purpose):
        raise SmsDeliveryError("provider said no")


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def sent_code(phone: str = PHONE) -> str:
    match = _BODY.match(latest_message_to(phone).body)
    assert match, latest_message_to(phone).body
    return match.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def refuse(phone: str, code: str, purpose: str = "complaint") -> DomainError:
    with pytest.raises(DomainError) as raised:
        confirm_code(phone, code, purpose)
    return raised.value


def reload(verification: PhoneVerification) -> PhoneVerification:
    """The row as the database holds it now."""
    db.session.expire_all()
    return db.session.get(PhoneVerification, verification.id)


def test_the_code_is_texted_and_only_its_hash_is_stored(app, clock):
    verification = send_code(PHONE)
    db.session.commit()

    message = latest_message_to(PHONE)
    assert (message.phone, message.purpose, message.sender) == (PHONE, "complaint", "outbox")
    code = sent_code()
    assert re.fullmatch(r"\d{6}", code)

    row = reload(verification)
    assert (row.phone, row.purpose, row.attempts, row.consumed_at) == (PHONE, "complaint", 0, None)
    assert (row.created_at, row.expires_at) == (START, START + timedelta(minutes=10))
    assert re.fullmatch(r"[0-9a-f]{64}", row.code_hash)
    stored = db.session.execute(select(PhoneVerification.__table__).where(PhoneVerification.id == row.id)).one()
    assert not any(code in str(value) for value in stored)


def test_codes_are_random(app, clock):
    codes = set()
    for n in range(8):
        phone = f"1391234{n:04d}"
        send_code(phone)
        codes.add(sent_code(phone))
    assert len(codes) > 1


def test_the_same_code_for_another_phone_gives_another_hash(app, clock):
    first = send_code(PHONE)
    second = send_code("13800138000")
    assert first.code_hash != second.code_hash


def test_a_code_confirms_once(app, clock):
    send_code(PHONE)
    db.session.commit()
    code = sent_code()

    confirm_code(PHONE, code)
    db.session.commit()
    assert db.session.scalar(select(PhoneVerification.consumed_at)) == START

    error = refuse(PHONE, code)
    assert (error.field, error.message) == ("code", "验证码已使用，请重新获取。")


def test_typed_forms_of_the_phone_and_code_are_accepted(app, clock):
    send_code("+86 139 1234 5678")
    code = sent_code()
    confirm_code(full_width("139-1234-5678"), f" {full_width(code[:3])}\u3000{code[3:]} ")


def test_a_wrong_code_counts_and_the_code_dies_after_five_tries(app, clock):
    verification = send_code(PHONE)
    db.session.commit()
    code = sent_code()

    for left in range(MAX_ATTEMPTS - 1, 0, -1):
        error = refuse(PHONE, wrong(code))
        assert (error.field, error.message) == ("code", f"验证码不正确，还可以再试 {left} 次。")
        db.session.commit()
    error = refuse(PHONE, wrong(code))
    assert (error.field, error.message) == ("code", "验证码错误次数过多，请重新获取。")
    db.session.commit()
    assert reload(verification).attempts == MAX_ATTEMPTS

    # Dead: even the right code is refused now, and nothing more is counted.
    error = refuse(PHONE, code)
    assert (error.field, error.message) == ("code", "验证码错误次数过多，请重新获取。")
    db.session.commit()
    assert reload(verification).attempts == MAX_ATTEMPTS
    assert reload(verification).consumed_at is None


@pytest.mark.parametrize("end", ["rollback", "remove", "commit"])
def test_wrong_tries_count_however_the_callers_transaction_ends(app, clock, end):
    """A view that shows the error without committing must not give the guesser a free try."""
    verification = send_code(PHONE)
    db.session.commit()
    code = sent_code()

    for _ in range(2):
        refuse(PHONE, wrong(code))
        getattr(db.session, end)()
    assert reload(verification).attempts == 2
    confirm_code(PHONE, code)


def test_uncounted_refusals_do_not_use_up_tries(app, clock):
    verification = send_code(PHONE)
    db.session.commit()

    assert refuse(PHONE, "").message == "请输入验证码。"
    assert refuse(PHONE, "12345").message == "验证码应为 6 位数字。"
    assert refuse(PHONE, "12345a").message == "验证码应为 6 位数字。"
    assert refuse(PHONE, "١٢٣٤٥٦").message == "验证码应为 6 位数字。"  # Arabic-Indic digits
    db.session.rollback()
    assert reload(verification).attempts == 0


def test_a_code_expires_after_ten_minutes(app, clock):
    send_code(PHONE)
    db.session.commit()
    code = sent_code()

    clock.advance(minutes=11)
    error = refuse(PHONE, code)
    assert (error.field, error.message) == ("code", "验证码已过期，请重新获取。")


def test_a_code_still_works_just_before_it_expires(app, clock):
    send_code(PHONE)
    code = sent_code()
    clock.advance(minutes=9, seconds=59)
    confirm_code(PHONE, code)


def test_a_new_code_is_refused_within_sixty_seconds_and_allowed_after(app, clock):
    first = send_code(PHONE)
    db.session.commit()
    old_code = sent_code()

    clock.advance(seconds=20)
    with pytest.raises(TooSoon) as raised:
        send_code(PHONE)
    assert (raised.value.field, raised.value.message) == ("phone", "验证码已发送，请 40 秒后再试。")
    assert raised.value.status_code == 429
    db.session.rollback()

    clock.advance(seconds=39, microseconds=500_000)
    with pytest.raises(TooSoon, match="请 1 秒后再试"):
        send_code(PHONE, purpose="other")  # the interval is per phone, whatever the purpose
    db.session.rollback()

    clock.advance(seconds=1)
    send_code(PHONE)
    db.session.commit()
    new_code = sent_code()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2

    # Only the newest code counts: the old one is ended and, typed now, is a wrong try.
    assert reload(first).expires_at == START + timedelta(seconds=60, microseconds=500_000)
    if old_code != new_code:
        assert refuse(PHONE, old_code).message == "验证码不正确，还可以再试 4 次。"
    confirm_code(PHONE, new_code)


def test_the_resend_interval_is_per_phone(app, clock):
    send_code(PHONE)
    send_code("13800138000")


def test_a_new_code_gives_fresh_tries(app, clock):
    send_code(PHONE)
    code = sent_code()
    for _ in range(MAX_ATTEMPTS):
        refuse(PHONE, wrong(code))
    clock.advance(seconds=61)
    send_code(PHONE)
    confirm_code(PHONE, sent_code())


@pytest.mark.parametrize("phone", ["", "1391234567", "23912345678", "+1 415 555 0100", "139-1234-567x"])
def test_an_invalid_phone_is_refused_with_the_identifier_message(app, clock, phone):
    with pytest.raises(InvalidIdentifier) as expected:
        validate_mobile(phone)
    for action in (lambda: send_code(phone), lambda: confirm_code(phone, "123456")):
        with pytest.raises(DomainError) as raised:
            action()
        assert (raised.value.field, raised.value.message) == ("phone", expected.value.message)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_confirming_without_a_code_sent_is_refused(app, clock):
    assert refuse(PHONE, "123456").message == "请先获取验证码。"


def test_codes_are_kept_apart_by_purpose(app, clock):
    send_code(PHONE, purpose="complaint")
    code = sent_code()
    assert refuse(PHONE, code, purpose="followup").message == "请先获取验证码。"
    confirm_code(PHONE, code, purpose="complaint")


def test_a_code_made_under_a_retired_secret_key_still_works(app, clock):
    send_code(PHONE)
    db.session.commit()
    code = sent_code()

    app.config["SECRET_KEY_FALLBACKS"] = [app.config["SECRET_KEY"]]
    app.config["SECRET_KEY"] = "a-new-secret-key-that-is-also-long-enough-9876543210"
    confirm_code(PHONE, code)


def test_a_code_does_not_survive_a_lost_secret_key(app, clock):
    send_code(PHONE)
    db.session.commit()
    code = sent_code()

    app.config["SECRET_KEY"] = "a-new-secret-key-that-is-also-long-enough-9876543210"
    assert refuse(PHONE, code).message == "验证码不正确，还可以再试 4 次。"


def test_a_failing_sms_provider_keeps_the_code_says_so_after_commit_and_allows_a_resend(app, clock, caplog):
    app.config["SMS_SENDER"] = "tests.messaging.test_verification:FailingSender"
    send_code(PHONE)  # the provider is only asked once the code is committed
    assert not undelivered_in_last_commit(PHONE)
    db.session.commit()
    assert undelivered_in_last_commit(PHONE) and not undelivered_in_last_commit("13800000000")
    assert db.session.scalar(select(OutboxMessage.status)) == FAILED
    assert MASKED in caplog.text and PHONE not in caplog.text
    # The code never arrived, so the 60-second wait does not apply to the next request.
    app.config["SMS_SENDER"] = "outbox"
    send_code(PHONE)
    db.session.commit()
    assert not undelivered_in_last_commit(PHONE)
    assert len(db.session.scalars(select(PhoneVerification)).all()) == 2


def test_sending_and_confirming_never_log_the_phone(app, clock, caplog):
    caplog.set_level(logging.DEBUG)
    send_code(PHONE)
    db.session.commit()
    code = sent_code()
    refuse(PHONE, wrong(code))
    db.session.rollback()
    confirm_code(PHONE, code)
    assert MASKED in caplog.text
    assert PHONE not in caplog.text
    assert all(PHONE not in repr(record.args) for record in caplog.records)
