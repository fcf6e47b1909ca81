"""QR images for badges. They depend only on the URL, so callers cache them by serial."""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from qrcode.image.svg import SvgPathImage

# Low error correction (7%): the URL carries the 106-character offline proof (badges/offline.py), about
# 175 bytes in all, and at level M the code grows to version 9–10, whose modules on a 2 cm sticker are
# too small for a phone camera's blur. Level L keeps version 8 (49 modules): at 300 DPI, 4 dots a
# module, the sticker is 19.3 mm and still decodes from a blurred, low-contrast photo
# (tests/badges/test_qr_print.py). Bigger modules help a camera more than correction does; a scuffed
# code still has the 8-character verification code printed under it.
_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_L


def qr_code(url: str, box_size: int = 10) -> qrcode.QRCode:
    """The QR symbol for `url` as every badge image draws it (tests read its version)."""
    code = qrcode.QRCode(error_correction=_ERROR_CORRECTION, box_size=box_size, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code


@lru_cache(maxsize=512)
def qr_png(url: str, box_size: int = 10) -> bytes:
    """A PNG of the QR code for `url` (black on white, 4-module quiet zone)."""
    image = qr_code(url, box_size).make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@lru_cache(maxsize=512)
def qr_svg(url: str) -> bytes:
    """A scalable SVG of the QR code for `url`, for print shops."""
    image = qr_code(url, 10).make_image(image_factory=SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
