"""Personal data in text that is about to be published: find it, say where it is, mask it.

One check for every text the public reads (a complaint's public summary, a shop's reply, a sanction's
public reason, an appeal decision the shop and public see): mainland mobile numbers and landlines in
any spelling (spaces, dashes, full-width digits, +86 or 0086), 18-digit ID numbers whose GB 11643 check
digit is right, bank-card numbers of 16–19 digits that pass the Luhn check, e-mail addresses and
mainland licence plates (new-energy plates too).

Pure functions, like phones.py: no database, no request state. Positions count characters of the
text as given (1 is the first), so a message can point at the place a person has to edit. Messages
are Simplified Chinese msgids passed through Flask-Babel.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.errors import DomainError
from registry.phones import HYPHENS, INVISIBLE

MOBILE, LANDLINE, ID_NUMBER, BANK_CARD, EMAIL, PLATE = "mobile", "landline", "id_number", "bank_card", "email", "plate"
KIND_LABELS = {
    MOBILE: _l("手机号码"),
    LANDLINE: _l("固定电话号码"),
    ID_NUMBER: _l("身份证号"),
    BANK_CARD: _l("银行卡号"),
    EMAIL: _l("电子邮箱"),
    PLATE: _l("车牌号"),
}

# Between two digits people type spaces, dashes of every width, dots of no kind; after folding
# (see _fold) all dashes are "-".
_SEP = r"[ \t\-]?"
_NOT_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_AFTER = r"(?![0-9A-Za-z])"
_COUNTRY = r"(?:\+|00)?86"


def _digits(count: str) -> str:
    """`count` more digits, each perhaps after a separator."""
    return rf"(?:{_SEP}[0-9]){{{count}}}"


_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    # Mobile numbers: 1[3-9] and nine more digits, perhaps after +86 / 0086 / 86.
    (MOBILE, re.compile(_NOT_BEFORE + rf"(?:{_COUNTRY}{_SEP})?1{_SEP}[3-9]{_digits('9')}{_NOT_AFTER}")),
    # 18-digit ID numbers (the last may be X); checked against GB 11643 below.
    (ID_NUMBER, re.compile(_NOT_BEFORE + rf"[1-9]{_digits('16')}{_SEP}[0-9Xx]{_NOT_AFTER}")),
    # Bank cards: 16 to 19 digits; checked with Luhn below.
    (BANK_CARD, re.compile(_NOT_BEFORE + rf"[1-9]{_digits('15,18')}{_NOT_AFTER}")),
    # Landlines: area code 010 / 02x (then 8 digits) or 0xxx (then 7 or 8), perhaps in brackets, perhaps
    # after +86 without its 0; an extension after it is not needed to find it.
    (LANDLINE, re.compile(
        _NOT_BEFORE + r"(?:(?:\+|00)86" + _SEP + r"\(?0?|\(?0)"
        + r"(?:(?:10|2[0-9])\)?" + _SEP + rf"[2-9]{_digits('7')}"
        + r"|[3-9][0-9]{2}\)?" + _SEP + rf"[2-9]{_digits('6,7')})" + _NOT_AFTER)),
    (EMAIL, re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")),
    # Plates: province, issuing letter (no I or O), then five characters (regular) or six (new energy),
    # at least three of them digits so that words after a province's character are not taken for one.
    (PLATE, re.compile(
        r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][ ·•\-]?"
        r"(?=(?:[A-HJ-NP-Z]*[0-9]){3})[A-HJ-NP-Z0-9]{5,6}(?![A-Za-z0-9])", re.IGNORECASE)),
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_character(first17: str) -> str:
    """The GB 11643 check character of an ID number's first 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def is_id_number(value: str) -> bool:
    value = value.upper()
    return (len(value) == 18 and value[:17].isdigit() and value[0] != "0"
            and id_check_character(value[:17]) == value[17])


def passes_luhn(number: str) -> bool:
    if not number.isdigit():
        return False
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int  # index into the text as given
    end: int
    fragment: str  # the characters as typed

    @property
    def position(self) -> int:
        """Counted the way people count: the first character is 1."""
        return self.start + 1

    @property
    def masked(self) -> str:
        return mask_fragment(self.kind, self.fragment)


def _fold(text: str) -> str:
    """One character for one character: full-width digits, letters and signs to ASCII, every dash to
    "-", invisible characters to a space, so positions in the folded text are positions in `text`."""
    folded = []
    for character in text:
        if character in HYPHENS:
            folded.append("-")
        elif character in INVISIBLE or character.isspace():
            folded.append(" ")
        else:
            plain = unicodedata.normalize("NFKC", character)
            folded.append(plain if len(plain) == 1 else character)
    return "".join(folded)


def _significant(fragment: str) -> str:
    return "".join(c for c in _fold(fragment) if c.isalnum() or c in "@.")


def _counts(kind: str, fragment: str) -> bool:
    characters = _significant(fragment)
    if kind == ID_NUMBER:
        return is_id_number(characters)
    if kind == BANK_CARD:
        return passes_luhn(characters)
    return True


def find_personal_data(text: str) -> list[Finding]:
    """Every piece of personal data in `text`, in reading order, none overlapping another (an ID
    number is not also reported as a bank card or a phone number)."""
    folded = _fold(text or "")
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []
    # Longer, stricter kinds first: an ID number contains eleven digits that look like a mobile.
    order = (EMAIL, ID_NUMBER, BANK_CARD, MOBILE, LANDLINE, PLATE)
    patterns = dict(_PATTERNS)
    for kind in order:
        for match in patterns[kind].finditer(folded):
            start, end = match.span()
            # Trailing separators are never part of the number.
            while end > start and folded[end - 1] in " -":
                end -= 1
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            fragment = text[start:end]
            if _counts(kind, fragment):
                findings.append(Finding(kind, start, end, fragment))
                taken.append((start, end))
    return sorted(findings, key=lambda f: f.start)


def contains_personal_data(text: str) -> bool:
    return bool(find_personal_data(text))


def mask_fragment(kind: str, fragment: str) -> str:
    """Enough to recognise what was found, not enough to use it: 138****5678, a***@example.com, 浙A***5."""
    characters = _significant(fragment)
    if kind == EMAIL:
        local, _at, domain = characters.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind == PLATE:
        return characters[:2] + "*" * (len(characters) - 3) + characters[-1:]
    if kind in (MOBILE, LANDLINE):
        # The country code says nothing about the person; mask the number itself.
        if _fold(fragment).startswith(("+", "00")) or (kind == MOBILE and len(characters) > 11):
            characters = characters.removeprefix("00").removeprefix("86")
    keep_end = 4 if len(characters) >= 11 else 2
    return characters[:3] + "*" * (len(characters) - 3 - keep_end) + characters[-keep_end:]


def mask_personal_data(text: str) -> str:
    """`text` with every finding replaced by its masked form."""
    pieces, last = [], 0
    for finding in find_personal_data(text):
        pieces += [text[last:finding.start], finding.masked]
        last = finding.end
    pieces.append(text[last:])
    return "".join(pieces)


def describe(finding: Finding) -> str:
    return _("第 %(position)d 个字起的“%(fragment)s”像是%(kind)s", position=finding.position,
             fragment=finding.masked, kind=KIND_LABELS[finding.kind])


def refuse_personal_data(text: str, field: str | None = None) -> None:
    """Refuse staff-written public text that carries personal data, saying where each piece is."""
    findings = find_personal_data(text)
    if findings:
        raise DomainError(_("公开的文字不能包含个人信息：%(found)s。请删去或改写后再提交。",
                            found="；".join(describe(f) for f in findings)), field=field)
