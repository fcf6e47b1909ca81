"""Badge images for everyone: the QR of a live badge as PNG or SVG, cached by serial."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, request

from registry.badges import qr, services
from registry.extensions import no_rate_limit

bp = Blueprint("badges", __name__)


def _image_response(url: str, draw: Callable[[str], bytes], mimetype: str, serial: str, extension: str) -> Response:
    # A badge signed later (`flask badges sign-missing`) draws another QR under the same serial.
    etag = f"{serial}-{'v' if '&v=' in url else 'u'}-{extension}"
    # The image of a serial never changes, so browsers and proxies may keep it; a client that
    # already has it gets a 304 without the QR being drawn again.
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(draw(url), mimetype=mimetype)
        if request.args.get("download"):
            response.headers["Content-Disposition"] = f'attachment; filename="chengxinma-{serial}.{extension}"'
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.set_etag(etag)
    return response


def _live_url_or_404(serial: str) -> str:
    """A void or unknown serial has no image (and so no 304 either)."""
    url = services.live_badge_url(serial[:24])
    if url is None:
        abort(404)
    return url


@bp.route("/badge/<serial>.png")
@no_rate_limit  # drawn once per serial, then answered 304 or from caches; nothing to protect
def badge_png(serial: str):
    return _image_response(_live_url_or_404(serial), qr.qr_png, "image/png", serial, "png")


@bp.route("/badge/<serial>.svg")
@no_rate_limit
def badge_svg(serial: str):
    return _image_response(_live_url_or_404(serial), qr.qr_svg, "image/svg+xml", serial, "svg")
