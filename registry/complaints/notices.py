"""Telling the parties what happened to a case, by text message, at each step of the state machine.

It listens to ``complaint_changed`` (timeline.py), which every service sends after a move, so a case
filed online, entered by staff or moved by a timer is told the same way. The consumer hears of filing
(with the case link), acceptance or refusal (with the ground), the shop's reply and offer, mediation
(time and place), a shop's silence past its deadline, and the outcome; the shop hears that a complaint was forwarded (with the reply
deadline) and that it went to staff unanswered. The timers (timers.py) add the reply reminder and the
follow-up invitation.

Who receives what: the consumer at the complaint's own phone (none for a letter without one, or once
the number was purged); the shop at its owner's verified login phone (merchants.contacts). A text to
the consumer names the shop and the case, never the owner; a text to the shop names the case by its
tracking number, never the consumer. Every text has a key (messaging.outbox.queue_sms_once), so a step
seen twice or a timer run twice sends it once. Texts are in Chinese: they go to phones, not screens.
"""

from __future__ import annotations

import json
from datetime import datetime

from registry.clock import CHINA
from registry.complaints import states
from registry.complaints.filing import case_link
from registry.complaints.labels import REFUSAL_GROUND_LABELS
from registry.complaints.models import Complaint, ComplaintEvent
from registry.complaints.timeline import complaint_changed
from registry.issuer import issuing_body
from registry.merchants.contacts import shop_sms_phone
from registry.messaging.catalogue import sentence_part, sms_text
from registry.messaging.outbox import queue_sms_once

CONSUMER_PURPOSE = "complaint_notice"
SHOP_PURPOSE = "shop_notice"


def tell_consumer(complaint: Complaint, step: str, message: str, **params) -> bool:
    """Queue text `message` to the complaint's phone, once per `step`; False when not sent (no phone, or sent before)."""
    if not complaint.consumer_phone:
        return False
    body = sms_text(message, number=complaint.tracking_number, **params)
    return queue_sms_once(f"complaint:{complaint.id}:{step}", complaint.consumer_phone, body,
                          CONSUMER_PURPOSE) is not None


def _shop_name(complaint: Complaint) -> str:
    merchant = complaint.merchant
    return merchant.name if merchant is not None else ""


def tell_shop(complaint: Complaint, step: str, message: str, **params) -> bool:
    """Queue text `message` about the case to the shop's owner, once per `step` (none for a business
    that is not in the registry: it has no owner account)."""
    phone = shop_sms_phone(complaint.merchant) if complaint.merchant is not None else None
    if phone is None:
        return False
    body = sms_text(message, number=complaint.tracking_number, shop=_shop_name(complaint), **params)
    return queue_sms_once(f"complaint:{complaint.id}:{step}", phone, body, SHOP_PURPOSE) is not None


def _latest(complaint: Complaint, kind: str) -> ComplaintEvent | None:
    for event in reversed(complaint.events):
        if event.kind == kind:
            return event
    return None


def _facts(event: ComplaintEvent) -> dict:
    return json.loads(event.data or "{}")


def _meeting_time(value: str) -> str:
    """The mediation time as Beijing wall-clock time (the staff form stores what was typed, in China time)."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA)
    return moment.strftime("%Y-%m-%d %H:%M")


def tell_reply(complaint: Complaint, event: ComplaintEvent) -> None:
    """The consumer learns of the shop's reply once it is public (a held reply waits for staff)."""
    if event.held_for_review or not event.is_public:
        return
    link = case_link(complaint)
    if link is None:
        return
    facts = _facts(event)
    offered = facts.get("offer") or facts.get("offer_amount_cents") is not None
    tell_consumer(complaint, f"reply:{event.id}", "complaint_offered" if offered else "complaint_replied",
                  shop=_shop_name(complaint), link=link)


def _filed(complaint: Complaint) -> None:
    link = case_link(complaint)
    if link is not None:
        tell_consumer(complaint, "filed", "complaint_filed", shop=_shop_name(complaint), link=link)


def _accepted(complaint: Complaint) -> None:
    due = complaint.due_date.isoformat() if complaint.due_date else ""
    tell_consumer(complaint, "accepted", "complaint_accepted", date=due)
    tell_shop(complaint, "forwarded", "complaint_forwarded", date=due)


def _refused(complaint: Complaint) -> None:
    ground = REFUSAL_GROUND_LABELS.get(complaint.refusal_ground or "other", REFUSAL_GROUND_LABELS["other"])
    tell_consumer(complaint, "refused", "complaint_refused", ground=sentence_part(str(ground)))


def _mediation(complaint: Complaint) -> None:
    event = _latest(complaint, "mediation_scheduled")
    if event is None:
        return
    facts = _facts(event)
    # Rescheduling is a new meeting: a text per scheduling event.
    tell_consumer(complaint, f"mediation:{event.id}", "mediation_scheduled", when=_meeting_time(facts["when"]),
                  place=sentence_part(facts.get("place")), phone=issuing_body().phone)


_OUTCOME_MESSAGES = {states.AGREED: "complaint_agreed", states.MEDIATED: "complaint_mediated",
                     states.FAILED: "complaint_failed"}


def _closed(complaint: Complaint) -> None:
    message = _OUTCOME_MESSAGES.get(complaint.outcome or "")
    if complaint.status == states.CLOSED and message is not None:
        tell_consumer(complaint, "closed", message)


def _overdue(complaint: Complaint) -> None:
    tell_shop(complaint, "overdue", "reply_overdue")
    tell_consumer(complaint, "escalated", "complaint_escalated")


def _reply_sent(complaint: Complaint) -> None:
    event = _latest(complaint, "merchant_replied")
    if event is not None:
        tell_reply(complaint, event)


_STEPS = {
    "file": _filed,
    "accept": _accepted,
    "refuse": _refused,
    "merchant_reply": _reply_sent,
    "schedule_mediation": _mediation,
    "accept_offer": _closed,
    "record_mediated": _closed,
    "record_failed": _closed,
    "reply_overdue": _overdue,
}


@complaint_changed.connect
def _tell_parties(complaint: Complaint, action: str, actor=None, **extra) -> None:
    """Every move of a case: the texts its step calls for (a held reply is told when staff approve it, replies.py)."""
    step = _STEPS.get(action)
    if step is not None:
        step(complaint)
