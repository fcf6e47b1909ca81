"""The message catalogue: every text signed by the issuing body, short enough to read on a phone."""

import re

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


# Typical values: a 12-character shop name, a tracking number, a case link as PUBLIC_BASE_URL builds it.
TYPICAL = dict(code="123456", minutes=10, shop="西湖区美好生活连锁超市", number="TS20261206-0042",
               link="https://cxm.example.cn/c/" + "0f" * 16, date="2026-12-18", ground="缺少必要信息，无法核实",
               when="2026-12-20 10:00", place="西湖区消保委调解室", phone="0571-86000315", reason="", note="", kind="警示")
# These carry staff-typed reasons or notes, as long as staff write them.
FREE_TEXT = {"sanction_warning", "sanction_suspended_until_rectified", "sanction_suspended", "sanction_revoked",
             "appeal_granted", "appeal_upheld", "ownership_rejected", "repair_refused"}


def test_every_text_fits_two_segments_with_typical_values(app):
    with app.test_request_context():
        for key in MESSAGES:
            params = dict(TYPICAL, number=3) if key == "pledge_resign" else TYPICAL
            text = sms_text(key, **params)
            assert segments(text) <= (3 if key in FREE_TEXT else 2), (key, len(text), text)


def test_a_reason_keeps_one_full_stop():
    from registry.messaging.catalogue import sentence_part

    assert sentence_part("经查实销售假冒商品。") == "经查实销售假冒商品"
    assert sentence_part("  多次违规！ ") == "多次违规"
    assert sentence_part(None) == ""


DOUBLED_PUNCTUATION = re.compile(r"[。．.！!？?；;，,、：:]{2}")


def test_no_text_doubles_punctuation_whatever_the_typed_text_ends_with(app):
    """Every typed value (a staff reason or note, a refusal ground, a mediation place) ends in each
    closing mark in turn: no entry shows two marks in a row (the template's own stop is the one kept)."""
    with app.test_request_context():
        for key in MESSAGES:
            for ending in "。．.！!？?；;，,、":
                params = dict(TYPICAL, reason="经查实" + ending, note="已核实" + ending,
                              ground="缺少必要信息" + ending, place="西湖区消保委调解室" + ending)
                if key == "pledge_resign":
                    params["number"] = 3
                for locale in ("zh", "en"):
                    text = sms_text(key, locale=locale, **params)
                    assert not DOUBLED_PUNCTUATION.search(text.replace("...", "")), (key, locale, ending, text)
