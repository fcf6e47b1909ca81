"""The complaint state machine (DESIGN §4): the one transition table, and the services that obey it.

1. The table itself, cell by cell, against the design written out again by hand here.
2. Every status × every action through the SERVICES, as the rightful actor and as the wrong one:
   an allowed move changes the status as the table says, appends its events and (for staff) one
   audit entry; a forbidden one raises InvalidTransition / NotPermitted with a clear message and
   changes nothing in the database, even when the caller commits afterwards.
3. A hypothesis RuleBasedStateMachine drives complaints through random service calls and checks
   the invariants after every step.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from registry.audit.models import AuditEntry
from registry.complaints import states
from registry.complaints.labels import ACTION_LABELS, STATUS_LABELS
from registry.complaints.models import Complaint
from registry.errors import Conflict, InvalidTransition, NotPermitted
from registry.extensions import db

from .helpers import PATHS, count, do, events_of, file, snapshot, status_of, walk

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

OPEN = ("filed", "accepted", "replied", "disputed", "mediating")
ALL = ("filed", "accepted", "replied", "disputed", "mediating", "closed", "refused", "withdrawn", "duplicate")
ACTORS = ("consumer", "merchant", "staff", "system")

# DESIGN §4 written out by hand: (action, the only actor who may take it) → {status before: after}.
EXPECTED = {
    ("accept", "staff"): {"filed": "accepted"},
    ("refuse", "staff"): {"filed": "refused"},
    ("merchant_reply", "merchant"): {"accepted": "replied", "replied": "replied", "disputed": "replied",
                                     "mediating": "mediating"},
    ("accept_offer", "consumer"): {"replied": "closed"},
    ("reject_offer", "consumer"): {"replied": "disputed"},
    ("schedule_mediation", "staff"): {"accepted": "mediating", "replied": "mediating", "disputed": "mediating",
                                      "mediating": "mediating"},
    ("record_mediated", "staff"): {"mediating": "closed"},
    ("record_failed", "staff"): {"mediating": "closed"},
    ("withdraw", "consumer"): {s: "withdrawn" for s in OPEN},
    ("add_information", "consumer"): {s: s for s in OPEN},
    ("staff_note", "staff"): {s: s for s in ALL},
    ("followup", "consumer"): {"closed": "closed"},
    ("reply_overdue", "system"): {"accepted": "disputed"},
    ("callback", "staff"): {"closed": "closed"},
    # Before the shop answered: the same case reached the association twice.
    ("mark_duplicate", "staff"): {"filed": "duplicate", "accepted": "duplicate"},
}
ACTIONS = {action: actor for action, actor in EXPECTED}

# The events each action appends, in order.
NEW_EVENTS = {
    "accept": ["accepted", "forwarded"],
    "refuse": ["refused"],
    "merchant_reply": ["merchant_replied"],
    "accept_offer": ["consumer_accepted", "closed"],
    "reject_offer": ["consumer_rejected"],
    "schedule_mediation": ["mediation_scheduled"],
    "record_mediated": ["mediated", "closed"],
    "record_failed": ["mediation_failed", "closed"],
    "withdraw": ["withdrawn"],
    "add_information": ["consumer_added"],
    "staff_note": ["staff_note"],
    "followup": ["followup"],
    "reply_overdue": ["reply_overdue"],
    "callback": ["callback"],
    "mark_duplicate": ["marked_duplicate"],
}
STAFF_ACTIONS = [a for a, actor in ACTIONS.items() if actor == "staff"]


# --- 1. the table ------------------------------------------------------------------------------


def test_the_table_has_exactly_the_designed_actions_and_statuses():
    assert set(states.TRANSITIONS) == set(ACTIONS)
    assert set(states.STATUSES) == set(ALL)
    assert set(states.OPEN_STATUSES) == set(OPEN)
    assert set(states.FINAL_STATUSES) == {"closed", "refused", "withdrawn", "duplicate"}
    assert set(NEW_EVENTS) == set(ACTIONS)
    # Every action and status has a label for the pages and the refusal message.
    assert set(ACTION_LABELS) == set(ACTIONS)
    assert set(STATUS_LABELS) == set(ALL)


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_table_cell(action, status):
    rightful = ACTIONS[action]
    expected = {actor: (EXPECTED[(action, rightful)].get(status) if actor == rightful else None) for actor in ACTORS}
    assert {actor: states.next_status(action, status, actor) for actor in ACTORS} == expected
    for actor in ACTORS:
        assert (action in states.allowed_actions(status, actor)) == (expected[actor] is not None)


def test_unknown_action_is_never_allowed():
    assert states.next_status("delete", "filed", "staff") is None
    assert states.next_status("accept", "no-such-status", "staff") is None


@pytest.mark.parametrize("status", ["refused", "withdrawn", "duplicate"])
def test_refused_and_withdrawn_allow_nothing_but_a_staff_note(status):
    allowed = {(action, actor) for action in ACTIONS for actor in ACTORS
               if states.next_status(action, status, actor) is not None}
    assert allowed == {("staff_note", "staff")}


def test_closed_allows_only_the_followup_a_call_back_and_a_staff_note():
    allowed = {(action, actor) for action in ACTIONS for actor in ACTORS
               if states.next_status(action, "closed", actor) is not None}
    assert allowed == {("staff_note", "staff"), ("followup", "consumer"), ("callback", "staff")}


# --- 2. through the services -------------------------------------------------------------------


def _assert_unchanged(before: dict, complaint: Complaint, what: str) -> None:
    after = snapshot(complaint)
    assert after["row"] == before["row"], f"{what}: complaint row changed"
    assert after["events"] == before["events"], f"{what}: events changed"
    assert after["audit"] == before["audit"], f"{what}: audit log changed"


def _refused_cleanly(complaint, w, action, actor, expected_error):
    """Run a forbidden action, commit whatever the service may have left in the session, compare."""
    before = snapshot(complaint)
    complaint = db.session.get(Complaint, complaint.id)
    with pytest.raises(expected_error) as raised:
        do(action, complaint, w, actor=actor)
    db.session.commit()  # stricter than the views (they roll back): nothing may be pending either
    _assert_unchanged(before, complaint, f"{action} by {getattr(actor, 'role', 'rightful actor')}")
    return raised.value


@pytest.mark.parametrize("variant", list(PATHS))
def test_every_action_in_every_status_through_the_services(world, variant, subtests):
    status = status_of(variant)
    # One complaint in this status takes every refused action (nothing changes, so it stays there).
    standing, _ = file(world.shop)
    walk(standing, world, variant)

    for action, rightful in ACTIONS.items():
        target = states.next_status(action, status, rightful)
        with subtests.test(msg=f"{variant}: {action} by {rightful}"):
            if target is None:
                error = _refused_cleanly(standing, world, action, None, InvalidTransition)
                assert error.status_code == 409
                assert str(STATUS_LABELS[status]) in error.message
                assert str(ACTION_LABELS[action]) in error.message
                continue
            complaint, _ = file(world.shop)
            walk(complaint, world, variant)
            before = snapshot(complaint)
            do(action, complaint, world)
            db.session.commit()
            after = snapshot(complaint)
            assert after["row"]["status"] == target == EXPECTED[(action, rightful)][status]
            # Append-only: the old timeline is untouched and the action's events follow it.
            assert after["events"][:len(before["events"])] == before["events"]
            assert [e[1] for e in after["events"][len(before["events"]):]] == NEW_EVENTS[action]
            # Staff decisions are audited with the officer; others are not staff actions.
            new_audit = after["audit"] - before["audit"]
            if rightful == "staff":
                assert new_audit == 1
                entry = db.session.scalar(db.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
                assert (entry.action, entry.actor_id, entry.subject_id) == (
                    f"complaint.{action}", world.staff.id, complaint.id)
                assert json.loads(entry.data)["old"] == status
                assert json.loads(entry.data)["new"] == target
            elif rightful == "system":
                # The timer's move is audited without an officer (the shop's flag is audited too).
                assert db.session.scalar(db.select(func.count(AuditEntry.id)).where(
                    AuditEntry.action == f"complaint.{action}", AuditEntry.subject_id == complaint.id,
                    AuditEntry.actor_id.is_(None))) == 1
            else:
                assert new_audit == 0
            # The optimistic lock moves with every change of the row (an event alone leaves it), and with
            # every staff call-back (one call per posted form, complaints.handling.record_callback).
            changed = {k for k in after["row"] if after["row"][k] != before["row"][k]} - {"version"}
            moved = 1 if changed or action == "callback" else 0
            assert after["row"]["version"] == before["row"]["version"] + moved
            if target != status:
                assert "status" in changed

    # The wrong actor is refused in every status, before the table is even consulted.
    wrong = {a: [("merchant owner", world.owner), ("staff of another district", world.staff_elsewhere)]
             for a in STAFF_ACTIONS}
    wrong["merchant_reply"] = [("staff", world.staff), ("admin", world.admin), ("another shop's owner",
                                                                                 world.other_owner)]
    for action, actors in wrong.items():
        for label, actor in actors:
            with subtests.test(msg=f"{variant}: {action} by {label}"):
                error = _refused_cleanly(standing, world, action, actor, NotPermitted)
                assert error.status_code == 403 and error.message


def test_admin_acts_as_staff_without_district(world):
    complaint, _ = file(world.shop)
    do("accept", complaint, world, actor=world.admin)
    db.session.commit()
    assert complaint.status == "accepted"
    assert db.session.scalar(db.select(AuditEntry.actor_id).where(AuditEntry.action == "complaint.accept")) \
        == world.admin.id


# --- 3. random walks ---------------------------------------------------------------------------

RULE_ACTIONS = {
    "accept": "accept", "refuse": "refuse", "reply": "merchant_reply", "accept_offer": "accept_offer",
    "reject_offer": "reject_offer", "schedule": "schedule_mediation", "record_mediated": "record_mediated",
    "record_failed": "record_failed", "withdraw": "withdraw", "add_info": "add_information",
    "followup": "followup", "note": "staff_note",
}


class ComplaintMachine(RuleBasedStateMachine):
    """One fresh complaint per example, in the test's database; random service calls on it."""

    world = None  # set by the test

    @initialize()
    def file_one(self):
        self.complaint, _ = file(self.world.shop)
        self.ever_accepted = False
        self.followed_up = False
        self.terminal_events = None  # the timeline length when refused/withdrawn was reached
        self.timeline = events_of(self.complaint)
        self.steps = []

    def _take(self, name: str) -> None:
        action = RULE_ACTIONS[name]
        status = self.complaint.status
        target = states.next_status(action, status, ACTIONS[action])
        repeat_followup = action == "followup" and self.followed_up
        before = snapshot(self.complaint)
        self.complaint = db.session.get(Complaint, self.complaint.id)
        self.steps.append(f"{action} in {status}")
        if target is None or repeat_followup:
            with pytest.raises(Conflict if repeat_followup else InvalidTransition):
                do(action, self.complaint, self.world)
            db.session.rollback()
            _assert_unchanged(before, self.complaint, " → ".join(self.steps))
            return
        do(action, self.complaint, self.world)
        db.session.commit()
        assert self.complaint.status == target, " → ".join(self.steps)
        self.ever_accepted |= action == "accept"
        self.followed_up |= action == "followup"
        if target in ("refused", "withdrawn") and self.terminal_events is None:
            self.terminal_events = len(events_of(self.complaint))

    @rule(name=st.sampled_from(sorted(RULE_ACTIONS)))
    def act(self, name):
        self._take(name)

    # The happy path is unlikely by chance; give it its own rules so long walks happen too.
    @rule()
    def accept(self):
        self._take("accept")

    @rule()
    def reply(self):
        self._take("reply")

    @invariant()
    def status_is_known(self):
        assert self.complaint.status in states.STATUSES

    @invariant()
    def closed_means_outcome_and_time(self):
        db.session.expire_all()
        complaint = db.session.get(Complaint, self.complaint.id)
        if complaint.status == "closed":
            assert complaint.outcome in (states.AGREED, states.MEDIATED, states.FAILED)
            assert complaint.closed_at is not None
        if complaint.status in ("refused", "withdrawn"):
            assert complaint.closed_at is not None
        if complaint.status in states.OPEN_STATUSES:
            assert complaint.closed_at is None and complaint.outcome is None

    @invariant()
    def events_are_append_only(self):
        timeline = events_of(self.complaint)
        assert len(timeline) >= len(self.timeline)
        assert timeline[:len(self.timeline)] == self.timeline, "an earlier event changed"
        assert timeline[0][1] == "filed"
        self.timeline = timeline

    @invariant()
    def refused_and_withdrawn_take_only_staff_notes(self):
        if self.terminal_events is not None:
            assert self.complaint.status in ("refused", "withdrawn")
            later = [e[1] for e in events_of(self.complaint)[self.terminal_events:]]
            assert set(later) <= {"staff_note"}, later

    @invariant()
    def public_once_accepted_unless_refused(self):
        complaint = self.complaint
        assert complaint.is_public == (self.ever_accepted and complaint.status != "refused")
        accepted_events = [e for e in events_of(complaint) if e[1] == "accepted"]
        assert len(accepted_events) == (1 if self.ever_accepted else 0)


def test_random_walks_keep_the_invariants(world):
    ComplaintMachine.world = world
    try:
        run_state_machine_as_test(ComplaintMachine, settings=settings(
            max_examples=30, stateful_step_count=12, deadline=None, database=None, derandomize=False,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ))
    finally:
        ComplaintMachine.world = None
    # The walks really happened in the database: one complaint per example at least.
    assert count(Complaint) >= 10
