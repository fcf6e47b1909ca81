"""QR images for badges. They depend only on the URL, so callers cache them by serial."""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from qrcode.image.svg import SvgPathImage

# Medium error correction survives a scuffed or partly covered door sticker.
_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M


def _qr(url: str, box_size: int) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=_ERROR_CORRECTION, box_size=box_size, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code


@lru_cache(maxsize=512)
def qr_png(url: str, box_size: int = 10) -> bytes:
    """A PNG of the QR code for `url` (black on white, 4-module quiet zone)."""
    image = _qr(url, box_size).make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@lru_cache(maxsize=512)
def qr_svg(url: str) -> bytes:
    """A scalable SVG of the QR code for `url`, for print shops."""
    image = _qr(url, 10).make_image(image_factory=SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
