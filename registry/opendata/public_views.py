"""/open-data: the list of export files with their data dictionary, and the downloads. Never generates a file."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_from_directory

from registry.downloads import CSV, JSON, content_type
from registry.opendata import checkpoints, services
from registry.clock import today_in_china
from registry.replica import replica_reads

bp = Blueprint("opendata", __name__)
DOWNLOAD_CACHE_SECONDS = 3600
MIMETYPES = {"csv": CSV, "json": JSON}


@bp.get("/open-data")
@replica_reads
def index():
    manifest = services.read_manifest()
    today = today_in_china()
    dates = sorted({f.date for f in manifest.files}, reverse=True)
    return render_template(
        "opendata/index.html", manifest=manifest, dates=dates, today_ready=bool(manifest.for_date(today)),
        shop_fields=services.SHOP_FIELDS, sanction_fields=services.SANCTION_FIELDS, keep_days=services.KEEP_DAYS,
        licence=services.LICENCE, licence_url=services.LICENCE_URL,
        checkpoint=checkpoints.latest(services.export_directory()),
        checkpoint_keys=checkpoints.published_keys(services.export_directory()),
    )


@bp.get(f"/open-data/{checkpoints.PUBLIC_KEY_FILE}")
@replica_reads
def audit_public_key():
    """The current public key of the audit checkpoints, at a stable address."""
    return _published(checkpoints.PUBLIC_KEY_FILE, "text/plain; charset=utf-8")


@bp.get(f"/open-data/{checkpoints.KEYS_FILE}")
@replica_reads
def audit_public_keys():
    """Every public key that signed checkpoints, with the dates it was in use (rotation)."""
    return _published(checkpoints.KEYS_FILE, "application/json")


def _published(filename: str, mimetype: str):
    if not (services.export_directory() / filename).is_file():
        abort(404)
    response = send_from_directory(services.export_directory(), filename, mimetype=mimetype,
                                   max_age=DOWNLOAD_CACHE_SECONDS, conditional=True)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/open-data/<filename>")
@replica_reads
def download(filename: str):
    if checkpoints.CHECKPOINT_NAME.fullmatch(filename):
        return _published(filename, "application/json")
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
