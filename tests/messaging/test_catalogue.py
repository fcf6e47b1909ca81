"""The message catalogue: every text signed by the issuing body, short enough to read on a phone."""

from flask_babel import force_locale

from registry.messaging.catalogue import MESSAGES, PART, SEGMENT, segments, sms_text


def test_a_text_starts_with_the_issuing_bodys_signature(app):
    with app.test_request_context():
        text = sms_text("verification_code", code="123456", minutes=10)
    assert text == "【西子消协】您的验证码是 123456，10 分钟内有效。如非本人操作请忽略。"


def test_the_signature_follows_the_configuration(app, monkeypatch):
    monkeypatch.setitem(app.config, "ISSUER_SHORT_NAME", "东湖消保委")
    with app.test_request_context():
        assert sms_text("verification_code", code="123456", minutes=10).startswith("【东湖消保委】")


def test_texts_are_counted_in_segments():
    assert segments("字" * SEGMENT) == 1
    assert segments("字" * (SEGMENT + 1)) == 2
    assert segments("字" * (PART * 2)) == 2
    assert segments("字" * (PART * 2 + 1)) == 3


def test_every_catalogue_entry_has_an_english_translation(app):
    with app.test_request_context():
        for key, template in MESSAGES.items():
            chinese = str(template)
            with force_locale("en"):
                english = str(template)
            assert english != chinese, key
