"""Normalise and validate the 统一社会信用代码 (unified social credit code) a shop registers with.

Pure functions: no database, no request state. Error messages are Simplified
Chinese msgids passed through Flask-Babel's ``gettext``; outside an app context
gettext returns the msgid itself, so these functions work in scripts and tests.
"""

from __future__ import annotations

import unicodedata

from flask_babel import gettext as _

from registry.phones import ASCII_DIGITS, InvalidIdentifier, strip_separators

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "CREDIT_CODE_LENGTH",
    "credit_code_check_character",
    "normalize_credit_code",
    "validate_credit_code",
]

# GB 32100-2015 code alphabet; the index of each character is its numeric value.
# I, O, Z, S, V are left out because they are easily confused with 1, 0, 2, 5, U.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_LENGTH = 18
_CREDIT_CODE_VALUES = {ch: i for i, ch in enumerate(CREDIT_CODE_ALPHABET)}
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_CODE_MODULUS = 31
# 1-based positions of the registration authority's administrative division code.
_DIVISION_CODE_POSITIONS = range(3, 9)


def _upper_ascii(text: str) -> str:
    """Upper-case ASCII letters only."""
    # str.upper() would turn "ß" into "SS" or "ı" into "I", changing the length or
    # smuggling in a character the user never typed, which would make the
    # reported length and positions wrong.
    return "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in text)


def normalize_credit_code(raw: str) -> str:
    """Fold a typed or pasted 统一社会信用代码 into canonical upper-case ASCII form."""
    # NFKC turns full-width "９１ＡＢ" (common with Chinese IMEs) into "91AB"
    # and U+3000 ideographic spaces into ordinary spaces, which are then dropped.
    text = unicodedata.normalize("NFKC", raw or "")
    return _upper_ascii(strip_separators(text))


def credit_code_check_character(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a code."""
    if len(first17) != CREDIT_CODE_LENGTH - 1:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    total = 0
    for ch, weight in zip(first17, _CREDIT_CODE_WEIGHTS):
        try:
            total += _CREDIT_CODE_VALUES[ch] * weight
        except KeyError:
            raise ValueError(f"{ch!r} is not in the credit code alphabet") from None
    # The standard defines the check value as 31 - (sum mod 31), with 31 mapped to 0.
    value = (_CREDIT_CODE_MODULUS - total % _CREDIT_CODE_MODULUS) % _CREDIT_CODE_MODULUS
    return CREDIT_CODE_ALPHABET[value]


def validate_credit_code(raw: str) -> str:
    """Return the normalised 统一社会信用代码, or raise InvalidIdentifier saying what is wrong."""
    code = normalize_credit_code(raw)
    if not code:
        raise InvalidIdentifier(_("请输入统一社会信用代码。"), reason="empty")

    if len(code) != CREDIT_CODE_LENGTH:
        raise InvalidIdentifier(
            _(
                "统一社会信用代码应为 %(expected)d 位，您输入了 %(given)d 位。",
                expected=CREDIT_CODE_LENGTH,
                given=len(code),
            ),
            reason="length",
        )

    for position, ch in enumerate(code, start=1):
        if ch not in _CREDIT_CODE_VALUES:
            raise InvalidIdentifier(
                _(
                    "第 %(position)d 位的字符“%(char)s”不能用于统一社会信用代码："
                    "只允许数字 0–9 和除 I、O、Z、S、V 以外的大写英文字母。",
                    position=position,
                    char=ch,
                ),
                reason="character",
            )

    for position in _DIVISION_CODE_POSITIONS:
        ch = code[position - 1]
        if ch not in ASCII_DIGITS:
            raise InvalidIdentifier(
                _(
                    "统一社会信用代码第 3–8 位是登记管理机关的行政区划码，只能是数字，"
                    "但第 %(position)d 位是“%(char)s”。",
                    position=position,
                    char=ch,
                ),
                reason="division",
            )

    expected = credit_code_check_character(code[:-1])
    actual = code[-1]
    if actual != expected:
        raise InvalidIdentifier(
            _(
                "统一社会信用代码校验不通过：第 18 位校验位应为 %(expected)s，实际为 %(actual)s。"
                "请逐位核对营业执照上的代码。",
                expected=expected,
                actual=actual,
            ),
            reason="checksum",
        )
    return code


# The national registration authority (SAMR) registers a few enterprises itself.
NATIONAL_AUTHORITY = "100000"


def registration_division(code: str) -> str:
    """Digits 3–8 of a valid credit code: the administrative division of the authority that issued it."""
    return code[2:8]


def registered_elsewhere(code: str, district_division: str) -> bool:
    """Whether a valid credit code was issued outside the city of a district with `district_division`.

    Compared by city (first 4 digits), not by district: a city-level bureau (330100) issues many licences,
    and codes issued before a district was merged or split keep the old district's digits (杭州 330104
    江干区). A provincial bureau (330000) or the national one may register a business of any city. A code
    from another city is a typing mistake or someone else's code: a shop operating here, a branch
    included, holds a licence from an authority here.
    """
    authority = registration_division(code)
    if authority[:4] == district_division[:4] or authority == NATIONAL_AUTHORITY:
        return False
    return not (authority[:2] == district_division[:2] and authority[2:4] == "00")
