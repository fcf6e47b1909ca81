"""The consumer's misused-badge report, reached from the QR page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _

from registry.badges.public_views import public_standing
from registry.extensions import limiter
from registry.merchants.services import merchant_by_public_code
from registry.moderation.flags import report_misused_badge
from registry.moderation.forms import ReportForm
from registry.moderation.standings import shop_standing
from registry.view_helpers import save_form

public = Blueprint("moderation_public", __name__)


@public.route("/m/<code>/report", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"], error_message=lambda: _("提交过于频繁，请稍后再试。"))
def report(code: str):
    """A page of its own, so the QR page itself needs no form token and sets no cookie."""
    merchant = merchant_by_public_code(code)
    if merchant is None:
        abort(404)
    form = ReportForm()
    if not form.is_submitted():
        form.serial.data = (request.args.get("s") or "")[:24]
    if form.validate_on_submit():
        serial = {"s": form.serial.data} if form.serial.data else {}
        saved = save_form(form, lambda: report_misused_badge(merchant, form.note.data, form.serial.data),
                          done=_("谢谢您的报告！消费者协会会核实这家店铺的诚信码是否被冒用。"),
                          then=url_for("lookup.shop", code=merchant.public_code, **serial))
        if saved:
            return saved
    return render_template("moderation/report.html", merchant=merchant, form=form), 400 if form.errors else 200


@public_standing.connect
def _standing_on_the_share_card(shop, now, **_extra) -> str:
    """The shop's share card (badges) says the standing the QR page shows, sanctions counted."""
    return shop_standing(shop, now).standing
