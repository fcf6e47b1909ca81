"""Badge pictures for phones and chat apps, drawn with Pillow: the badge PNG (the QR with the shop's name and
its 8-character verification code under it, so a saved picture says whose it is) and the share card (name,
code, QR, standing in words, issuing body) that a chat app shows for a shared shop link (Open Graph image).

Chinese only, like the printed posters: the picture is the same for every reader and is cached by content.
The CJK font is the kernel's (registry/pdf.py finds Noto Sans CJK); every stored text drawn goes through
`text.writable`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from registry.badges.qr import qr_code
from registry.pdf import cjk_font
from registry.text import writable

INK, GREY, WHITE, BRAND = (31, 35, 40), (91, 100, 112), (255, 255, 255), (179, 38, 30)
# The standing colours of the QR page (static/css/app.css: .pill-*): background and text.
STANDING_COLOURS = {
    "active": ((26, 127, 55), WHITE), "warned": ((242, 183, 5), (61, 42, 0)),
    "suspended": ((198, 40, 40), WHITE), "revoked": ((198, 40, 40), WHITE),
    "lapsed": ((139, 148, 158), WHITE), "pending": ((139, 148, 158), WHITE),
}
# The size chat apps and social sites crop Open Graph images to (1.91 : 1).
CARD_SIZE = (1200, 630)


@dataclass(frozen=True)
class CardFacts:
    """Everything a share card shows; equal facts draw the same picture (the ETag is made from them)."""

    url: str
    shop_name: str
    code: str
    standing: str
    standing_label: str
    standing_words: str
    issuer_name: str


@lru_cache(maxsize=32)
def _load_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    found = cjk_font()  # raises FontMissing (503, saying what to install) when the server has none
    return _load_font(str(found.bold if bold else found.regular), found.index, size)


def _lines(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """`text` broken into lines no wider than `width`, at any character (Chinese has no spaces to break at)."""
    lines, line = [], ""
    for char in text:
        if line and font.getlength(line + char) > width:
            lines.append(line.rstrip())
            line = char.lstrip()
        else:
            line += char
    return lines + [line] if line else lines


def _fitting(text: str, width: int, largest: int, smallest: int, max_lines: int, bold: bool = True):
    """The largest font (down to `smallest`) at which `text` takes at most `max_lines` lines; at the smallest
    size a longer text is cut with an ellipsis."""
    for size in range(largest, smallest - 1, -2):
        font = _font(size, bold)
        lines = _lines(text, font, width)
        if len(lines) <= max_lines:
            return font, lines
    lines = lines[:max_lines]
    while lines[-1] and font.getlength(lines[-1] + "…") > width:
        lines[-1] = lines[-1][:-1]
    lines[-1] += "…"
    return font, lines


def _qr_image(url: str, box_size: int) -> Image.Image:
    return qr_code(url, box_size).make_image(fill_color="black", back_color="white").get_image().convert("RGB")


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def spaced_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


@lru_cache(maxsize=256)
def labelled_badge_png(url: str, shop_name: str, code: str) -> bytes:
    """The badge QR (as badges.qr draws it, 10 px a module) with the shop's name and the verification code
    under it, on white, for saving from a phone and sending on."""
    qr = _qr_image(url, 10)
    width = qr.width
    text_width = width - 60
    name_font, name_lines = _fitting(writable(shop_name), text_width, 44, 28, 2)
    code_font = _font(36, bold=True)
    line_height = int(name_font.size * 1.3)
    height = qr.height + len(name_lines) * line_height + 64 + 24
    image = Image.new("RGB", (width, height), WHITE)
    image.paste(qr, (0, 0))
    draw = ImageDraw.Draw(image)
    y = qr.height - 12  # the quiet zone already leaves white under the symbol
    for line in name_lines:
        draw.text((width / 2, y), line, font=name_font, fill=INK, anchor="ma")
        y += line_height
    draw.text((width / 2, y + 8), f"验证码 {spaced_code(code)}", font=code_font, fill=BRAND, anchor="ma")
    return _png(image)


@lru_cache(maxsize=256)
def share_card_png(facts: CardFacts) -> bytes:
    """A 1200 × 630 card: the shop's name, its standing in words, the verification code and the issuing body on
    the left; the badge QR on the right."""
    width, height = CARD_SIZE
    image = Image.new("RGB", CARD_SIZE, WHITE)
    draw = ImageDraw.Draw(image)
    band = 76
    draw.rectangle((0, 0, width, band), fill=BRAND)
    draw.text((56, band / 2), "诚信码 · 商户诚信经营承诺", font=_font(32, bold=True), fill=WHITE, anchor="lm")

    # The QR as large as the space under the band allows, at whole pixels per module (sharp edges decode best).
    modules = qr_code(facts.url, 1).modules_count + 8
    box = (height - band - 24) // modules
    qr = _qr_image(facts.url, box)
    qr_left = width - qr.width - 40
    image.paste(qr, (qr_left, band + (height - band - qr.height) // 2))

    left, column = 56, qr_left - 56 - 24
    y = band + 40
    name_font, name_lines = _fitting(writable(facts.shop_name), column, 64, 36, 2)
    for line in name_lines:
        draw.text((left, y), line, font=name_font, fill=INK)
        y += int(name_font.size * 1.25)

    y += 14
    pill_font = _font(34, bold=True)
    fill, ink = STANDING_COLOURS.get(facts.standing, STANDING_COLOURS["pending"])
    pill_width = int(pill_font.getlength(facts.standing_label)) + 44
    draw.rounded_rectangle((left, y, left + pill_width, y + 58), radius=29, fill=fill)
    draw.text((left + pill_width / 2, y + 29), facts.standing_label, font=pill_font, fill=ink, anchor="mm")
    y += 58 + 14
    words_font = _font(26)
    for line in _lines(facts.standing_words, words_font, column)[:3]:
        draw.text((left, y), line, font=words_font, fill=INK)
        y += 36

    code_font = _font(34, bold=True)
    draw.text((left, height - 132), f"验证码 {spaced_code(facts.code)}", font=code_font, fill=BRAND)
    issuer_font, issuer_lines = _fitting(f"签发单位：{writable(facts.issuer_name)}", column, 24, 20, 1, bold=False)
    draw.text((left, height - 80), issuer_lines[0], font=issuer_font, fill=GREY)
    return _png(image)
