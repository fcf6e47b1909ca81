"""Normalise, validate and mask merchant identifiers (credit codes, mobile numbers, names).

Pure functions: no database, no request state. Error messages are Simplified
Chinese msgids passed through Flask-Babel's ``gettext``; outside an app context
gettext returns the msgid itself, so these functions work in scripts and tests.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "CREDIT_CODE_LENGTH",
    "InvalidIdentifier",
    "credit_code_check_character",
    "mask_mobile",
    "mask_name",
    "normalize_credit_code",
    "normalize_mobile",
    "validate_credit_code",
    "validate_mobile",
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

# NFKC already folds full-width "－" into "-", but dashes such as U+2013 survive it,
# and they turn up when codes are copied out of Word documents or web pages.
_HYPHENS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")
# Zero-width characters are not str.isspace() yet are invisible when pasted,
# so a user could never find them to delete them.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_PARENTHESES = frozenset("()[]")
_ASCII_DIGITS = frozenset("0123456789")
_MOBILE_PATTERN = re.compile(r"1[3-9][0-9]{9}")
_MOBILE_LENGTH = 11
_MASK = "*"


class InvalidIdentifier(ValueError):
    """An identifier failed validation; ``message`` is the user-facing reason."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        # ``reason`` is a stable, untranslated tag so callers and tests need not
        # parse the (translatable) message to know which rule failed.
        super().__init__(message)
        self.message = message
        self.reason = reason

    def __str__(self) -> str:
        """Return the user-facing message."""
        return self.message


def _upper_ascii(text: str) -> str:
    """Upper-case ASCII letters only."""
    # str.upper() would turn "ß" into "SS" or "ı" into "I", changing the length or
    # smuggling in a character the user never typed, which would make the
    # reported length and positions wrong.
    return "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in text)


def _strip_separators(text: str, extra: frozenset[str] = frozenset()) -> str:
    """Drop whitespace, hyphens, invisible characters and any ``extra`` characters."""
    return "".join(
        c for c in text if not (c.isspace() or c in _HYPHENS or c in _INVISIBLE or c in extra)
    )


def normalize_credit_code(raw: str) -> str:
    """Fold a typed or pasted 统一社会信用代码 into canonical upper-case ASCII form."""
    # NFKC turns full-width "９１ＡＢ" (common with Chinese IMEs) into "91AB"
    # and U+3000 ideographic spaces into ordinary spaces, which are then dropped.
    text = unicodedata.normalize("NFKC", raw or "")
    return _upper_ascii(_strip_separators(text))


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
        if ch not in _ASCII_DIGITS:
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


def _strip_country_code(number: str) -> str:
    """Remove a leading +86, 0086 or 86 mainland China country code."""
    if number.startswith("+86"):
        return number[3:]
    if number.startswith("0086"):
        return number[4:]
    # A bare "86" is only a country code when exactly 11 digits follow; otherwise
    # it is probably a mistyped number and stripping it would misreport the length.
    if number.startswith("86") and len(number) == _MOBILE_LENGTH + 2:
        return number[2:]
    return number


def normalize_mobile(raw: str) -> str:
    """Fold a typed mobile number into digits, dropping separators and a +86 prefix."""
    # NFKC folds full-width digits, "＋" and "（）" into ASCII before stripping.
    text = unicodedata.normalize("NFKC", raw or "")
    return _strip_country_code(_strip_separators(text, extra=_PARENTHESES))


def validate_mobile(raw: str) -> str:
    """Return the 11-digit mainland China mobile number, or raise InvalidIdentifier."""
    number = normalize_mobile(raw)
    if not number:
        raise InvalidIdentifier(_("请输入手机号码。"), reason="empty")

    if number.startswith("+"):
        # Any "+86" was already stripped, so this is a foreign country code.
        raise InvalidIdentifier(
            _("目前只支持中国大陆手机号码（+86）。"), reason="country"
        )

    for ch in number:
        # ASCII only: str.isdigit() would also accept e.g. Arabic-Indic digits.
        if ch not in _ASCII_DIGITS:
            raise InvalidIdentifier(
                _("手机号码只能包含数字，但其中有“%(char)s”。", char=ch),
                reason="character",
            )

    if len(number) != _MOBILE_LENGTH:
        raise InvalidIdentifier(
            _(
                "手机号码应为 %(expected)d 位数字，您输入了 %(given)d 位。",
                expected=_MOBILE_LENGTH,
                given=len(number),
            ),
            reason="length",
        )

    if not _MOBILE_PATTERN.fullmatch(number):
        raise InvalidIdentifier(
            _(
                "手机号码应以 13–19 开头，您输入的号码以 %(prefix)s 开头。",
                prefix=number[:2],
            ),
            reason="prefix",
        )
    return number


def mask_mobile(phone: str) -> str:
    """Mask a mobile number as 138****1234, hiding digits 4–7; idempotent."""
    number = _strip_separators(unicodedata.normalize("NFKC", phone or ""), extra=_PARENTHESES)
    # Stripping can bring a combining mark next to a letter that NFKC then composes (R + ¸ → Ŗ):
    # normalise again so masking an already masked value gives the same value.
    number = unicodedata.normalize("NFKC", number)
    if len(number) != _MOBILE_LENGTH:
        # Only look for a country code when the bare value is not already 11
        # characters, so an 11-digit value starting with "0086" keeps its shape.
        number = _strip_country_code(number)
    if len(number) != _MOBILE_LENGTH:
        # An unexpected shape gives no safe split into "public" and "private"
        # digits, so reveal nothing rather than risk leaking the middle.
        return _MASK * len(number)
    return number[:3] + _MASK * 4 + number[-4:]


def mask_name(name: str) -> str:
    """Mask a personal name as 张* (first character kept, one * per other character); idempotent."""
    text = (name or "").strip()
    if len(text) <= 1:
        # A single-character name would be fully revealed by keeping the first one.
        return _MASK * len(text)
    return text[0] + _MASK * (len(text) - 1)
