"""Characters: what a person may type into a form, and what a spreadsheet, CSV or PDF may receive.

Typed text is normalised (NFC, zero-width characters dropped) and refused when it carries characters no
one means to type: C0/C1 controls, and the bidi overrides and isolates that make text display in an order
other than the one stored (a shop name that reverses the search results around it). Line breaks and tabs
belong to multi-line text only. Text written out (old rows may hold anything) is cleaned instead: the
XLSX writer refuses control characters outright, and a cell starting with `=` `+` `-` `@`, tab or CR is a
formula to Excel and LibreOffice (OWASP "CSV injection"), so such text gets a leading apostrophe.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 but tab, LF and CR; DEL; C1
_BIDI_CONTROLS = "\u200e\u200f\u202a-\u202e\u2066-\u2069"  # marks, embeddings/overrides, isolates
_LINE_BREAKS = "\t\n\r\u2028\u2029"
REFUSED_IN_MULTI_LINE = re.compile(f"[{_CONTROLS}{_BIDI_CONTROLS}]")
REFUSED_IN_ONE_LINE = re.compile(f"[{_CONTROLS}{_BIDI_CONTROLS}{_LINE_BREAKS}]")
# Dropped from text written to a file: what XML (so XLSX) cannot hold, and what reorders or hides text.
_UNWRITABLE = re.compile(f"[{_CONTROLS}{_BIDI_CONTROLS}\u200b-\u200d\u2060\ufeff\ufffe\uffff\ud800-\udfff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def tidy(value: str) -> str:
    """Typed text as stored: NFC (one spelling of each character, so searches match), no zero-width characters."""
    return ZERO_WIDTH.sub("", unicodedata.normalize("NFC", value))


def first_refused(value: str, *, multi_line: bool) -> int | None:
    """The index of the first character typed text may not carry, or None."""
    found = (REFUSED_IN_MULTI_LINE if multi_line else REFUSED_IN_ONE_LINE).search(value)
    return None if found is None else found.start()


def is_line_break(character: str) -> bool:
    return character in _LINE_BREAKS


def writable(value: str) -> str:
    """Stored text as it may go into a file (XLSX, CSV, PDF): without controls, bidi or zero-width characters."""
    return _UNWRITABLE.sub("", value)


def spreadsheet_cell(value):
    """The one rule for every CSV/XLSX cell the product writes: numbers stay numbers, None is empty, text is
    made writable and, when a spreadsheet would run it as a formula, starts with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = writable(str(value))
    return "'" + text if text.startswith(FORMULA_START) else text
