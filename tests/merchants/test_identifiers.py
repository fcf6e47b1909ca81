"""Tests for registry.merchants.identifiers (pure functions; no Flask app needed).

The phone-number and name helpers (registry.phones, a kernel module) are tested in tests/test_phones.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.merchants.identifiers import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_character,
    normalize_credit_code,
    validate_credit_code,
)
from registry.phones import InvalidIdentifier

# Real, published 统一社会信用代码 of well-known companies. Each was checked
# against the GB 32100-2015 algorithm before being kept here.
REAL_CREDIT_CODES = {
    # zh.wikipedia.org 华为 infobox (机构代码).
    "华为技术有限公司": "914403001922038216",
    # Public enterprise-registry records (also the "ContentProducer" prefix
    # 0011 + code in Tencent's AIGC content labels).
    "深圳市腾讯计算机系统有限公司": "91440300708461136T",
    # Public enterprise-registry records; positions 9-17 match the old
    # 组织机构代码 19231745-8.
    "比亚迪股份有限公司": "91440300192317458F",
    # Public enterprise-registry records (registration no. 110108012660422).
    "小米科技有限责任公司": "91110108551385082Q",
    # Public enterprise-registry records.
    "阿里巴巴（中国）网络技术有限公司": "91330100716105852F",
    # Public enterprise-registry records (组织机构代码 802100433).
    "北京百度网讯科技有限公司": "91110000802100433B",
}
CODE_PARAMS = [pytest.param(code, id=code) for code in REAL_CREDIT_CODES.values()]


def _full_width(text: str) -> str:
    """Convert printable ASCII to its full-width form, as a Chinese IME would type it."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _error(func, raw):
    """Call ``func(raw)`` and return the InvalidIdentifier it must raise."""
    with pytest.raises(InvalidIdentifier) as info:
        func(raw)
    return info.value


# ---------------------------------------------------------------------------
# 统一社会信用代码: real codes are valid and normalise to the same value
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODE_PARAMS)
def test_real_credit_code_is_valid(code):
    assert validate_credit_code(code) == code
    assert credit_code_check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", CODE_PARAMS)
@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(str.lower, id="lower-case"),
        pytest.param(_full_width, id="full-width"),
        pytest.param(lambda c: _full_width(c.lower()), id="full-width-lower"),
        pytest.param(lambda c: f"  {c[:6]} {c[6:12]}\t{c[12:]}\n", id="ascii-spaces"),
        pytest.param(lambda c: f"\u3000{c[:9]}\u3000{c[9:]}\u3000", id="ideographic-spaces"),
        pytest.param(lambda c: f"{c[:2]}-{c[2:8]}-{c[8:17]}-{c[17]}", id="hyphens"),
        pytest.param(lambda c: f"{c[:8]}\uff0d{c[8:]}\u200b", id="full-width-hyphen-zero-width"),
    ],
)
def test_real_credit_code_variants_normalise_to_same_code(code, variant):
    typed = variant(code)
    assert normalize_credit_code(typed) == code
    assert validate_credit_code(typed) == code


@pytest.mark.parametrize("code", CODE_PARAMS)
@pytest.mark.parametrize("position", range(1, 19))
def test_every_single_substitution_is_rejected(code, position):
    original = code[position - 1]
    for replacement in CREDIT_CODE_ALPHABET:
        if replacement == original:
            continue
        mutated = code[: position - 1] + replacement + code[position:]
        try:
            validate_credit_code(mutated)
        except InvalidIdentifier as exc:
            # A letter in the division code (positions 3-8) trips the digits rule
            # first; every other substitution must be caught by the check character.
            if 3 <= position <= 8 and not replacement.isdigit():
                assert exc.reason == "division", f"{mutated}: {exc}"
            else:
                assert exc.reason == "checksum", f"{mutated}: {exc}"
            if position == 18:
                assert f"应为 {original}，实际为 {replacement}" in exc.message, exc.message
        else:
            pytest.fail(
                f"{code} with position {position} changed {original!r}->{replacement!r} "
                f"({mutated}) was accepted"
            )


# ---------------------------------------------------------------------------
# 统一社会信用代码: each kind of error says exactly what is wrong
# ---------------------------------------------------------------------------

HUAWEI = REAL_CREDIT_CODES["华为技术有限公司"]
TENCENT = REAL_CREDIT_CODES["深圳市腾讯计算机系统有限公司"]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param("   \t", id="ascii-spaces"),
        pytest.param("\u3000\u3000", id="ideographic-spaces"),
        pytest.param(" - - ", id="only-hyphens"),
        pytest.param(None, id="none"),
    ],
)
def test_credit_code_empty(raw):
    exc = _error(validate_credit_code, raw)
    assert exc.reason == "empty"
    assert exc.message == "请输入统一社会信用代码。"
    assert str(exc) == exc.message
    assert isinstance(exc, ValueError)


@pytest.mark.parametrize(
    ("raw", "given"),
    [
        pytest.param(HUAWEI[:17], 17, id="one-short"),
        pytest.param(HUAWEI + "0", 19, id="one-long"),
        pytest.param("91440300", 8, id="much-too-short"),
        pytest.param(HUAWEI[:15] + "*", 16, id="short-with-bad-char"),
        pytest.param(" ".join(HUAWEI[:10]), 10, id="spaces-do-not-count"),
    ],
)
def test_credit_code_wrong_length(raw, given):
    exc = _error(validate_credit_code, raw)
    assert exc.reason == "length"
    assert exc.message == f"统一社会信用代码应为 18 位，您输入了 {given} 位。"


@pytest.mark.parametrize(
    ("raw", "position", "char"),
    [
        pytest.param(TENCENT[:9] + "I" + TENCENT[10:], 10, "I", id="I"),
        pytest.param(TENCENT[:10] + "O" + TENCENT[11:], 11, "O", id="O"),
        pytest.param(TENCENT[:17] + "Z", 18, "Z", id="Z"),
        pytest.param("S" + TENCENT[1:], 1, "S", id="S"),
        pytest.param(TENCENT[:1] + "v" + TENCENT[2:], 2, "V", id="lower-v"),
        pytest.param(TENCENT[:12] + "\uff2f" + TENCENT[13:], 13, "O", id="full-width-O"),
        pytest.param(TENCENT[:4] + "*" + TENCENT[5:], 5, "*", id="asterisk-in-division-code"),
        pytest.param(TENCENT[:16] + "中" + TENCENT[17:], 17, "中", id="chinese-character"),
        pytest.param(TENCENT[:17] + "腾", 18, "腾", id="chinese-check-character"),
    ],
)
def test_credit_code_forbidden_character_named_with_position(raw, position, char):
    exc = _error(validate_credit_code, raw)
    assert exc.reason == "character"
    assert f"第 {position} 位" in exc.message, exc.message
    assert f"“{char}”" in exc.message, exc.message
    assert "I、O、Z、S、V" in exc.message


def test_credit_code_first_bad_character_is_reported():
    exc = _error(validate_credit_code, "9I44O300708461136T")
    assert "第 2 位" in exc.message and "“I”" in exc.message


@pytest.mark.parametrize(
    ("position", "letter"),
    [pytest.param(p, "A", id=f"A-at-{p}") for p in range(3, 9)]
    + [pytest.param(8, "Y", id="Y-at-8")],
)
def test_credit_code_division_code_must_be_digits(position, letter):
    raw = HUAWEI[: position - 1] + letter + HUAWEI[position:]
    exc = _error(validate_credit_code, raw)
    assert exc.reason == "division"
    assert "第 3–8 位" in exc.message
    assert f"第 {position} 位是“{letter}”" in exc.message, exc.message


@pytest.mark.parametrize(
    ("raw", "expected", "actual"),
    [
        pytest.param(HUAWEI[:17] + "7", "6", "7", id="huawei-last-digit"),
        pytest.param(TENCENT[:17] + "U", "T", "U", id="tencent-last-letter"),
        pytest.param(TENCENT[:17] + "0", "T", "0", id="tencent-digit-for-letter"),
        # Swapping two neighbouring digits must change the expected check character.
        pytest.param("914403001292038216", "3", "6", id="huawei-transposition"),
    ],
)
def test_credit_code_check_mismatch_names_expected_character(raw, expected, actual):
    assert expected != actual
    exc = _error(validate_credit_code, raw)
    assert exc.reason == "checksum"
    assert f"校验位应为 {expected}，实际为 {actual}" in exc.message, exc.message


def test_check_character_maps_31_to_0():
    # "0" * 17 sums to 0; 31 - 0 = 31, which the standard maps to "0".
    assert credit_code_check_character("0" * 17) == "0"
    assert validate_credit_code("0" * 18) == "0" * 18


@given(
    st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=9, max_size=9),
)
def test_generated_codes_validate(head, division, body):
    first17 = head + division + body
    code = first17 + credit_code_check_character(first17)
    assert validate_credit_code(code) == code
    assert validate_credit_code(_full_width(code.lower())) == code


@pytest.mark.parametrize(
    "first17",
    [
        pytest.param(HUAWEI[:16], id="too-short"),
        pytest.param(HUAWEI, id="too-long"),
        pytest.param(HUAWEI[:16] + "I", id="forbidden-letter"),
        pytest.param(HUAWEI[:16].lower() + "a", id="lower-case"),
    ],
)
def test_check_character_rejects_bad_input(first17):
    with pytest.raises(ValueError):
        credit_code_check_character(first17)
