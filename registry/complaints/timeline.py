"""A case's append-only timeline, who may see which of its events, and the signal sent after every move."""

from __future__ import annotations

import json

from blinker import Namespace

from registry.auth.models import User
from registry.complaints.models import Complaint, ComplaintEvent
from registry.extensions import db

_signals = Namespace()
# Sent after every status change, sender=complaint, action=..., actor=...; moderation (flags)
# listens, so complaints never import it.
complaint_changed = _signals.signal("complaint-changed")


def add_event(complaint: Complaint, kind: str, actor_role: str, actor: User | None, body: str | None,
              public: bool, **data) -> ComplaintEvent:
    """Append one event; its structured facts are kept as JSON."""
    event = ComplaintEvent(complaint=complaint, kind=kind, actor_role=actor_role,
                           actor_id=actor.id if actor is not None else None, body=body,
                           data=json.dumps(data, ensure_ascii=False, sort_keys=True, default=str), is_public=public)
    db.session.add(event)
    return event


def latest_offer(complaint: Complaint) -> ComplaintEvent | None:
    """The shop's newest reply, which carries the offer the consumer may accept."""
    for event in reversed(complaint.events):
        if event.kind == "merchant_replied":
            return event
    return None


# Non-public events a party still needs to see: the shop must know of a mediation meeting and
# that the consumer turned its offer down; internal staff notes are for staff only.
_MERCHANT_ALSO_SEES = {"mediation_scheduled", "consumer_rejected", "forwarded"}


def visible_events(complaint: Complaint, audience: str) -> list[ComplaintEvent]:
    """The timeline as `audience` (consumer, merchant or staff) may see it."""
    if audience == "staff":
        return list(complaint.events)
    if audience == "consumer":
        return [e for e in complaint.events if e.kind != "staff_note"]
    return [e for e in complaint.events if e.is_public or e.kind in _MERCHANT_ALSO_SEES]
