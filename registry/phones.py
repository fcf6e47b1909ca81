"""Mobile numbers and personal names as people type them: normalise, validate and mask.

Pure functions (no database, no request state) used by accounts, SMS, complaints and moderation,
and the separator folding the credit-code rules share. Error messages are Simplified Chinese msgids
passed through Flask-Babel's ``gettext``; outside an app context gettext returns the msgid itself,
so these functions work in scripts and tests.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

# NFKC already folds full-width "－" into "-", but dashes such as U+2013 survive it,
# and they turn up when codes are copied out of Word documents or web pages.
HYPHENS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")
# Zero-width characters are not str.isspace() yet are invisible when pasted,
# so a user could never find them to delete them.
INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_PARENTHESES = frozenset("()[]")
ASCII_DIGITS = frozenset("0123456789")
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


def strip_separators(text: str, extra: frozenset[str] = frozenset()) -> str:
    """Drop whitespace, hyphens, invisible characters and any ``extra`` characters."""
    return "".join(
        c for c in text if not (c.isspace() or c in HYPHENS or c in INVISIBLE or c in extra)
    )


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
    return _strip_country_code(strip_separators(text, extra=_PARENTHESES))


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
        if ch not in ASCII_DIGITS:
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
    number = strip_separators(unicodedata.normalize("NFKC", phone or ""), extra=_PARENTHESES)
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
