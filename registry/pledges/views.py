"""The pledge text and signature certificates (public), and signing (shop owners)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.walls import owner_area
from registry.errors import DomainError
from registry.extensions import db
from registry.merchants.services import shop_for_owner
from registry.view_helpers import show_form_error
from registry.pledges import services
from registry.pledges.forms import SignForm

bp = Blueprint("pledges", __name__)
signing = owner_area(Blueprint("pledge_signing", __name__, url_prefix="/my"))


@bp.route("/pledge")
def current_pledge():
    version = services.current_version()
    if version is None:
        abort(404)
    return render_template("pledges/pledge.html", version=version)


@bp.route("/certificate/<code>")
def certificate(code: str):
    signature = services.signature_by_certificate_code(code)
    if signature is None:
        abort(404)
    recomputed = services.sha256_hex(signature.signed_text)
    return render_template("pledges/certificate.html", signature=signature, shop=signature.merchant,
                           hash_matches=recomputed == signature.text_sha256)


@bp.route("/certificate/<code>.txt")
def certificate_text(code: str):
    """The exact bytes signed, so `sha256sum` on the download reproduces the certificate's hash."""
    signature = services.signature_by_certificate_code(code)
    if signature is None:
        abort(404)
    return Response(signature.signed_text.encode("utf-8"), mimetype="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="pledge-{code}.txt"'})


@signing.route("/shops/<int:shop_id>/sign", methods=["GET", "POST"])
def sign(shop_id: int):
    user = current_user._get_current_object()
    shop = shop_for_owner(shop_id, user)
    version = services.require_current_version()
    form = SignForm()
    form.clauses.choices = [(c.number, c.text) for c in version.clauses]
    if not form.is_submitted():
        form.version_id.data = str(version.id)
        form.signer_name.data = shop.owner_name
    if not services.can_sign(shop, version):
        flash(_("这家店铺已签署现行倡议书，承诺仍在有效期内。"), "info")
        return redirect(url_for("shop_desk.shop_detail", shop_id=shop.id))
    if form.validate_on_submit():
        if form.version_id.data != str(version.id):
            form.form_errors.append(_("倡议书刚刚更新了版本，请阅读新版本后再签署。"))
        else:
            try:
                services.sign_pledge(shop, version, user, form.signer_name.data, form.signer_title.data,
                                     request.remote_addr, set(form.clauses.data or []))
            except DomainError as error:
                show_form_error(form, error)
            else:
                db.session.commit()
                flash(_("签署成功！现在可以下载诚信码并打印海报。"), "success")
                return redirect(url_for("shop_desk.shop_detail", shop_id=shop.id))
    return render_template("pledges/sign.html", form=form, shop=shop, version=version)
