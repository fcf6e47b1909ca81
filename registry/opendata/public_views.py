"""/open-data: the list of export files with their data dictionary, and the downloads. Never generates a file."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_from_directory

from registry.downloads import CSV, JSON, content_type
from registry.opendata import services
from registry.clock import today_in_china

bp = Blueprint("opendata", __name__)
DOWNLOAD_CACHE_SECONDS = 3600
MIMETYPES = {"csv": CSV, "json": JSON}


@bp.get("/open-data")
def index():
    manifest = services.read_manifest()
    today = today_in_china()
    dates = sorted({f.date for f in manifest.files}, reverse=True)
    return render_template(
        "opendata/index.html", manifest=manifest, dates=dates, today_ready=bool(manifest.for_date(today)),
        shop_fields=services.SHOP_FIELDS, sanction_fields=services.SANCTION_FIELDS, keep_days=services.KEEP_DAYS,
        licence=services.LICENCE, licence_url=services.LICENCE_URL,
    )


@bp.get("/open-data/<filename>")
def download(filename: str):
    if not services.FILE_NAME.fullmatch(filename):
        abort(404)
    entry = services.read_manifest().get(filename)
    if entry is None:
        abort(404)
    # The file's SHA-256 (also listed on the page) is its strong ETag: a re-run that changes it changes the tag.
    response = send_from_directory(services.export_directory(), filename, as_attachment=True,
                                   etag=entry.sha256, max_age=DOWNLOAD_CACHE_SECONDS, conditional=True)
    response.headers["Content-Type"] = content_type(MIMETYPES[entry.format])
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
