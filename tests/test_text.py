"""The character rules (registry/text.py): what typed text may hold, and what goes into a file."""

from __future__ import annotations

from decimal import Decimal

import pytest

from registry.text import first_refused, spreadsheet_cell, tidy, writable


def test_tidy_normalises_to_nfc_and_drops_zero_width_characters():
    assert tidy("Cafe\u0301") == "Café"
    assert tidy("美\u200b好\u200c生\u200d活\u2060超\ufeff市") == "美好生活超市"


@pytest.mark.parametrize("character", ["\x00", "\x08", "\x0b", "\x1f", "\x7f", "\x80", "\x9f", "\u200e", "\u200f",
                                       "\u202a", "\u202e", "\u2066", "\u2069"])
def test_controls_and_bidi_characters_are_refused_in_every_field(character):
    assert first_refused(f"美好{character}", multi_line=False) == 2
    assert first_refused(f"美好{character}", multi_line=True) == 2


def test_line_breaks_and_tabs_only_in_multi_line_text():
    for text in ("a\nb", "a\r\nb", "a\tb", "a\u2028b"):
        assert first_refused(text, multi_line=False) == 1
    assert first_refused("a\r\n\tb", multi_line=True) is None
    assert first_refused("美好生活 (No. 1) ＋－＝", multi_line=False) is None


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil.example","x")', "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_a_spreadsheet_would_run_starts_with_an_apostrophe(text):
    assert spreadsheet_cell(text) == "'" + text


def test_numbers_stay_numbers_and_nothing_else_changes():
    assert [spreadsheet_cell(v) for v in (-5, -2.5, Decimal("-1.20"), 0)] == [-5, -2.5, Decimal("-1.20"), 0]
    assert spreadsheet_cell(None) == ""
    assert spreadsheet_cell("美好生活超市 A-1") == "美好生活超市 A-1"


def test_what_a_file_cannot_hold_is_dropped():
    assert writable("转塘\x00\x01街道\x1b\u202e\u200b\x85") == "转塘街道"
    assert writable("第一行\r\n\t第二行") == "第一行\r\n\t第二行"
    assert spreadsheet_cell("\x00=1+1") == "'=1+1"
