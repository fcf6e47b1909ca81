"""The complaint state machine: every status change goes through this one table.

DESIGN §4: filed → accepted | refused; accepted → (merchant replies) replied → closed by agreement
when the consumer accepts the offer, or disputed → mediation → closed as mediated or failed. A shop
that lets its reply deadline pass also sends the case to disputed (staff take it up).
Withdrawal is possible until the case is closed. Staff mark a complaint that is the same case as another
(the same consumer about the same matter, often by two channels) a duplicate while it is new or accepted
and before the shop answered: it leaves the open workload, is never public nor counted, and its
tracking page names the case that carries on.
"""

from __future__ import annotations

from dataclasses import dataclass

FILED, ACCEPTED, REPLIED, DISPUTED, MEDIATING = "filed", "accepted", "replied", "disputed", "mediating"
CLOSED, REFUSED, WITHDRAWN, DUPLICATE = "closed", "refused", "withdrawn", "duplicate"
STATUSES = (FILED, ACCEPTED, REPLIED, DISPUTED, MEDIATING, CLOSED, REFUSED, WITHDRAWN, DUPLICATE)
OPEN_STATUSES = (FILED, ACCEPTED, REPLIED, DISPUTED, MEDIATING)
FINAL_STATUSES = (CLOSED, REFUSED, WITHDRAWN, DUPLICATE)
# Never published and never counted as a complaint of their own (the public side shows one case).
UNCOUNTED_STATUSES = (REFUSED, DUPLICATE)

# Outcomes recorded when a case closes.
AGREED, MEDIATED, FAILED = "agreed", "mediated", "failed"


@dataclass(frozen=True)
class Transition:
    actor_role: str            # who may take this action: consumer, merchant or staff
    moves: dict[str, str]      # status before → status after


TRANSITIONS: dict[str, Transition] = {
    "accept": Transition("staff", {FILED: ACCEPTED}),
    "refuse": Transition("staff", {FILED: REFUSED}),
    "merchant_reply": Transition("merchant", {ACCEPTED: REPLIED, REPLIED: REPLIED, DISPUTED: REPLIED,
                                              MEDIATING: MEDIATING}),
    "accept_offer": Transition("consumer", {REPLIED: CLOSED}),
    "reject_offer": Transition("consumer", {REPLIED: DISPUTED}),
    "schedule_mediation": Transition("staff", {ACCEPTED: MEDIATING, REPLIED: MEDIATING, DISPUTED: MEDIATING,
                                               MEDIATING: MEDIATING}),
    "record_mediated": Transition("staff", {MEDIATING: CLOSED}),
    "record_failed": Transition("staff", {MEDIATING: CLOSED}),
    # The shop's reply deadline passed without a reply: the case goes to staff (complaints/timers.py).
    "reply_overdue": Transition("system", {ACCEPTED: DISPUTED}),
    "mark_duplicate": Transition("staff", {FILED: DUPLICATE, ACCEPTED: DUPLICATE}),
    "withdraw": Transition("consumer", {s: WITHDRAWN for s in OPEN_STATUSES}),
    "add_information": Transition("consumer", {s: s for s in OPEN_STATUSES}),
    "staff_note": Transition("staff", {s: s for s in STATUSES}),
    "followup": Transition("consumer", {CLOSED: CLOSED}),
    # Staff call the consumer back (回访) once the case is concluded; several attempts may be recorded.
    "callback": Transition("staff", {CLOSED: CLOSED}),
}


def next_status(action: str, status: str, actor_role: str) -> str | None:
    """The status after `action`, or None when the action is not allowed now or not by this actor."""
    transition = TRANSITIONS.get(action)
    if transition is None or transition.actor_role != actor_role:
        return None
    return transition.moves.get(status)


def allowed_actions(status: str, actor_role: str) -> list[str]:
    """Actions this actor may take in this status (for showing only the buttons that work)."""
    return [name for name, t in TRANSITIONS.items() if t.actor_role == actor_role and status in t.moves]
