"""Staff: the ownership claims of their district, the licence photo, and the decision."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry.auth.access import require_district
from registry.errors import DomainError
from registry.extensions import db
from registry.ownership import claims, queries
from registry.ownership.forms import DecideClaimForm
from registry.ownership.models import CLAIM_PENDING, CLAIM_STATUSES, OwnershipClaim
from registry.pagination import page_number
from registry.uploads import private_image_response
from registry.view_helpers import save_form
from registry.walls import staff_area

staff = staff_area(Blueprint("ownership_staff", __name__, url_prefix="/staff/ownership-claims"))


def _user():
    return current_user._get_current_object()


def _claim(claim_id: int) -> OwnershipClaim:
    found = db.get_or_404(OwnershipClaim, claim_id)
    require_district(_user(), found.merchant.district, _("这家店铺不在您负责的区县。"))  # 403 with the reason
    return found


@staff.route("/")
def index():
    status = request.args.get("status", CLAIM_PENDING)
    if status not in CLAIM_STATUSES:
        status = CLAIM_PENDING
    return render_template("ownership/staff_claims.html", status=status,
                           claims=queries.claims_page(_user(), status, page_number()),
                           counts=queries.claim_counts(_user()))


def _page(found: OwnershipClaim, form: DecideClaimForm | None = None, status: int = 200):
    if form is None:
        form = DecideClaimForm(formdata=None)
        form.version.data = str(found.version)
    return render_template("ownership/staff_claim.html", claim=found, form=form,
                           others=queries.other_claims(found)), status


@staff.route("/<int:claim_id>")
def claim(claim_id: int):
    return _page(_claim(claim_id))


def _decide(found: OwnershipClaim, form: DecideClaimForm):
    if form.decision.data == "transfer":
        return claims.transfer_shop(found, _user(), form.expected_version(), form.internal_note.data)
    if form.decision.data == "reject":
        return claims.reject_claim(found, _user(), form.reason.data, form.expected_version(), form.internal_note.data)
    raise DomainError(_("请选择核实结果。"), field="decision")


@staff.route("/<int:claim_id>/decide", methods=["POST"])
def decide(claim_id: int):
    found = _claim(claim_id)
    form = DecideClaimForm()
    if form.validate_on_submit():
        page = url_for(".claim", claim_id=claim_id)
        transfer = form.decision.data == "transfer"
        saved = save_form(form, lambda: _decide(found, form), then=page, stale=page,
                          done=_("店铺已转到申请人账户，诚信码已重新签发，并已短信通知双方。") if transfer
                          else _("已不予通过，并已短信通知申请人。"))
        if saved:
            return saved
        found = _claim(claim_id)
    return _page(found, form, 400)


@staff.route("/<int:claim_id>/licence")
def licence(claim_id: int):
    """The licence photo only through this view: staff in scope, never cached, never sniffed as HTML."""
    found = _claim(claim_id)
    return private_image_response(claims.claim_directory(), found.stored_name, found.content_type)
