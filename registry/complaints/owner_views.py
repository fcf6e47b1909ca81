"""Shop owners: complaints against their shops, with the consumer masked, and the public reply."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.complaints import handling, queries, states, timeline
from registry.complaints.forms import MerchantReplyForm, to_cents
from registry.complaints.models import Complaint
from registry.extensions import db
from registry.pagination import page_number
from registry.view_helpers import save_form
from registry.walls import owner_area

bp = owner_area(Blueprint("merchant_complaints", __name__, url_prefix="/my/complaints"))


def _own_complaint(complaint_id: int) -> Complaint:
    complaint = db.session.get(Complaint, complaint_id)
    # Complaints not yet accepted (or refused) are not forwarded to the shop at all.
    if complaint is None or complaint.decided_at is None or complaint.status in states.UNCOUNTED_STATUSES:
        abort(404)
    if complaint.merchant is None or complaint.merchant.owner_id != current_user.id:
        abort(403)
    return complaint


@bp.route("/")
def index():
    page = page_number()
    return render_template("complaints/merchant_list.html",
                           complaints=queries.complaints_for_owner(current_user._get_current_object(), max(page, 1)))


@bp.route("/<int:complaint_id>", methods=["GET", "POST"])
def detail(complaint_id: int):
    complaint = _own_complaint(complaint_id)
    form = MerchantReplyForm()
    if form.validate_on_submit():
        saved = save_form(form, lambda: handling.merchant_reply(
            complaint, current_user._get_current_object(), form.body.data, form.offer.data,
            to_cents(form.offer_amount.data)),
            then=url_for("merchant_complaints.detail", complaint_id=complaint.id),
            done=lambda reply: _("回复中像是有电话、证件号等个人信息，已隐去这些内容并交工作人员审核，审核通过后才会公开。")
            if reply.held_for_review else _("回复已提交，并显示在店铺公示页上。"))
        if saved is not None:
            return saved
    return render_template("complaints/merchant_detail.html", complaint=complaint, form=form,
                           events=timeline.visible_events(complaint, "merchant"),
                           can_reply=handling.can_act(complaint, "merchant_reply", "merchant"))
