"""Photos people upload from their phones (complaint evidence, appeal photos): check, clean, store.

An image pipeline with no request state, and `StoredImage`, the columns every table of stored
photos shares. Limits are arguments (``UploadLimits.from_config``
reads them from the app config when there is one). What it promises (SECURITY.md, "uploads"):

* the type is decided from the bytes, never from the file name or the client's content type:
  only Pillow's JPEG, PNG and WebP decoders are allowed to look at the data;
* size is bounded before anything is decoded, and the pixel count is checked from the header before
  the image is decompressed, so a decompression bomb is refused in milliseconds;
* every accepted photo is decoded and re-encoded as a fresh JPEG: upright (EXIF orientation applied),
  sRGB, at most ``max_side`` pixels on its longest side, and with no EXIF, GPS, XMP, ICC or comment
  left in it. Whatever else the upload carried (an HTML tail on a "polyglot", a camera serial
  number, the consumer's location) is gone;
* files are stored under random names that the user never chooses, outside ``static/``.

Error messages are Simplified Chinese msgids through Flask-Babel's ``gettext``; outside an app
context gettext returns the msgid, so this module works in scripts and tests. The messages contain
the (sanitised) file name the user chose: render them escaped, as Jinja does by default.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import secrets
import struct
import time
import unicodedata
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from registry.clock import utcnow
from registry.database import UTCDateTime

__all__ = [
    "ALLOWED_FORMATS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_FILES",
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MAX_SIDE",
    "JPEG_QUALITY",
    "UploadLimits",
    "ImageRejected",
    "ProcessedImage",
    "StoredImage",
    "display_filename",
    "evidence_directory",
    "stored_image_path",
    "process_image",
    "store_image",
    "validate_batch",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_SIDE = 2560
DEFAULT_MAX_FILES = 6
JPEG_QUALITY = 85
DISPLAY_NAME_MAX = 100

# The only decoders Pillow may try. Anything else (SVG, HTML, GIF, TIFF, PSD, PDF, BMP, ICO, HEIC...)
# is never parsed by an image plugin at all: Image.open refuses it outright.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
# Pillow's JPEG plugin reports multi-picture JPEGs (some phones and 3D cameras write them) as "MPO".
# They are JPEG files with extra images appended; only the first is decoded and kept.
_DECODED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})

# What the files start with, only to tell "damaged photo" from "not a photo" in the message.
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Exceptions Pillow's decoders raise on broken data (the set its own fuzzing harness expects).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)

_STORED_NAME = re.compile(r"[0-9a-f]{32}\.jpg")
_WHITE = (255, 255, 255)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class ImageRejected(ValueError):
    """An uploaded photo (or batch) was refused.

    ``message`` is user-facing (Chinese msgid, translated when a locale is active) and names the
    file; ``reason`` is a stable tag for code and tests: "type", "too_large", "too_many_pixels",
    "corrupt" or "too_many_files"; ``filename`` is the sanitised display name (None for a batch).
    """

    def __init__(self, message: str, reason: str, filename: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.filename = filename

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ProcessedImage:
    """A re-encoded photo, ready to store. ``original_filename`` is for display only."""

    data: bytes
    content_type: str
    width: int
    height: int
    original_filename: str
    sha256: str


@dataclass(frozen=True)
class UploadLimits:
    """The limits in one place, from the app config or the defaults."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_side: int = DEFAULT_MAX_SIDE
    max_files: int = DEFAULT_MAX_FILES

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None = None) -> UploadLimits:
        """Read EVIDENCE_MAX_BYTES / _MAX_PIXELS / _MAX_SIDE / _MAX_FILES (``current_app.config``
        when no mapping is given); missing keys keep the defaults."""
        if config is None:
            from flask import current_app

            config = current_app.config
        return cls(
            max_bytes=int(config.get("EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES)),
            max_pixels=int(config.get("EVIDENCE_MAX_PIXELS", DEFAULT_MAX_PIXELS)),
            max_side=int(config.get("EVIDENCE_MAX_SIDE", DEFAULT_MAX_SIDE)),
            max_files=int(config.get("EVIDENCE_MAX_FILES", DEFAULT_MAX_FILES)),
        )

    def image_kwargs(self) -> dict[str, int]:
        """Keyword arguments for ``process_image``."""
        return {"max_bytes": self.max_bytes, "max_pixels": self.max_pixels, "max_side": self.max_side}


def evidence_directory(app: Any = None) -> Path:
    """``EVIDENCE_DIR`` from the config, else ``<instance>/uploads/evidence`` (never under static/)."""
    if app is None:
        from flask import current_app

        app = current_app
    configured = app.config.get("EVIDENCE_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "uploads" / "evidence"


class StoredImage:
    """The columns of a stored photo, shared by every table that keeps uploads (a declarative mixin)."""

    stored_name: Mapped[str] = mapped_column(String(40), unique=True)
    original_filename: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def keep(cls, image: ProcessedImage, directory: Path, **columns):
        """A new row for `image`, its file written under a random name (store_image) in `directory`."""
        return cls(stored_name=store_image(image, directory), original_filename=image.original_filename,
                   content_type=image.content_type, width=image.width, height=image.height,
                   size_bytes=len(image.data), sha256=image.sha256, **columns)


# Names -------------------------------------------------------------------------------------------

def display_filename(filename: str | None) -> str:
    """The name the user gave, made safe to show: last path component only (old browsers send
    ``C:\\...``), NFC, no control or bidi-override characters, whitespace collapsed, at most 100
    characters (the extension kept). Never use it as a path."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = unicodedata.normalize("NFC", name)
    kept = []
    for ch in name:
        if ch.isspace():
            kept.append(" ")
        # Cc control, Cf format (U+202E RIGHT-TO-LEFT OVERRIDE turns "gpj.exe" into "exe.jpg"),
        # Cs lone surrogates (undecodable bytes), Co private use, Cn unassigned.
        elif unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            kept.append(ch)
    name = " ".join("".join(kept).split())
    if len(name) > DISPLAY_NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 10:
            name = stem[: DISPLAY_NAME_MAX - len(ext) - 2] + "…." + ext
        else:
            name = name[: DISPLAY_NAME_MAX - 1] + "…"
    return name


def _shown(name: str) -> str:
    return name or _("未命名")


def format_bytes(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{_trim(count / (1024 * 1024))} MB"
    if count >= 1024:
        return f"{_trim(count / 1024)} KB"
    return f"{count} B"


def _trim(value: float) -> str:
    """At most one decimal, none when it is zero: 10, 9.5, 4000."""
    return f"{value:.1f}".removesuffix(".0")


# Rejections --------------------------------------------------------------------------------------

def _not_an_image(name: str) -> ImageRejected:
    return ImageRejected(_("照片“%(name)s”不是 JPEG、PNG 或 WebP 图片。", name=_shown(name)), "type", name)


def _too_large(name: str, max_bytes: int) -> ImageRejected:
    return ImageRejected(
        _("照片“%(name)s”超过 %(limit)s，请缩小后再上传。", name=_shown(name), limit=format_bytes(max_bytes)),
        "too_large", name)


def _too_many_pixels(name: str, max_pixels: int) -> ImageRejected:
    return ImageRejected(
        _("照片“%(name)s”的像素太多（上限 %(limit)s 万像素），请缩小后再上传。",
          name=_shown(name), limit=_trim(max_pixels / 10_000)),
        "too_many_pixels", name)


def _corrupt(name: str) -> ImageRejected:
    return ImageRejected(_("照片“%(name)s”已损坏或不完整，请重新选择。", name=_shown(name)), "corrupt", name)


def validate_batch(files: Iterable[Any], max_files: int = DEFAULT_MAX_FILES) -> list[Any]:
    """Refuse more than ``max_files`` photos in one complaint; return the real files.

    Entries without a file name (the empty part a browser sends for an unused file input) are
    dropped before counting. Works with Werkzeug ``FileStorage`` objects or anything else."""
    chosen = [f for f in files if f is not None and getattr(f, "filename", True)]
    if len(chosen) > max_files:
        raise ImageRejected(
            _("最多只能上传 %(limit)d 张照片，您选择了 %(count)d 张。", limit=max_files, count=len(chosen)),
            "too_many_files")
    return chosen


# The pipeline ------------------------------------------------------------------------------------

def _read_limited(stream: BinaryIO, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes (enough to know it is too big), tolerating short reads."""
    chunks, remaining = [], max_bytes + 1
    while remaining > 0:
        chunk = stream.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _looks_like_allowed_format(data: bytes) -> bool:
    return (data.startswith(_JPEG_MAGIC) or data.startswith(_PNG_MAGIC)
            or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"))


def process_image(stream: BinaryIO, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
                     max_pixels: int = DEFAULT_MAX_PIXELS, max_side: int = DEFAULT_MAX_SIDE) -> ProcessedImage:
    """Check one uploaded photo and return it re-encoded as a clean JPEG, or raise ImageRejected.

    ``filename`` is only used in messages and ``original_filename``; the client's content type is
    not even asked for. ``max_pixels`` above Pillow's ``Image.MAX_IMAGE_PIXELS`` (~89 Mpx) has no
    effect: Pillow's own guard, turned into a rejection here, refuses such images first.
    """
    name = display_filename(filename)

    # 1. Size, before anything is parsed.
    data = _read_limited(stream, max_bytes)
    if len(data) > max_bytes:
        raise _too_large(name, max_bytes)
    if not data:
        raise _corrupt(name)

    # Pillow's own bomb guard (Image.MAX_IMAGE_PIXELS, ~89 Mpx: warning above it, error above twice
    # it) runs inside Image.open. We neither raise nor lower that global: it is process-wide, other
    # code uses Pillow too (QR codes), and setting it per call would race between threads. Our own
    # limit is the explicit width*height check below, which does not depend on that global at all;
    # Pillow's guard stays as a second line and its warning is made an error here.
    # catch_warnings() swaps the process-wide warning filters; under a threaded server another
    # thread's warnings may be recorded (and logged) here for that moment, which is harmless.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            result = _decode_and_clean(data, name, max_pixels=max_pixels, max_side=max_side)
        finally:
            for warning in caught:
                # No file name here: names can carry personal data.
                log.info("evidence photo: Pillow warned: %s: %s", warning.category.__name__, warning.message)

    return ProcessedImage(data=result[0], content_type="image/jpeg", width=result[1], height=result[2],
                          original_filename=name, sha256=hashlib.sha256(result[0]).hexdigest())


def _decode_and_clean(data: bytes, name: str, *, max_pixels: int, max_side: int) -> tuple[bytes, int, int]:
    # 2. Type, from the content: only the JPEG, PNG and WebP plugins may try.
    try:
        image = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name, max_pixels) from None
    except UnidentifiedImageError:
        # A JPEG/PNG/WebP signature with an unreadable header is a damaged photo, not a wrong type.
        raise (_corrupt(name) if _looks_like_allowed_format(data) else _not_an_image(name)) from None
    except _DECODE_ERRORS:
        raise _corrupt(name) from None

    with image:
        if image.format not in _DECODED_FORMATS:
            raise _not_an_image(name)

        # 3. Pixels, from the header, before a single pixel is decompressed.
        width, height = image.size
        if width < 1 or height < 1:
            raise _corrupt(name)
        if width * height > max_pixels:
            raise _too_many_pixels(name, max_pixels)

        # 4. Decode. A big JPEG is decoded directly at 1/2, 1/4 or 1/8 scale when that still
        # leaves at least max_side pixels on the longest side (libjpeg DCT scaling): less memory.
        scale = max_side / max(width, height)
        if scale < 1:
            image.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(name, max_pixels) from None
        except _DECODE_ERRORS:
            raise _corrupt(name) from None

        icc_profile = image.info.get("icc_profile")
        try:
            ImageOps.exif_transpose(image, in_place=True)
        except _DECODE_ERRORS as error:
            # Unreadable EXIF: keep the photo as stored rather than refuse the evidence.
            log.info("evidence photo: orientation not applied: %s", type(error).__name__)
        cleaned = _to_srgb(image, icc_profile, max_side)

        # 5. Fresh JPEG: no exif=, no icc_profile=, no xmp=, no comment (Pillow copies a JPEG
        # comment from .info unless told otherwise, so .info is emptied too). Saved inside the
        # `with`: `cleaned` may be the opened image itself, which closing invalidates.
        cleaned.info = {}
        out = io.BytesIO()
        cleaned.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        return out.getvalue(), cleaned.width, cleaned.height


def _to_srgb(image: Image.Image, icc_profile: bytes | None, max_side: int) -> Image.Image:
    """Flatten transparency onto white, downscale, convert to 8-bit sRGB "RGB"."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, _WHITE)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode.startswith("I"):
        # 16-bit greyscale PNG: scale to 8 bits (a plain convert would clip it to white).
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")

    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)

    if icc_profile:
        # Phones tag photos with their colour space (iPhone: Display P3). The profile is not kept,
        # so the pixels are converted to sRGB, which is what browsers assume for untagged JPEGs.
        try:
            converted = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)), _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, *_DECODE_ERRORS) as error:
            log.info("evidence photo: colour profile ignored: %s", type(error).__name__)
        else:
            if converted is not None:
                return converted
    return image if image.mode == "RGB" else image.convert("RGB")


# Storage -----------------------------------------------------------------------------------------

def store_image(image: ProcessedImage, directory: Path) -> str:
    """Write the photo under a new random name in ``directory`` and return that name.

    The directory is created with mode 0700 when missing; the file gets mode 0600. The user's file
    name plays no part. The file appears complete or not at all (written aside, then renamed).
    Remove it again (``stored_image_path(...).unlink()``) if the database transaction fails.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    try:
        directory.mkdir(mode=0o700)
    except FileExistsError:
        pass
    else:
        os.chmod(directory, 0o700)  # exactly 0700, whatever the umask

    stored_name = secrets.token_hex(16) + ".jpg"
    final = directory / stored_name
    partial = directory / (stored_name + ".part")
    # O_EXCL: never follow a planted symlink or overwrite anything.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(image.data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return stored_name


def orphaned_files(directory: Path, is_recorded: Callable[[list[str]], set[str]], *, older_than: timedelta,
                   newer_than: timedelta | None, now: float | None = None) -> list[Path]:
    """Stored photos (and half-written ``.part`` files) in ``directory`` that no database row names.

    A request killed between writing its photos and committing (a worker killed, a crash, a refused
    transaction whose files could not be removed) leaves them behind, with personal data and nothing
    that would ever show or delete them. Only files older than ``older_than`` count: a younger one may
    belong to a filing whose transaction is still open. ``newer_than`` bounds a daily pass to recent
    files (orphans only appear at the moment of writing); None reads the whole directory.
    ``is_recorded(names)`` answers which of the given stored names have a row.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    now = time.time() if now is None else now
    candidates: dict[str, Path] = {}
    for entry in os.scandir(directory):
        name = entry.name[:-len(".part")] if entry.name.endswith(".part") else entry.name
        if not entry.is_file(follow_symlinks=False) or not _STORED_NAME.fullmatch(name):
            continue  # never touch what store_image could not have written
        age = now - entry.stat(follow_symlinks=False).st_mtime
        if age < older_than.total_seconds() or (newer_than is not None and age > newer_than.total_seconds()):
            continue
        if entry.name.endswith(".part"):
            candidates[entry.name] = Path(entry.path)  # never a finished photo: always an orphan
        else:
            candidates[name] = Path(entry.path)
    finished = [name for name in candidates if not name.endswith(".part")]
    recorded: set[str] = set()
    for start in range(0, len(finished), 500):
        recorded |= is_recorded(finished[start:start + 500])
    return [path for name, path in sorted(candidates.items()) if name not in recorded]


def stored_image_path(directory: Path, stored_name: str) -> Path:
    """The path of a stored photo; refuses anything that is not exactly a name ``store_image``
    could have produced (32 lowercase hex digits + ".jpg"), so no traversal or other files."""
    if not isinstance(stored_name, str) or not _STORED_NAME.fullmatch(stored_name):
        raise ValueError("not a stored evidence name")
    return Path(directory) / stored_name


def private_image_response(directory: Path, stored_name: str, content_type: str):
    """Serve a stored evidence image to an authorised viewer: never cached, never sniffed as HTML.

    Callers check who may see it; this only refuses names that are not ours and missing files.
    """
    from flask import abort, send_file

    try:
        path = stored_image_path(directory, stored_name)
    except ValueError:
        abort(404)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=content_type, conditional=False, etag=False, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response
