"""The pluggable SMS sender: the outbox for development and tests, a dotted path for production."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from registry.config import ConfigurationError
from registry.extensions import db
from registry.messaging.models import OutboxMessage
from registry.messaging.senders import ConsoleSender, OutboxSender, get_sender, latest_message_to

PHONE = "13812345678"
MASKED = "138****5678"
BODY = "【诚信码】您的验证码是 246810，10 分钟内有效。如非本人操作请忽略。"


@pytest.fixture(autouse=True)
def enabled_loggers(monkeypatch):
    """Log assertions must not depend on test order: Alembic's fileConfig (run by the migration tests)
    disables every logger that exists by then, which would silence these modules' logs."""
    for name in ("registry.messaging.senders", "registry.messaging.verification"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)


class RecordingSender:
    """A stand-in production sender; keeps each message in the `sink` list it is configured with.

    The app imports it by its dotted path, which may load this file a second time as another module,
    so it records into an object handed over through SMS_SENDER_OPTIONS, not into class state.
    """

    def __init__(self, sink: list, sign: str = ""):
        self.sink = sink
        self.sign = sign

    def send(self, phone: str, body: str, purpose: str) -> None:
        self.sink.append((phone, self.sign + body, purpose))


class NoSendMethod:
    pass


def outbox_count() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)))


def test_the_outbox_is_the_default_and_stores_the_message(app):
    app.config.pop("SMS_SENDER", None)
    sender = get_sender()
    assert isinstance(sender, OutboxSender)

    sender.send(PHONE, BODY, "complaint")
    db.session.commit()

    message = latest_message_to(PHONE)
    assert (message.phone, message.body, message.purpose, message.sender) == (PHONE, BODY, "complaint", "outbox")
    assert message.created_at.tzinfo is not None
    assert latest_message_to("13800000000") is None


def test_latest_message_is_the_newest_and_can_be_filtered_by_purpose(app):
    sender = get_sender()
    sender.send(PHONE, "first", "complaint")
    sender.send(PHONE, "second", "other")
    db.session.commit()

    assert latest_message_to(PHONE).body == "second"
    assert latest_message_to(PHONE, purpose="complaint").body == "first"
    # Typed forms of the number find the same messages.
    assert latest_message_to("+86 138-1234-5678").body == "second"


@pytest.mark.parametrize("name", ["outbox", "console", " Outbox ", ""])
def test_outbox_and_console_name_the_same_sender(app, name):
    app.config["SMS_SENDER"] = name
    assert ConsoleSender is OutboxSender
    assert isinstance(get_sender(), OutboxSender)


def test_the_log_names_the_masked_phone_and_never_the_number(app, caplog):
    caplog.set_level(logging.DEBUG)
    get_sender().send(PHONE, BODY, "complaint")

    records = [r for r in caplog.records if r.name == "registry.messaging.senders"]
    assert [r.getMessage() for r in records] == [f"SMS to {MASKED}: {BODY}"]
    for record in caplog.records:
        assert PHONE not in record.getMessage()
        assert PHONE not in repr(record.args)
    assert PHONE not in caplog.text


def test_development_prints_the_message_to_the_console_masked(app, capsys):
    app.config["REGISTRY_ENV"] = "development"
    get_sender().send(PHONE, BODY, "complaint")

    console = capsys.readouterr()
    assert f"{MASKED}: {BODY}" in console.err
    assert PHONE not in console.err + console.out


def test_outside_development_nothing_is_printed(app, capsys):
    get_sender().send(PHONE, BODY, "complaint")
    console = capsys.readouterr()
    assert console.out == console.err == ""


def test_the_outbox_in_production_warns_and_keeps_codes_out_of_the_log(app, caplog):
    app.config["REGISTRY_ENV"] = "production"
    caplog.set_level(logging.DEBUG)
    get_sender().send(PHONE, BODY, "complaint")

    records = [r for r in caplog.records if r.name == "registry.messaging.senders"]
    assert [r.levelno for r in records] == [logging.WARNING]
    assert MASKED in caplog.text and "not delivered" in caplog.text
    assert "246810" not in caplog.text and PHONE not in caplog.text
    assert outbox_count() == 1


def test_a_dotted_path_sender_is_loaded_with_its_options_and_called(app):
    sink: list = []
    app.config["SMS_SENDER"] = "tests.messaging.test_senders:RecordingSender"
    app.config["SMS_SENDER_OPTIONS"] = {"sink": sink, "sign": "【诚信码】"}

    sender = get_sender()
    assert type(sender).__name__ == "RecordingSender"
    sender.send(PHONE, "您好", "complaint")

    assert sink == [(PHONE, "【诚信码】您好", "complaint")]
    assert outbox_count() == 0


def test_a_dotted_path_sender_without_options_gets_no_arguments(app):
    app.config["SMS_SENDER"] = "registry.messaging.senders:OutboxSender"
    app.config.pop("SMS_SENDER_OPTIONS", None)
    assert isinstance(get_sender(), OutboxSender)


@pytest.mark.parametrize("setting", [
    "carrier-pigeon",
    "aliyun",
    "tests.messaging.test_senders",
    "tests.messaging.test_senders:",
    ":RecordingSender",
    "tests.messaging.test_senders:NoSuchSender",
    "tests.messaging.test_senders:PHONE",
    "tests.messaging.test_senders:NoSendMethod",
    "registry.no_such_module:Sender",
])
def test_an_unknown_sender_is_a_configuration_error(app, setting):
    app.config["SMS_SENDER"] = setting
    with pytest.raises(ConfigurationError) as raised:
        get_sender()
    assert repr(setting.strip()) in str(raised.value) or "SMS_SENDER" in str(raised.value)


def test_the_configuration_error_says_what_is_accepted(app):
    app.config["SMS_SENDER"] = "carrier-pigeon"
    with pytest.raises(ConfigurationError, match=r"'carrier-pigeon'.*\"outbox\".*package\.module:ClassName"):
        get_sender()


@pytest.mark.parametrize("options", [["sink"], "sink=1"])
def test_sender_options_must_be_keyword_arguments(app, options):
    app.config["SMS_SENDER"] = "tests.messaging.test_senders:RecordingSender"
    app.config["SMS_SENDER_OPTIONS"] = options
    with pytest.raises(ConfigurationError, match="SMS_SENDER_OPTIONS"):
        get_sender()


def test_a_setting_that_is_not_text_is_a_configuration_error(app):
    app.config["SMS_SENDER"] = RecordingSender
    with pytest.raises(ConfigurationError, match="SMS_SENDER must be a string"):
        get_sender()
