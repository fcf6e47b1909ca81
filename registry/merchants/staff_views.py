"""Staff move a shop to another district or township (the owner cannot: see merchants.services), and
verify its business licence (merchants.licences)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.areas.forms import district_choices, township_choices
from registry.areas.services import load_areas
from registry.walls import staff_area
from registry.clock import today_in_china
from registry.database import slow_work
from registry.errors import DomainError, sends_photos
from registry.extensions import db
from registry.merchants import licences, services
from registry.merchants.forms import LicenceCheckForm, MoveShopForm, WithdrawLicenceForm
from registry.merchants.models import LicencePhoto, Merchant
from registry.uploads import ImageRejected, UploadLimits, private_image_response, process_image, validate_batch
from registry.view_helpers import ask_for_photos_again, save_form, show_form_error
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


# --- The business licence: verify, withdraw, the photos ---------------------------------------------

def _licence_shop(shop_id: int) -> Merchant:
    shop = db.session.get(Merchant, shop_id)
    if shop is None:
        abort(404)
    licences.require_scope(shop, current_user._get_current_object())  # NotPermitted → 403 with the reason
    return shop


def _licence_page(shop: Merchant, form: LicenceCheckForm | None = None, withdraw: WithdrawLicenceForm | None = None,
                  status: int = 200):
    if form is None:
        form = LicenceCheckForm(formdata=None, checked_on=today_in_china())
    return render_template("merchants/staff_licence.html", shop=shop, form=form,
                           withdraw_form=withdraw or WithdrawLicenceForm(formdata=None),
                           current=licences.check_in_force(shop), history=licences.licence_history(shop)), status


def _licence_photos(form: LicenceCheckForm):
    uploads = validate_batch([f for f in request.files.getlist(form.photos.name) if f and f.filename],
                             licences.MAX_LICENCE_PHOTOS)
    limits = UploadLimits.from_config()
    with slow_work():  # seconds of Pillow work must not hold the write lock
        return [process_image(f.stream, f.filename, **limits.image_kwargs()) for f in uploads]


@bp.route("/<int:shop_id>/licence", methods=["GET", "POST"])
@sends_photos
def licence(shop_id: int):
    shop = _licence_shop(shop_id)
    if request.method == "GET":
        return _licence_page(shop)
    form = LicenceCheckForm()
    page = url_for(".licence", shop_id=shop_id)
    if form.validate_on_submit():
        try:
            photos = _licence_photos(form)
        except ImageRejected as error:
            form.photos.errors.append(error.message)
        else:
            saved = save_form(form, lambda: licences.verify_licence(
                shop, current_user._get_current_object(), method=form.method.data, checked_on=form.checked_on.data,
                name_matches=form.name_matches.data, code_matches=form.code_matches.data, photos=photos,
                note=form.note.data), done=_("已标记营业执照为已核验，诚信码页面会显示核验日期。"), then=page, stale=page)
            if saved:
                return saved
            shop = _licence_shop(shop_id)
    ask_for_photos_again(form.photos)
    return _licence_page(shop, form=form, status=400)


@bp.route("/<int:shop_id>/licence/withdraw", methods=["POST"])
def withdraw_licence(shop_id: int):
    shop = _licence_shop(shop_id)
    form = WithdrawLicenceForm()
    page = url_for(".licence", shop_id=shop_id)
    if form.validate_on_submit() and (saved := save_form(
            form, lambda: licences.withdraw_licence_check(shop, current_user._get_current_object(), form.reason.data),
            done=_("已撤回营业执照核验，诚信码页面改为“尚未核验”。"), then=page, stale=page)):
        return saved
    return _licence_page(_licence_shop(shop_id), withdraw=form, status=400)


@bp.route("/licence-photos/<int:photo_id>")
def licence_photo(photo_id: int):
    """Licence photos only through this view: staff of the shop's district, never cached."""
    photo = db.get_or_404(LicencePhoto, photo_id)
    _licence_shop(photo.check.merchant_id)
    return private_image_response(licences.licence_directory(), photo.stored_name, photo.content_type)
