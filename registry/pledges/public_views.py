"""The pledge text and signature certificates, for anyone."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from registry.downloads import TEXT, download
from registry.pledges.signing import (sha256_hex, shows_signer_in_full, signature_by_certificate_code,
                                      signed_text_shown, signer_name_shown)
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
    full = shows_signer_in_full(signature, current_user)
    return render_template("pledges/certificate.html", signature=signature, shop=signature.merchant,
                           hash_matches=recomputed == signature.text_sha256, full=full,
                           signer_name=signer_name_shown(signature, full), text=signed_text_shown(signature, full))


@bp.route("/certificate/<code>.txt")
def certificate_text(code: str):
    """The exact bytes signed, so `sha256sum` on the download reproduces the certificate's hash. They
    carry the signer's full name, so only the shop's owner and staff download them."""
    signature = signature_by_certificate_code(code)
    if signature is None:
        abort(404)
    if not shows_signer_in_full(signature, current_user):
        abort(403)
    return download(signature.signed_text.encode("utf-8"), TEXT, f"pledge-{code}.txt")
