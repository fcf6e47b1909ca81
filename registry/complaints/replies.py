"""A shop's public reply: held for staff when personal data is found in it, approved, or hidden.

The shop writes its reply in its own words and it goes on the QR page, in the API and in open data.
Replies in which registry.personal_data finds a phone number, an ID number or the like are stored
masked and held (`held_for_review`) until staff approve them; the shop sees that it waits. Staff may
hide any reply, already published or not, with a public reason that the public reads in its place.
Services flush and audit, never commit.
"""

from __future__ import annotations

from flask_babel import gettext as _

from registry.audit import services as audit
from registry.auth.access import require_district
from registry.auth.models import User
from registry.clock import utcnow
from registry.complaints.models import ComplaintEvent
# Also connects the texts to every move of a case (notices.py listens to complaint_changed): handling
# imports this module, so wherever cases move, the parties are told.
from registry.complaints.notices import tell_reply
from registry.errors import Conflict, DomainError
from registry.extensions import db
from registry.personal_data import find_personal_data, mask_personal_data, refuse_personal_data

MAX_HIDDEN_REASON = 200


def public_hide_reason(reason: str | None) -> str:
    """The reason staff give the public for hiding what a shop wrote (a reply here, a statement beside
    a sanction in moderation.statements): one line, required, short, and naming nobody."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("请填写公开的隐藏原因。"), field="reason")
    if len(reason) > MAX_HIDDEN_REASON:
        raise DomainError(_("隐藏原因最多 %(count)d 个字。", count=MAX_HIDDEN_REASON), field="reason")
    refuse_personal_data(reason, "reason")
    return reason


def screen_reply(body: str, offer: str | None) -> tuple[str, str | None, bool]:
    """The reply and offer as they may be stored, and whether they must wait for staff: masked and
    held when either carries personal data."""
    held = bool(find_personal_data(body)) or bool(offer and find_personal_data(offer))
    if not held:
        return body, offer, False
    return mask_personal_data(body), mask_personal_data(offer) if offer else offer, True


def _reply(event: ComplaintEvent, staff: User) -> ComplaintEvent:
    if event.kind != "merchant_replied":
        raise DomainError(_("只能审核商家的回复。"))
    require_district(staff, event.complaint.district, _("这件投诉不在您负责的区县。"))
    return event


def approve_reply(event: ComplaintEvent, staff: User) -> None:
    """Publish a held reply as stored (already masked)."""
    _reply(event, staff)
    if not event.held_for_review:
        raise Conflict(_("这条回复已经审核过了。"))
    now = utcnow()
    event.held_for_review, event.is_public = False, True
    event.reviewed_by_id, event.reviewed_at = staff.id, now
    db.session.flush()
    audit.record("complaint.reply_approved", event.complaint, staff,
                 tracking_number=event.complaint.tracking_number, event_id=event.id)
    tell_reply(event.complaint, event)  # the consumer hears of it now that it is public


def hide_reply(event: ComplaintEvent, staff: User, reason: str) -> None:
    """Hide a reply from the public for good; the public reads `reason` in its place."""
    _reply(event, staff)
    if event.hidden_reason is not None:
        raise Conflict(_("这条回复已经隐藏了。"))
    reason = public_hide_reason(reason)
    now = utcnow()
    # A held reply hidden is settled: what the public reads is the reason, not the reply.
    event.held_for_review, event.is_public = False, True
    event.hidden_reason, event.hidden_by_id, event.hidden_at = reason, staff.id, now
    db.session.flush()
    audit.record("complaint.reply_hidden", event.complaint, staff,
                 tracking_number=event.complaint.tracking_number, event_id=event.id, reason=reason)
