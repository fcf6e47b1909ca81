"""A case's append-only timeline, who may see which of its events, and the signal sent after every move."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from blinker import Namespace

from registry.auth.models import User
from registry.clock import CHINA
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


def scheduled_mediation(complaint: Complaint) -> datetime | None:
    """When the latest scheduled mediation meets (aware, Beijing time), or None when none was scheduled.

    The staff form stores the wall-clock time typed, which is China time."""
    for event in reversed(complaint.events):
        if event.kind == "mediation_scheduled":
            value = json.loads(event.data or "{}").get("when")
            if not value:
                return None
            moment = datetime.fromisoformat(value)
            return moment.replace(tzinfo=CHINA) if moment.tzinfo is None else moment.astimezone(CHINA)
    return None


def latest_offer(complaint: Complaint) -> ComplaintEvent | None:
    """The shop's newest reply, which carries the offer the consumer may accept."""
    for event in reversed(complaint.events):
        if event.kind == "merchant_replied":
            return event
    return None


# Who sees what. Staff see every event in full. The parties (the consumer through the case link, the
# shop's owner) never see an internal word: staff notes are left out, and the note staff add when
# scheduling mediation (a form field labelled 仅工作人员可见) is dropped from the event, whose time
# and place they do need. Beyond the public events the shop also sees the non-public ones it must
# know of, and its own reply while staff review it. Staff call-backs (回访) are staff-only: their
# remarks are never copied into the event, and the parties need not read how often staff called.
_STAFF_ONLY_KINDS = {"staff_note", "callback", "duplicate_linked", "business_linked"}
_STAFF_ONLY_BODY_KINDS = {"mediation_scheduled", "marked_duplicate"}
_MERCHANT_ALSO_SEES = {"mediation_scheduled", "consumer_rejected", "forwarded", "reply_overdue"}
AUDIENCES = ("consumer", "merchant", "staff")


@dataclass(frozen=True)
class ShownEvent:
    """One event as an audience may read it (a copy: changing it never touches the stored event)."""

    id: int
    kind: str
    actor_role: str
    created_at: datetime
    is_public: bool
    data: str
    body: str | None
    held_for_review: bool
    hidden_reason: str | None


def _shown(event: ComplaintEvent, audience: str) -> ShownEvent:
    body = event.body
    if audience != "staff" and event.kind in _STAFF_ONLY_BODY_KINDS:
        body = None
    return ShownEvent(event.id, event.kind, event.actor_role, event.created_at, event.is_public, event.data or "{}",
                      body, bool(event.held_for_review), event.hidden_reason)


def _sees(event: ComplaintEvent, audience: str) -> bool:
    if audience == "staff":
        return True
    if event.kind in _STAFF_ONLY_KINDS:
        return False
    if audience == "consumer":
        return True
    return event.is_public or event.kind in _MERCHANT_ALSO_SEES or \
        (event.kind == "merchant_replied" and event.held_for_review)


def visible_events(complaint: Complaint, audience: str) -> list[ShownEvent]:
    """The timeline as `audience` (consumer, merchant or staff) may see it."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    return [_shown(event, audience) for event in complaint.events if _sees(event, audience)]
