"""Staff: sign a shop up at its door on a tablet (campaigns.onsite): find or register the shop, then the
owner confirms by an SMS code to the shop's phone, or staff upload and attest the signed paper pledge."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.areas.forms import district_choices, township_choices
from registry.areas.services import load_areas
from registry.campaigns import onsite
from registry.campaigns.forms import CodeSigningForm, FindShopForm, PaperSigningForm, SendCodeForm
from registry.campaigns.models import PaperPledgePhoto
from registry.database import slow_work
from registry.errors import DomainError, NotPermitted
from registry.extensions import db
from registry.merchants.forms import ShopForm
from registry.merchants.models import Merchant
from registry.messaging.outbox import undelivered_in_last_commit
from registry.messaging.verification import SmsUnavailable
from registry.phones import mask_mobile
from registry.pledges.models import Signature
from registry.pledges.signing import can_sign, latest_signature
from registry.pledges.versions import require_current_version
from registry.uploads import ImageRejected, private_image_response, process_image
from registry.view_helpers import ask_for_photos_again, save_form
from registry.walls import staff_area

bp = staff_area(Blueprint("onsite", __name__, url_prefix="/staff/onsite"))

# The search form shares the page with the new-shop form, whose credit code field it would otherwise
# share ids (and labels) with.
FIND = "find"
# Likewise the two ways of signing on the shop's page (both ask for the signer's name and title).
SMS, PAPER = "sms", "paper"


def _officer():
    return current_user._get_current_object()


def _shop_form(posted: bool) -> ShopForm:
    form = ShopForm() if posted else ShopForm(formdata=None)
    area_list = load_areas()
    officer = _officer()
    form.district.choices = ([(officer.district, officer.district)] if officer.district
                             else district_choices(area_list, blank=_("请选择区/县")))
    form.township.choices = township_choices(area_list, only=officer.district or None)
    form.submit.label.text = _("登记店铺并继续签署")
    return form


def _index(find_form: FindShopForm, shop_form: ShopForm, status: int = 200):
    return render_template("campaigns/onsite_index.html", find_form=find_form, shop_form=shop_form), status


@bp.route("")
def index():
    return _index(FindShopForm(formdata=None, prefix=FIND), _shop_form(posted=False))


@bp.route("/find", methods=["POST"])
def find():
    form = FindShopForm(prefix=FIND)
    if form.validate_on_submit():
        saved = save_form(form, lambda: onsite.find_shop(_officer(), form.credit_code.data),
                          then=lambda shop: url_for("onsite.shop", shop_id=shop.id))
        if saved is not None:
            return saved
    return _index(form, _shop_form(posted=False), 400)


@bp.route("/new", methods=["POST"])
def new_shop():
    form = _shop_form(posted=True)
    if form.validate_on_submit():
        saved = save_form(form, lambda: onsite.register_on_site(_officer(), form.details()),
                          then=lambda shop: url_for("onsite.shop", shop_id=shop.id),
                          done=_("店铺已登记。请店主确认并签署倡议书。"))
        if saved is not None:
            return saved
    return _index(FindShopForm(formdata=None, prefix=FIND), form, 400)


def _shop(shop_id: int) -> Merchant:
    shop = db.session.get(Merchant, shop_id)
    if shop is None:
        abort(404)
    try:
        onsite.require_shop_scope(shop, _officer())
    except NotPermitted:
        abort(403)
    return shop


def _shop_page(shop: Merchant, status: int = 200, code_sent: bool = False, **submitted):
    version = require_current_version()
    forms = {"send_form": SendCodeForm(formdata=None),
             "code_form": CodeSigningForm(formdata=None, prefix=SMS, signer_name=shop.owner_name),
             "paper_form": PaperSigningForm(formdata=None, prefix=PAPER, signer_name=shop.owner_name,
                                            attested_name=_officer().display_name)}
    forms.update(submitted)
    signature = latest_signature(shop)
    return render_template("campaigns/onsite_shop.html", shop=shop, version=version, signable=can_sign(shop, version),
                           signature=signature, invitation=onsite.open_invitation(shop),
                           paper_photo=onsite.paper_photo_of(signature) if signature is not None else None,
                           masked_phone=mask_mobile(shop.contact_phone), code_sent=code_sent, **forms), status


@bp.route("/<int:shop_id>")
def shop(shop_id: int):
    return _shop_page(_shop(shop_id))


@bp.route("/<int:shop_id>/code", methods=["POST"])
def send_code(shop_id: int):
    shop = _shop(shop_id)
    form = SendCodeForm()
    if not form.validate_on_submit():
        return _shop_page(shop, 400, send_form=form)
    try:
        onsite.send_owner_code(shop, _officer())
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _shop_page(shop, error.status_code if error.status_code >= 400 else 400, send_form=form)
    phone = shop.contact_phone
    db.session.commit()  # the code is stored; only now is the text handed to the gateway
    if undelivered_in_last_commit(phone):
        form.form_errors.append(SmsUnavailable(_("短信发送失败，请稍后再试。")).message)
        return _shop_page(_shop(shop_id), 503, send_form=form)
    return _shop_page(_shop(shop_id), code_sent=True)


def _stale_version(version) -> bool:
    """The page showed an older pledge than the current one (a new version was published meanwhile)."""
    return request.form.get("version_id") not in (None, "", str(version.id))


@bp.route("/<int:shop_id>/sign/code", methods=["POST"])
def sign_with_code(shop_id: int):
    shop = _shop(shop_id)
    version = require_current_version()
    form = CodeSigningForm(prefix=SMS)
    if form.validate_on_submit():
        if _stale_version(version):
            form.form_errors.append(_("倡议书刚刚更新了版本，请阅读新版本后再签署。"))
        else:
            saved = save_form(form, lambda: onsite.sign_with_code(
                shop, version, _officer(), form.code.data, form.signer_name.data, form.signer_title.data,
                set(form.clauses.data or [])), then=url_for("onsite.shop", shop_id=shop_id),
                done=_("签署成功：店主已用手机确认码确认，诚信码已签发。"))
            if saved is not None:
                return saved
    return _shop_page(_shop(shop_id), 400, code_sent=True, code_form=form)


@bp.route("/<int:shop_id>/sign/paper", methods=["POST"])
def sign_with_paper(shop_id: int):
    shop = _shop(shop_id)
    version = require_current_version()
    form = PaperSigningForm(prefix=PAPER)
    if form.validate_on_submit():
        upload = request.files.get(form.photo.name)
        try:
            with slow_work():  # Pillow's work must not hold the write lock
                photo = process_image(upload.stream, upload.filename) if upload and upload.filename else None
        except ImageRejected as error:
            form.photo.errors.append(error.message)
        else:
            saved = save_form(form, lambda: onsite.sign_with_paper(
                shop, version, _officer(), photo, form.attested.data, form.attested_name.data,
                form.signer_name.data, form.signer_title.data), then=url_for("onsite.shop", shop_id=shop_id),
                done=_("签署成功：纸质倡议书照片已保存并经您核实，诚信码已签发。"))
            if saved is not None:
                return saved
        ask_for_photos_again(form.photo)
    return _shop_page(_shop(shop_id), 400, paper_form=form)


@bp.route("/photos/<int:photo_id>")
def paper_photo(photo_id: int):
    """The signed paper pledge's photo: staff of the shop's district only, never cached."""
    photo = db.session.get(PaperPledgePhoto, photo_id)
    if photo is None:
        abort(404)
    signature = db.session.get(Signature, photo.signature_id)
    _shop(signature.merchant_id)
    return private_image_response(onsite.paper_pledge_directory(), photo.stored_name, photo.content_type)

