"""Staff move a shop to another district or township (the owner cannot: see merchants.services)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.areas.forms import district_choices, township_choices
from registry.areas.services import load_areas
from registry.walls import staff_area
from registry.errors import DomainError
from registry.extensions import db
from registry.merchants import services
from registry.merchants.forms import MoveShopForm
from registry.merchants.models import Merchant
from registry.view_helpers import show_form_error
from registry.pagination import ID_MAX, bounded_integer

bp = staff_area(Blueprint("shop_staff", __name__, url_prefix="/staff/shops"))


@bp.route("/<int:shop_id>/place", methods=["GET", "POST"])
def move(shop_id: int):
    shop = db.session.get(Merchant, shop_id)
    if shop is None:
        abort(404)
    staff = current_user._get_current_object()
    services.require_mover(shop, staff)  # NotPermitted → 403 page with the reason
    form = MoveShopForm(obj=shop)
    area_list = load_areas()
    form.district.choices = district_choices(area_list, keep=shop.district)
    form.township.choices = township_choices(area_list, keep=(shop.district, shop.township))
    if not form.is_submitted():
        form.version.data = str(shop.version)
    status = 200
    if form.validate_on_submit():
        # The version the page was opened at; unreadable text counts as a stale page (409), not a crash.
        submitted = bounded_integer((form.version.raw_data or [""])[0], 0, ID_MAX)
        try:
            services.move_shop(shop, staff, form.district.data, form.township.data,
                               -1 if submitted is None else submitted)
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
            shop = db.session.get(Merchant, shop_id)
            status = 409 if error.status_code == 409 else 400
        else:
            db.session.commit()
            flash(_("已将店铺改到%(district)s%(township)s。", district=shop.district, township=shop.township),
                  "success")
            return redirect(url_for("moderation.shop", shop_id=shop.id))
    elif form.is_submitted():
        status = 400
    return render_template("merchants/staff_move.html", form=form, shop=shop), status
