"""Shop owners sign the current pledge."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.merchants.services import shop_for_owner
from registry.pledges.forms import SignForm
from registry.pledges.signing import can_sign, sign_pledge
from registry.pledges.versions import require_current_version
from registry.view_helpers import save_form
from registry.walls import owner_area

signing = owner_area(Blueprint("pledge_signing", __name__, url_prefix="/my"))


@signing.route("/shops/<int:shop_id>/sign", methods=["GET", "POST"])
def sign(shop_id: int):
    user = current_user._get_current_object()
    shop = shop_for_owner(shop_id, user)
    version = require_current_version()
    form = SignForm()
    form.clauses.choices = [(c.number, c.text) for c in version.clauses]
    if not form.is_submitted():
        form.version_id.data = str(version.id)
        form.signer_name.data = shop.owner_name
    shop_page = url_for("shop_desk.shop_detail", shop_id=shop.id)
    if not can_sign(shop, version):
        flash(_("这家店铺已签署现行倡议书，承诺仍在有效期内。"), "info")
        return redirect(shop_page)
    if form.validate_on_submit():
        if form.version_id.data != str(version.id):
            form.form_errors.append(_("倡议书刚刚更新了版本，请阅读新版本后再签署。"))
        else:
            saved = save_form(form, lambda: sign_pledge(shop, version, user, form.signer_name.data,
                                                        form.signer_title.data, request.remote_addr,
                                                        set(form.clauses.data or [])),
                              done=_("签署成功！现在可以下载诚信码并打印海报。"), then=shop_page)
            if saved:
                return saved
    return render_template("pledges/sign.html", form=form, shop=shop, version=version)
