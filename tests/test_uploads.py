"""The evidence-photo pipeline (SECURITY.md, "uploads"): type from content, size and pixel limits
that refuse decompression bombs before decoding, re-encoding without EXIF/GPS, random storage names.

Every image is built here with Pillow or by hand; no fixtures on disk, no app needed.
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import time
import warnings
import zlib
from types import SimpleNamespace

import pytest
from PIL import Image, ImageCms, ImageFile
from werkzeug.datastructures import FileStorage

from registry import uploads as evidence
from registry.uploads import (
    UploadLimits,
    ImageRejected,
    ProcessedImage,
    display_filename,
    evidence_directory,
    stored_image_path,
    process_image,
    store_image,
    validate_batch,
)

GPS_IFD = 0x8825
MAKE, MODEL, ORIENTATION = 0x010F, 0x0110, 0x0112
RED, BLUE = (220, 20, 20), (20, 20, 220)


# Helpers -----------------------------------------------------------------------------------------

def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def run(data: bytes, filename: str = "IMG_0001.JPG", **limits) -> ProcessedImage:
    return process_image(io.BytesIO(data), filename, **limits)


def rejected(data: bytes, filename: str = "IMG_0001.JPG", **limits) -> ImageRejected:
    with pytest.raises(ImageRejected) as info:
        run(data, filename, **limits)
    return info.value


def reopen(result: ProcessedImage) -> Image.Image:
    image = Image.open(io.BytesIO(result.data))
    image.load()
    return image


def close_to(actual, expected, tolerance=12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def jpeg_markers(data: bytes) -> list[int]:
    """Every marker in a JPEG file, including those between progressive scans."""
    assert data[:2] == b"\xff\xd8"
    markers, i, in_scan = [0xD8], 2, False
    while i < len(data) - 1:
        if data[i] != 0xFF:
            assert in_scan, f"garbage outside a scan at {i}"
            i += 1
            continue
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if in_scan and (marker == 0x00 or 0xD0 <= marker <= 0xD7):  # stuffed byte, restart marker
            i += 2
            continue
        markers.append(marker)
        if marker == 0xD9:
            break
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
        in_scan = marker == 0xDA
    return markers


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit black PNG of any size, built without ever holding its pixels.

    Its pixel data is all zero bytes. One 1 MiB block of zeros is deflated once after a full flush
    (which resets the compressor, so every such block compresses to the same bytes) and repeated;
    the Adler-32 of n zero bytes is (n mod 65521) << 16 | 1.
    """
    total = (1 + (width + 7) // 8) * height  # a filter byte and the packed bits per row
    block = 1 << 20
    compressor = zlib.compressobj(9)
    prefix = compressor.flush(zlib.Z_FULL_FLUSH)  # zlib header + empty block
    full = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(total, block)
    tail = compressor.compress(bytes(rest)) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = prefix + full * count + tail + b"\x03\x00" + struct.pack(">I", ((total % 65521) << 16) | 1)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # bit depth 1, greyscale
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", stream)
            + _png_chunk(b"IEND", b""))


def phone_photo() -> bytes:
    """A JPEG as a phone writes it: stored sideways (Orientation 6), with GPS, make and model,
    plus XMP, an ICC profile and a comment. 40x20 as stored, red top-left corner."""
    image = Image.new("RGB", (40, 20), BLUE)
    image.paste(RED, (0, 0, 10, 10))
    exif = Image.Exif()
    exif[MAKE] = "Apple"
    exif[MODEL] = "iPhone 15 Pro"
    exif[ORIENTATION] = 6
    exif[GPS_IFD] = {1: "N", 2: (31.0, 14.0, 12.5), 3: "E", 4: (121.0, 28.0, 30.0)}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="31,14.2N"/>'
           b"</rdf:RDF></x:xmpmeta>")
    return encode(image, "JPEG", quality=95, exif=exif.tobytes(), icc_profile=icc, xmp=xmp,
                  comment=b"<script>alert(1)</script>")


def noisy(size=(256, 256)) -> Image.Image:
    return Image.merge("RGB", [Image.effect_noise(size, 60 + 10 * i) for i in range(3)])


# Metadata and orientation ------------------------------------------------------------------------

def test_phone_photo_loses_gps_and_all_metadata_and_is_turned_upright():
    data = phone_photo()
    source = Image.open(io.BytesIO(data))
    source_exif = source.getexif()
    assert source_exif.get_ifd(GPS_IFD), "the test photo must carry GPS to prove anything"
    assert source_exif[MAKE] == "Apple" and source_exif[ORIENTATION] == 6
    assert {0xE1, 0xE2, 0xFE} <= set(jpeg_markers(data))  # APP1 (Exif, XMP), APP2 (ICC), COM

    result = run(data, "IMG_0001.JPG")

    out = reopen(result)
    assert out.format == "JPEG"
    assert not out.getexif()
    assert not out.getexif().get_ifd(GPS_IFD)
    assert not {"exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp"} & set(out.info)
    markers = set(jpeg_markers(result.data))
    assert not markers & (set(range(0xE1, 0xF0)) | {0xFE}), f"metadata segments left: {sorted(map(hex, markers))}"
    for needle in (b"Exif", b"Apple", b"iPhone", b"ICC_PROFILE", b"adobe", b"GPS", b"<script"):
        assert needle not in result.data
    # Orientation 6: shown rotated 90 degrees clockwise, so the stored top-left is now top-right.
    assert (result.width, result.height) == out.size == (20, 40)
    assert close_to(out.getpixel((16, 3)), RED)
    assert close_to(out.getpixel((3, 3)), BLUE)


def test_result_describes_the_reencoded_jpeg():
    import hashlib

    result = run(encode(noisy(), "PNG"), "C:\\Users\\张三\\投诉 照片.png")
    assert result.content_type == "image/jpeg"
    assert result.sha256 == hashlib.sha256(result.data).hexdigest()
    assert (result.width, result.height) == reopen(result).size == (256, 256)
    assert result.original_filename == "投诉 照片.png"
    assert reopen(result).mode == "RGB"


def test_html_appended_to_a_jpeg_does_not_survive():
    data = encode(noisy((64, 64)), "JPEG") + b"<html><script>alert(document.cookie)</script></html>"
    result = run(data, "polyglot.jpg")
    assert b"<script" not in result.data and b"<html" not in result.data


def test_colour_profile_is_applied_then_dropped_and_a_broken_one_is_ignored():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = Image.new("RGB", (32, 32), (200, 60, 40))
    for profile in (icc, b"not an icc profile"):
        out = reopen(run(encode(image, "JPEG", quality=95, icc_profile=profile)))
        assert "icc_profile" not in out.info
        assert close_to(out.getpixel((16, 16)), (200, 60, 40))


def test_rotation_in_png_exif_is_applied_too():
    exif = Image.Exif()
    exif[ORIENTATION] = 8
    result = run(encode(Image.new("RGB", (30, 10), BLUE), "PNG", exif=exif.tobytes()), "shot.png")
    assert (result.width, result.height) == (10, 30)
    assert not reopen(result).getexif()


# Decompression bombs and pixel limits ------------------------------------------------------------

def test_bomb_builder_makes_a_real_png_quickly_and_small():
    start = time.perf_counter()
    bomb = bomb_png(30000, 30000)
    assert time.perf_counter() - start < 1.0
    assert len(bomb) < 200_000  # ~112 MB of pixel rows at deflate's ~1000:1 ceiling
    # The same builder at a decodable size gives a PNG zlib and Pillow both accept completely.
    small = bomb_png(3001, 2999)
    idat = small[8 + 25 + 8:-12 - 4]
    assert zlib.decompress(idat) == bytes((1 + (3001 + 7) // 8) * 2999)  # checks the Adler-32 too
    with Image.open(io.BytesIO(small)) as image:
        image.load()
        assert image.size == (3001, 2999) and image.getextrema() == (0, 0)


@pytest.fixture
def never_decode(monkeypatch):
    """Fail the test if any pixel data is decoded."""
    def load(self):
        raise AssertionError("pixel data was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


@pytest.mark.parametrize("width, height", [
    (30000, 30000),  # 900 Mpx: above twice Pillow's MAX_IMAGE_PIXELS, Pillow's own error
    (10000, 10000),  # 100 Mpx: between 1x and 2x, Pillow only warns; the warning must not slip by
    (7000, 7000),  # 49 Mpx: under Pillow's limit, caught by ours
], ids=["900Mpx", "100Mpx", "49Mpx"])
def test_decompression_bomb_is_refused_fast_without_decoding(never_decode, width, height):
    bomb = bomb_png(width, height)
    start = time.perf_counter()
    error = rejected(bomb, "bomb.png")
    elapsed = time.perf_counter() - start
    assert error.reason == "too_many_pixels"
    assert "bomb.png" in error.message and "4000 万像素" in error.message
    assert elapsed < 0.5, f"rejection took {elapsed:.3f}s"


def test_our_pixel_limit_does_not_depend_on_pillows_global(monkeypatch, never_decode):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # someone switched Pillow's guard off
    assert rejected(bomb_png(30000, 30000), "bomb.png").reason == "too_many_pixels"


def test_pillow_global_and_warning_filters_are_left_alone():
    before_pixels, before_filters = Image.MAX_IMAGE_PIXELS, list(warnings.filters)
    rejected(bomb_png(10000, 10000))
    run(encode(Image.new("RGB", (8, 8)), "PNG"))
    assert Image.MAX_IMAGE_PIXELS == before_pixels
    assert warnings.filters == before_filters


def test_pixel_limit_is_inclusive():
    image = Image.new("RGB", (100, 50), BLUE)
    assert run(encode(image, "PNG"), max_pixels=5000).width == 100
    error = rejected(encode(Image.new("RGB", (101, 50)), "PNG"), "大图.png", max_pixels=5000)
    assert error.reason == "too_many_pixels"
    assert error.message == "照片“大图.png”的像素太多（上限 0.5 万像素），请缩小后再上传。"


# Type from content -------------------------------------------------------------------------------

NOT_IMAGES = {
    "html named .jpg": (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "photo.jpg"),
    "svg": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
            b'<rect width="10" height="10"/></svg>', "drawing.svg"),
    "pdf": (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n", "scan.jpg"),
    "heic": (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), "IMG_001.HEIC"),
    "text": (b"just some text", "notes.png"),
}
PILLOW_FORMATS = {"gif": "GIF", "tiff": "TIFF", "bmp": "BMP", "ico": "ICO", "ppm": "PPM"}


@pytest.mark.parametrize("kind", list(NOT_IMAGES))
def test_non_images_are_refused_whatever_their_name(kind):
    data, name = NOT_IMAGES[kind]
    error = rejected(data, name)
    assert error.reason == "type"
    assert error.message == f"照片“{name}”不是 JPEG、PNG 或 WebP 图片。"
    assert error.filename == name and str(error) == error.message


@pytest.mark.parametrize("kind", list(PILLOW_FORMATS))
def test_images_in_other_formats_are_refused(kind):
    data = encode(Image.new("RGB", (16, 16), RED), PILLOW_FORMATS[kind])
    assert rejected(data, "IMG_0002.jpg").reason == "type"


def test_heic_message_names_the_file():
    error = rejected(NOT_IMAGES["heic"][0], "IMG_001.HEIC")
    assert error.message == "照片“IMG_001.HEIC”不是 JPEG、PNG 或 WebP 图片。"


def test_the_name_does_not_matter_for_real_images():
    assert run(encode(noisy((32, 32)), "JPEG"), "picture.gif").content_type == "image/jpeg"
    assert run(encode(noisy((32, 32)), "PNG"), "no-extension").width == 32


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_webp_is_accepted(mode):
    image = Image.new(mode, (48, 32), (*BLUE, 255)[: len(mode)])
    result = run(encode(image, "WEBP", lossless=mode == "RGBA"), "wechat.webp")
    assert (result.width, result.height) == (48, 32)
    assert close_to(reopen(result).getpixel((24, 16)), BLUE)


def test_multi_picture_jpeg_keeps_only_the_first_picture():
    out = io.BytesIO()
    Image.new("RGB", (32, 16), RED).save(out, "MPO", save_all=True, append_images=[Image.new("RGB", (32, 16), BLUE)])
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    result = run(out.getvalue(), "DSCF0001.JPG")
    assert close_to(reopen(result).getpixel((8, 8)), RED)
    assert b"MPF" not in result.data and jpeg_markers(result.data).count(0xD8) == 1


# Damaged files -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_images_are_corrupt(fmt):
    data = encode(noisy(), fmt)
    error = rejected(data[: len(data) // 2], "IMG_0003.jpg")
    assert error.reason == "corrupt"
    assert error.message == "照片“IMG_0003.jpg”已损坏或不完整，请重新选择。"


@pytest.mark.parametrize("data", [
    b"",
    b"\xff\xd8\xff\xe0<html>not really a jpeg</html>",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
], ids=["empty", "jpeg magic then html", "png magic then zeros"])
def test_broken_headers_are_corrupt_not_accepted(data):
    assert rejected(data).reason == "corrupt"


# Size --------------------------------------------------------------------------------------------

class CountingStream(io.BytesIO):
    """Records how far it was read; returns at most 7 bytes a call like a slow network stream."""

    def read(self, size=-1):
        return super().read(7 if size is None or size < 0 else min(size, 7))


def test_too_large_is_refused_before_decoding_and_reads_no_further(monkeypatch):
    def no_open(*args, **kwargs):
        raise AssertionError("opened a file that was too large")

    monkeypatch.setattr(Image, "open", no_open)
    stream = CountingStream(b"\xff\xd8\xff" + bytes(5000))
    with pytest.raises(ImageRejected) as info:
        process_image(stream, "huge.jpg", max_bytes=1000)
    assert info.value.reason == "too_large"
    assert stream.tell() == 1001
    assert info.value.message == "照片“huge.jpg”超过 1000 B，请缩小后再上传。"


def test_size_limit_is_inclusive_and_short_reads_are_fine():
    data = encode(noisy((64, 64)), "PNG")
    result = process_image(CountingStream(data), "ok.png", max_bytes=len(data))
    assert result.width == 64
    assert rejected(data, "big.png", max_bytes=len(data) - 1).reason == "too_large"


def test_default_size_message_is_in_megabytes():
    error = rejected(bytes(10 * 1024 * 1024 + 1), "video.mp4")
    assert error.reason == "too_large"
    assert "超过 10 MB" in error.message
    assert "超过 9.5 MB" in rejected(bytes(10_000_000), max_bytes=9_961_472).message
    assert "超过 1 KB" in rejected(bytes(2000), max_bytes=1024).message


# Transparency, modes, downscaling ----------------------------------------------------------------

def test_png_alpha_is_flattened_onto_white():
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    image.paste((10, 10, 10, 255), (10, 10, 30, 30))
    out = reopen(run(encode(image, "PNG"), "screenshot.png"))
    assert out.mode == "RGB"
    assert close_to(out.getpixel((2, 2)), (255, 255, 255))
    assert close_to(out.getpixel((20, 20)), (10, 10, 10))


@pytest.mark.parametrize("image, params", [
    (Image.new("P", (16, 16), 0), {"transparency": 0}),
    (Image.new("LA", (16, 16), (0, 0)), {}),
    (Image.new("RGB", (16, 16), (0, 0, 0)), {"transparency": (0, 0, 0)}),
], ids=["palette", "grey+alpha", "rgb colour key"])
def test_other_kinds_of_transparency_become_white(image, params):
    out = reopen(run(encode(image, "PNG", **params), "t.png"))
    assert close_to(out.getpixel((8, 8)), (255, 255, 255))


@pytest.mark.parametrize("image, expected", [
    (Image.new("I;16", (16, 16), 32768), (128, 128, 128)),  # 16-bit grey must not clip to white
    (Image.new("1", (16, 16), 1), (255, 255, 255)),
    (Image.new("L", (16, 16), 90), (90, 90, 90)),
], ids=["16-bit grey", "1-bit", "grey"])
def test_png_modes_become_rgb(image, expected):
    out = reopen(run(encode(image, "PNG"), "g.png"))
    assert out.mode == "RGB" and close_to(out.getpixel((8, 8)), expected, tolerance=3)


def test_cmyk_jpeg_becomes_rgb():
    out = reopen(run(encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG"), "print.jpg"))
    assert out.mode == "RGB" and close_to(out.getpixel((8, 8)), (255, 0, 0), tolerance=20)


def test_long_side_is_limited_to_2560():
    result = run(encode(Image.new("RGB", (5120, 100), BLUE), "PNG", compress_level=1), "panorama.png")
    assert (result.width, result.height) == (2560, 50)
    portrait = run(encode(Image.new("RGB", (100, 3000), BLUE), "PNG", compress_level=1), "tall.png")
    assert (portrait.width, portrait.height) == (85, 2560)


def test_big_jpeg_is_decoded_at_reduced_scale_then_downscaled():
    result = run(encode(Image.new("RGB", (5200, 400), BLUE), "JPEG"), "wide.jpg")
    assert result.width == 2560 and result.height in (196, 197)
    assert close_to(reopen(result).getpixel((1000, 100)), BLUE)


def test_max_side_is_configurable_and_small_photos_are_not_enlarged():
    assert (run(encode(Image.new("RGB", (400, 300)), "PNG"), max_side=100).width,
            run(encode(Image.new("RGB", (40, 30)), "PNG"), max_side=100).width) == (100, 40)


# Batches -----------------------------------------------------------------------------------------

def _uploads(count: int) -> list[FileStorage]:
    return [FileStorage(io.BytesIO(b"x"), filename=f"IMG_{i}.jpg") for i in range(count)]


def test_seven_files_are_too_many():
    with pytest.raises(ImageRejected) as info:
        validate_batch(_uploads(7))
    assert info.value.reason == "too_many_files"
    assert info.value.message == "最多只能上传 6 张照片，您选择了 7 张。"


def test_six_files_pass_and_empty_file_inputs_do_not_count():
    files = _uploads(6) + [FileStorage(io.BytesIO(b""), filename=""), None]
    assert validate_batch(files) == files[:6]
    assert validate_batch([]) == []
    with pytest.raises(ImageRejected, match="最多只能上传 2 张"):
        validate_batch(_uploads(3), max_files=2)


# Storage -----------------------------------------------------------------------------------------

def test_stored_file_is_private_under_a_random_name(tmp_path):
    directory = tmp_path / "instance" / "uploads" / "evidence"
    image = run(encode(noisy((32, 32)), "JPEG"), "../../static/evil.html")
    first, second = store_image(image, directory), store_image(image, directory)

    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", first) and first != second
    assert sorted(os.listdir(directory)) == sorted([first, second])  # nothing else, no .part left
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for name in (first, second):
        path = stored_image_path(directory, name)
        assert path == directory / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_bytes() == image.data
    assert not (tmp_path / "static").exists()


def test_existing_directory_is_used_as_it_is(tmp_path):
    os.chmod(tmp_path, 0o750)
    name = store_image(run(encode(Image.new("RGB", (8, 8)), "PNG")), tmp_path)
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


@pytest.mark.parametrize("name", [
    "../etc/passwd", "/etc/passwd", "", "photo.jpg", "0" * 32 + ".JPG", "A" * 32 + ".jpg",
    "0" * 31 + ".jpg", "0" * 32 + ".jpg\n", "0" * 32 + ".jpg/../../x", "../" + "0" * 32 + ".jpg",
    "0" * 32 + ".jpg.part", None,
])
def test_evidence_path_refuses_anything_but_a_stored_name(tmp_path, name):
    with pytest.raises(ValueError):
        stored_image_path(tmp_path, name)


# Names, limits, config ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw, shown", [
    ("IMG_0001.JPG", "IMG_0001.JPG"),
    ("C:\\fakepath\\IMG_0001.JPG", "IMG_0001.JPG"),
    ("a/b/../照片.png", "照片.png"),
    ("evil\u202egpj.exe", "evilgpj.exe"),
    ("tab\there\nand\x00nul.jpg", "tab here andnul.jpg"),
    ("  spaced   out  .jpg ", "spaced out .jpg"),
    ("cafe\u0301.jpg", "caf\u00e9.jpg"),
    (None, ""),
])
def test_display_filename(raw, shown):
    assert display_filename(raw) == shown


def test_long_names_keep_their_extension_within_100_characters():
    shown = display_filename("投" * 300 + ".jpeg")
    assert len(shown) == 100 and shown.endswith("….jpeg")
    assert len(display_filename("x" * 300)) == 100


def test_nameless_upload_is_still_named_in_the_message():
    assert rejected(b"<html>", "").message == "照片“未命名”不是 JPEG、PNG 或 WebP 图片。"


def test_limits_and_directory_from_config(tmp_path):
    assert UploadLimits.from_config({}) == UploadLimits(10 * 1024 * 1024, 40_000_000, 2560, 6)
    limits = UploadLimits.from_config({"EVIDENCE_MAX_BYTES": "2048", "EVIDENCE_MAX_FILES": 3})
    assert (limits.max_bytes, limits.max_files) == (2048, 3)
    assert limits.image_kwargs() == {"max_bytes": 2048, "max_pixels": 40_000_000, "max_side": 2560}

    app = SimpleNamespace(config={}, instance_path=str(tmp_path))
    assert evidence_directory(app) == tmp_path / "uploads" / "evidence"
    app.config["EVIDENCE_DIR"] = str(tmp_path / "elsewhere")
    assert evidence_directory(app) == tmp_path / "elsewhere"


def test_module_defaults_match_the_brief():
    assert (evidence.DEFAULT_MAX_BYTES, evidence.DEFAULT_MAX_PIXELS, evidence.DEFAULT_MAX_SIDE,
            evidence.DEFAULT_MAX_FILES, evidence.JPEG_QUALITY) == (10 * 1024 * 1024, 40_000_000, 2560, 6, 85)
    assert evidence.ALLOWED_FORMATS == ("JPEG", "PNG", "WEBP")
