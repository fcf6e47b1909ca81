"""The owner's shop desk: my shops, badge downloads, the poster, re-issuing the badge."""

from __future__ import annotations

from blinker import Namespace
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.walls import owner_area
from registry.badges import posters, services
from registry.badges.forms import ReissueForm
from registry.downloads import PDF, download
from registry.extensions import limiter
from registry.view_helpers import save_form
from registry.merchants.services import shop_for_owner, shops_of
from registry.clock import utcnow
from registry.merchants import standing as standing_rule
from registry.pledges.queries import current_version_terms
from registry.pledges.signing import can_sign, latest_signature, pledge_facts
from registry.pledges.versions import current_version

desk = owner_area(Blueprint("shop_desk", __name__, url_prefix="/my"))

POSTER_SIZES = tuple(posters.PAGE_SIZES)

_signals = Namespace()
# Sent while the owner's shop page is drawn, with sender=shop and now=...; each receiver returns
# template variables to add or replace (moderation adds its notice and the standing with sanctions
# counted), so badges never imports the packages above it.
owner_shop_page = _signals.signal("owner-shop-page")
# Sent while the owner's list of shops is drawn, with sender=the owner and now=...; receivers return
# template variables to add (ownership: shops that moved to their real owner, claims filed).
owner_shops_page = _signals.signal("owner-shops-page")


def _user():
    return current_user._get_current_object()


@desk.route("/shops")
def my_shops():
    version = current_version()
    terms, now = current_version_terms(), utcnow()
    rows = []
    for shop in shops_of(_user()):
        signature = latest_signature(shop)
        pledge = pledge_facts(signature)
        shown = standing_rule.assess(shop.standing, pledge, terms, (), now)
        rows.append({
            "shop": shop,
            "standing": shown.standing,
            "lapse": shown.lapse,
            "signature": signature,
            "badge": services.current_badge(shop),
            "can_sign": version is not None and can_sign(shop, version),
            "resign_by": standing_rule.resign_due(shop.standing, pledge, terms, now),
        })
    page = {"rows": rows}
    for _receiver, variables in owner_shops_page.send(_user(), now=now):
        page.update(variables or {})
    return render_template("badges/my_shops.html", **page)


@desk.route("/shops/<int:shop_id>")
def shop_detail(shop_id: int):
    shop = shop_for_owner(shop_id, _user())
    signature, version, terms, now = latest_signature(shop), current_version(), current_version_terms(), utcnow()
    badge = services.current_badge(shop)
    pledge = pledge_facts(signature)
    shown = standing_rule.assess(shop.standing, pledge, terms, (), now)
    page = {
        "shop": shop, "signature": signature, "badge": badge, "version": version,
        "standing": shown.standing, "lapse": shown.lapse, "notice": None,
        "resign_by": standing_rule.resign_due(shop.standing, pledge, terms, now),
        "can_sign": version is not None and can_sign(shop, version),
        "badge_url": services.badge_url(shop, badge) if badge else None,
    }
    for _receiver, variables in owner_shop_page.send(shop, now=now):
        page.update(variables or {})
    return render_template("badges/shop_detail.html", **page)


def _no_badge_yet(shop):
    flash(_("签署诚信经营倡议书后才能领取诚信码。"), "info")
    return redirect(url_for("shop_desk.shop_detail", shop_id=shop.id))


@desk.route("/shops/<int:shop_id>/badge/reissue", methods=["GET", "POST"])
def reissue(shop_id: int):
    """A page of its own that says what happens to the printed posters, and a box to tick, before the
    old badge is voided (one stray tap on the shop page used to do it)."""
    shop = shop_for_owner(shop_id, _user())
    badge = services.current_badge(shop)
    if badge is None:
        return _no_badge_yet(shop)
    form = ReissueForm()
    if form.validate_on_submit():
        saved = save_form(form, lambda: services.reissue_badge(shop, _user()),
                          done=lambda new: _("已重新签发诚信码（编号 %(serial)s）。旧码已作废，请打印新海报替换。",
                                             serial=new.serial),
                          then=url_for("shop_desk.shop_detail", shop_id=shop.id))
        if saved:
            return saved
    return render_template("badges/reissue.html", shop=shop, badge=badge, form=form), 400 if form.errors else 200


@desk.route("/shops/<int:shop_id>/poster.pdf")
@limiter.limit("60 per hour", key_func=lambda: f"poster-pdf|{current_user.get_id()}",
               error_message=lambda: _("下载海报过于频繁，请稍后再试。"))
def poster_pdf(shop_id: int):
    """The poster as a PDF file (A4 or A5): on a phone there is no print dialog, but a file can be sent to a
    print shop or a chat."""
    shop = shop_for_owner(shop_id, _user())
    item = posters.poster_item(shop)
    if item is None:
        return _no_badge_yet(shop)
    size = _poster_size()
    return download(posters.poster_pdf(item, size), PDF, f"chengxinma-poster-{item.badge.serial}-{size}.pdf",
                    f"诚信码海报-{shop.name}-{size}.pdf")


def _poster_size() -> str:
    size = request.args.get("size", "A4").upper()
    return size if size in POSTER_SIZES else "A4"


@desk.route("/shops/<int:shop_id>/poster")
def poster(shop_id: int):
    shop = shop_for_owner(shop_id, _user())
    item = posters.poster_item(shop)
    if item is None:
        return _no_badge_yet(shop)
    return render_template("badges/poster.html", shop=shop, badge=item.badge, size=_poster_size(),
                           signature=item.signature, version=item.version, badge_url=item.url)
