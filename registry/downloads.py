"""Responses that hand the user a file: one Content-Type (one charset) and one Content-Disposition rule."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response

CSV = "text/csv"
TEXT = "text/plain"
JSON = "application/json"
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def content_type(mimetype: str) -> str:
    """`text/…` files are UTF-8 and say so once (werkzeug adds a charset to a mimetype that has one already)."""
    return f"{mimetype}; charset=utf-8" if mimetype.startswith("text/") else mimetype


def attachment(filename_ascii: str, filename_utf8: str | None = None) -> str:
    """Content-Disposition for a download: an ASCII name for old clients, the Chinese name for the rest."""
    disposition = f'attachment; filename="{filename_ascii}"'
    return disposition + (f"; filename*=UTF-8''{quote(filename_utf8)}" if filename_utf8 else "")


def download(data: bytes, mimetype: str, filename_ascii: str, filename_utf8: str | None = None) -> Response:
    """`data` as a file to save, named `filename_ascii` (and `filename_utf8` where the client reads it)."""
    return Response(data, content_type=content_type(mimetype),
                    headers={"Content-Disposition": attachment(filename_ascii, filename_utf8)})
