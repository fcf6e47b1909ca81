"""How typed district and township names are compared: the one place that decides that
"西湖 区", "西湖区" (full-width) and "西湖" are the same district. Pure functions, no database."""

from __future__ import annotations

import unicodedata

# Longest first: 自治县 before 县, 街道办事处 before 街道.
DISTRICT_SUFFIXES = ("自治县", "自治旗", "林区", "区", "县", "市", "旗")
TOWNSHIP_SUFFIXES = ("街道办事处", "街道办", "民族乡", "街道", "镇", "乡", "苏木")
# A name shorter than this once its suffix is gone keeps the suffix (城区, 郊区 are whole names).
_MIN_STEM = 2
# Characters a name may not contain: the form packs district and township into one value with it.
SEPARATOR = "|"
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def clean_name(text: str | None) -> str:
    """A name as it is stored: NFKC (full-width → half-width), no spaces or zero-width characters."""
    return "".join(unicodedata.normalize("NFKC", text or "").translate(_INVISIBLE).split())


def spelling_key(text: str | None) -> str:
    """What two spellings must share to be the same name: the cleaned name, case-folded."""
    return clean_name(text).casefold()


def stem(key: str, suffixes: tuple[str, ...]) -> str:
    """The key without its administrative suffix (西湖区 → 西湖), when enough is left."""
    for suffix in suffixes:
        if key.endswith(suffix) and len(key) - len(suffix) >= _MIN_STEM:
            return key[:-len(suffix)]
    return key


def keys_of(spellings: list[str], suffixes: tuple[str, ...]) -> set[str]:
    """Every key an entry answers to: each spelling's key and the same without its suffix."""
    keys = {spelling_key(s) for s in spellings if spelling_key(s)}
    return keys | {stem(key, suffixes) for key in keys}


def parse_aliases(text: str | None) -> list[str]:
    """Accepted spellings typed one per line (or separated by 、，,;), cleaned, without repeats."""
    spellings: list[str] = []
    for part in (text or "").replace("、", "\n").replace("，", "\n").replace(",", "\n").replace(";", "\n") \
            .replace("；", "\n").split("\n"):
        name = clean_name(part)
        if name and name not in spellings:
            spellings.append(name)
    return spellings
