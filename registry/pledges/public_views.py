"""The pledge text and signature certificates, for anyone."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from registry.downloads import TEXT, download
from registry.pledges.signing import sha256_hex, signature_by_certificate_code
from registry.pledges.versions import current_version

bp = Blueprint("pledges", __name__)


@bp.route("/pledge")
def current_pledge():
    version = current_version()
    if version is None:
        abort(404)
    return render_template("pledges/pledge.html", version=version)


@bp.route("/certificate/<code>")
def certificate(code: str):
    signature = signature_by_certificate_code(code)
    if signature is None:
        abort(404)
    recomputed = sha256_hex(signature.signed_text)
    return render_template("pledges/certificate.html", signature=signature, shop=signature.merchant,
                           hash_matches=recomputed == signature.text_sha256)


@bp.route("/certificate/<code>.txt")
def certificate_text(code: str):
    """The exact bytes signed, so `sha256sum` on the download reproduces the certificate's hash."""
    signature = signature_by_certificate_code(code)
    if signature is None:
        abort(404)
    return download(signature.signed_text.encode("utf-8"), TEXT, f"pledge-{code}.txt")
