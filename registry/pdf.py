"""Printable A4 PDFs in Chinese: the font, a new document, and wrapped text (campaign letters and posters,
complaint closing letters).

fpdf2 because it embeds (and subsets) OpenType fonts with CFF outlines such as Noto Sans CJK, the
CJK font Debian ships (fonts-noto-cjk); ReportLab's TTF support stops at TrueType outlines and its
built-in Chinese CID fonts are not embedded, so pages would depend on the reader's fonts. fpdf2 is
pure Python and actively maintained (py-pdf). Every text drawn goes through `text.writable`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from registry.errors import DomainError
from registry.text import writable

# Debian/Ubuntu's fonts-noto-cjk (CI installs it; see .ci/run). CJK_FONT_DIR overrides the folder.
DEFAULT_FONT_DIR = "/usr/share/fonts/opentype/noto"
_REGULAR, _BOLD = "NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"
FAMILY = "NotoSansSC"

RED = (179, 38, 30)
INK = (31, 35, 40)
GREY = (85, 85, 85)
LIGHT = (245, 247, 250)


class FontMissing(DomainError):
    """The server cannot print Chinese: an administrator must install the font."""

    status_code = 503


@dataclass(frozen=True)
class CjkFont:
    regular: Path
    bold: Path
    # Index of the Simplified Chinese face inside the .ttc collection (JP, KR, SC, TC, HK, …).
    index: int


@lru_cache(maxsize=4)
def _simplified_chinese_index(path: Path) -> int:
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == "Noto Sans CJK SC":
                return index
    finally:
        collection.close()
    return 0


def cjk_font() -> CjkFont:
    folder = Path(current_app.config.get("CJK_FONT_DIR") or os.environ.get("CJK_FONT_DIR") or DEFAULT_FONT_DIR)
    regular, bold = folder / _REGULAR, folder / _BOLD
    if not (regular.is_file() and bold.is_file()):
        raise FontMissing(_("服务器缺少中文字体，无法生成 PDF。请管理员安装 fonts-noto-cjk（apt-get install "
                            "fonts-noto-cjk），应有文件 %(path)s。", path=str(regular)))
    return CjkFont(regular, bold, _simplified_chinese_index(regular))


def document(title: str):
    from fpdf import FPDF

    font = cjk_font()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font(FAMILY, "", str(font.regular), collection_font_number=font.index)
    pdf.add_font(FAMILY, "B", str(font.bold), collection_font_number=font.index)
    pdf.set_title(title)
    pdf.set_creator("诚信码")
    pdf.set_lang("zh-CN")
    return pdf


def mm(points: float) -> float:
    return points * 25.4 / 72


def draw_text(pdf, x: float, y: float, width: float, text: str, size: float, *, bold: bool = False,
          color=INK, align: str = "C", leading: float = 1.35, spacing: float = 0) -> float:
    """Wrapped text in a box `width` wide starting at (x, y); returns the y below it."""
    from fpdf.enums import WrapMode, XPos, YPos

    text = writable(text)  # stored text may predate the form filter

    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.set_text_color(*color)
    pdf.set_char_spacing(spacing)
    pdf.set_xy(x, y)
    pdf.multi_cell(width, mm(size) * leading, text, align=align, wrapmode=WrapMode.CHAR,
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_char_spacing(0)
    return pdf.get_y()


def text_height(pdf, text: str, width: float, size: float, *, bold: bool = False, leading: float = 1.35) -> float:
    """How tall `_text` would draw `text`, without drawing it."""
    from fpdf.enums import WrapMode

    text = writable(text)

    pdf.set_font(FAMILY, "B" if bold else "", size)
    lines = pdf.multi_cell(width, mm(size) * leading, text, wrapmode=WrapMode.CHAR, dry_run=True, output="LINES")
    return len(lines) * mm(size) * leading


def fitting_size(pdf, text: str, width: float, largest: float, smallest: float, bold: bool = True) -> float:
    """The largest size up to `largest` at which `text` fits on one line (or `smallest`)."""
    size, text = largest, writable(text)
    while size > smallest:
        pdf.set_font(FAMILY, "B" if bold else "", size)
        if pdf.get_string_width(text) <= width:
            break
        size -= 1
    return size
