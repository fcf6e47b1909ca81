"""Shop owners: claim an imported shop with the invitation code from its letter."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.campaigns import claims
from registry.campaigns.forms import ClaimForm
from registry.extensions import limiter
from registry.view_helpers import save_form
from registry.walls import owner_area

bp = owner_area(Blueprint("campaign_claims", __name__, url_prefix="/my"))


def _account_key() -> str:
    return f"claim-account|{current_user.get_id() if current_user.is_authenticated else '-'}"


def _address_key() -> str:
    from flask_limiter.util import get_remote_address

    return f"claim-address|{get_remote_address()}"


def _too_many_attempts() -> str:
    return _("认领尝试过于频繁，请一小时后再试。")


@bp.route("/claim", methods=["GET", "POST"])
@limiter.limit("10 per hour", key_func=_account_key, methods=["POST"], error_message=_too_many_attempts)
@limiter.limit("30 per hour", key_func=_address_key, methods=["POST"], error_message=_too_many_attempts)
def claim():
    form = ClaimForm()
    if not form.is_submitted() and request.args.get("code"):
        # The QR on the letter carries the code; the phone digits are still typed by the owner.
        form.code.data = request.args["code"][:32]
    if form.validate_on_submit():
        saved = save_form(form, lambda: claims.claim_shop(current_user._get_current_object(), form.code.data,
                                                          form.phone_last4.data),
                          then=lambda shop: url_for("pledge_signing.sign", shop_id=shop.id),
                          done=lambda shop: _("认领成功！“%(name)s”已加入您的店铺。请阅读并签署诚信经营倡议书。", name=shop.name))
        if saved is not None:
            return saved
    return render_template("campaigns/claim.html", form=form), 400 if form.errors else 200
