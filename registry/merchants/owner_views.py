"""The shop owner registers and edits shops. Ownership is checked in merchants.services."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.areas.forms import district_choices, township_choices
from registry.areas.services import load_areas
from registry.walls import owner_area
from registry.view_helpers import save_form, show_field_errors
from registry.merchants import services
from registry.merchants.forms import OwnerShopForm, ShopForm
from registry.pagination import ID_MAX, bounded_integer

bp = owner_area(Blueprint("merchants", __name__, url_prefix="/my"))


@bp.route("/shops/new", methods=["GET", "POST"])
def new_shop():
    form = ShopForm()
    area_list = load_areas()
    form.district.choices = district_choices(area_list, blank=_("请选择区/县"))
    form.township.choices = township_choices(area_list)
    if form.validate_on_submit():
        saved = save_form(form, lambda: services.register_shop(current_user._get_current_object(), form.details()),
                          done=_("店铺已登记。请阅读并签署诚信经营倡议书，签署后即可领取诚信码。"),
                          then=lambda shop: url_for("pledge_signing.sign", shop_id=shop.id))
        if saved:
            return saved
    elif form.is_submitted():
        # The form's own checks failed: the service's run as well, so one submit shows every problem.
        show_field_errors(form, services.shop_problems(form.details())[1])
    # A code registered already: the page shows how the real owner claims the shop.
    claim_code = services.registered_credit_code(form.credit_code.data) if form.credit_code.errors else None
    return render_template("merchants/shop_form.html", form=form, shop=None, claim_code=claim_code,
                           awaiting_owner=bool(claim_code) and services.awaiting_owner(claim_code))


@bp.route("/shops/<int:shop_id>/edit", methods=["GET", "POST"])
def edit_shop(shop_id: int):
    user = current_user._get_current_object()
    shop = services.shop_for_owner(shop_id, user)
    form = OwnerShopForm(obj=shop)
    # Only the townships of the shop's own district: the owner cannot move the shop out of it.
    form.township.choices = township_choices(load_areas(), only=shop.district, keep=(shop.district, shop.township))
    if not form.is_submitted():
        form.version.data = str(shop.version)
    if form.validate_on_submit():
        # Only the version the browser sent counts (never the one filled in from the shop itself).
        submitted = (form.version.raw_data or [""])[0]
        expected = bounded_integer(submitted, 0, ID_MAX)
        expected = -1 if expected is None else expected
        saved = save_form(form, lambda: services.update_shop(shop, user, form.details(), expected),
                          done=_("店铺信息已保存。"), then=url_for("shop_desk.shop_detail", shop_id=shop.id))
        if saved:
            return saved
    elif form.is_submitted():
        show_field_errors(form, services.edit_problems(shop, form.details()))
    return render_template("merchants/shop_form.html", form=form, shop=shop)
