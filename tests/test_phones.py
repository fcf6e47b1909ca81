"""Tests for registry.phones: mobile numbers normalised, validated and masked; names masked
(pure functions; no Flask app needed)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.phones import InvalidIdentifier, mask_mobile, mask_name, normalize_mobile, validate_mobile


def _error(func, raw):
    """Call ``func(raw)`` and return the InvalidIdentifier it must raise."""
    with pytest.raises(InvalidIdentifier) as info:
        func(raw)
    return info.value

# ---------------------------------------------------------------------------
# Mobile numbers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("13800138000", id="plain"),
        pytest.param("+86 138 0013 8000", id="plus86-spaces"),
        pytest.param("+86-138-0013-8000", id="plus86-hyphens"),
        pytest.param("(+86) 138 0013 8000", id="parenthesised-country-code"),
        pytest.param("0086 13800138000", id="0086"),
        pytest.param("8613800138000", id="bare-86"),
        pytest.param("138-0013-8000", id="hyphens"),
        pytest.param("１３８００１３８０００", id="full-width-digits"),
        pytest.param("＋８６\u3000１３８\u3000００１３\u3000８０００", id="full-width-plus86"),
        pytest.param("（１３８）００１３－８０００", id="full-width-parentheses-hyphen"),
        pytest.param(" 138 0013 8000\n", id="surrounding-whitespace"),
    ],
)
def test_valid_mobile_forms_normalise(raw):
    assert normalize_mobile(raw) == "13800138000"
    assert validate_mobile(raw) == "13800138000"


@pytest.mark.parametrize("prefix", [f"1{d}" for d in "3456789"])
def test_every_mobile_prefix_13_to_19_is_accepted(prefix):
    number = prefix + "012345678"
    assert validate_mobile(number) == number


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param(" - ", id="separators"),
        pytest.param(None, id="none"),
    ],
)
def test_mobile_empty(raw):
    exc = _error(validate_mobile, raw)
    assert exc.reason == "empty"
    assert exc.message == "请输入手机号码。"


@pytest.mark.parametrize(
    ("raw", "char"),
    [
        pytest.param("1380013800a", "a", id="letter"),
        pytest.param("138.0013.8000", ".", id="dots"),
        pytest.param("138 0013 8000 转 1", "转", id="extension"),
        pytest.param("1380013800٠", "٠", id="arabic-indic-digit"),
        pytest.param("138*0013*8000", "*", id="asterisk"),
    ],
)
def test_mobile_non_digit_characters(raw, char):
    exc = _error(validate_mobile, raw)
    assert exc.reason == "character"
    assert exc.message == f"手机号码只能包含数字，但其中有“{char}”。"


@pytest.mark.parametrize(
    ("raw", "given"),
    [
        pytest.param("1380013800", 10, id="ten-digits"),
        pytest.param("138001380001", 12, id="twelve-digits"),
        pytest.param("+86 138 0013 800", 10, id="plus86-short"),
        pytest.param("8612345", 7, id="short-starting-86"),
        pytest.param("86 1380013800", 12, id="bare-86-then-ten-digits"),
    ],
)
def test_mobile_wrong_length(raw, given):
    exc = _error(validate_mobile, raw)
    assert exc.reason == "length"
    assert exc.message == f"手机号码应为 11 位数字，您输入了 {given} 位。"


@pytest.mark.parametrize(
    ("raw", "prefix"),
    [
        pytest.param("12800138000", "12", id="12"),
        pytest.param("10086000000", "10", id="10"),
        pytest.param("23800138000", "23", id="23"),
        pytest.param("02112345678", "02", id="landline"),
    ],
)
def test_mobile_must_start_with_13_to_19(raw, prefix):
    exc = _error(validate_mobile, raw)
    assert exc.reason == "prefix"
    assert exc.message == f"手机号码应以 13–19 开头，您输入的号码以 {prefix} 开头。"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("+852 9123 4567", id="hong-kong"),
        pytest.param("+1 415 555 0100", id="us"),
    ],
)
def test_mobile_foreign_country_code(raw):
    exc = _error(validate_mobile, raw)
    assert exc.reason == "country"
    assert "+86" in exc.message


# ---------------------------------------------------------------------------
# Masking (consumer privacy)
# ---------------------------------------------------------------------------

MOBILES = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
ANY_ELEVEN_DIGITS = st.text(alphabet="0123456789", min_size=11, max_size=11)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        pytest.param("13812341234", "138****1234", id="plain"),
        pytest.param("+86 138 1234 1234", "138****1234", id="formatted"),
        pytest.param("138****1234", "138****1234", id="already-masked"),
        pytest.param("12345", "*****", id="short-reveals-nothing"),
        pytest.param("", "", id="empty"),
    ],
)
def test_mask_mobile_examples(raw, masked):
    assert mask_mobile(raw) == masked


@given(st.one_of(MOBILES, ANY_ELEVEN_DIGITS))
def test_mask_mobile_hides_middle_keeps_ends_and_is_idempotent(phone):
    masked = mask_mobile(phone)
    assert len(masked) == 11
    assert masked[:3] == phone[:3]
    assert masked[3:7] == "****"
    assert masked[7:] == phone[7:]
    assert mask_mobile(masked) == masked


@given(MOBILES)
def test_mask_mobile_of_formatted_number_matches_plain(phone):
    formatted = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
    assert mask_mobile(formatted) == mask_mobile(phone)


@given(st.text(max_size=30))
def test_mask_mobile_is_idempotent_on_any_text(text):
    once = mask_mobile(text)
    assert mask_mobile(once) == once


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        pytest.param("张三", "张*", id="two-characters"),
        pytest.param("欧阳娜娜", "欧***", id="four-characters"),
        pytest.param("李", "*", id="one-character"),
        pytest.param(" 王五 ", "王*", id="surrounding-spaces"),
        pytest.param("张*", "张*", id="already-masked"),
        pytest.param("", "", id="empty"),
    ],
)
def test_mask_name_examples(raw, masked):
    assert mask_name(raw) == masked


@given(st.text(min_size=1, max_size=20))
def test_mask_name_keeps_only_first_character_and_is_idempotent(name):
    masked = mask_name(name)
    stripped = name.strip()
    assert len(masked) == len(stripped)
    if len(stripped) >= 2:
        assert masked[0] == stripped[0]
        assert set(masked[1:]) == {"*"}
    else:
        assert set(masked) <= {"*"}
    assert mask_name(masked) == masked
