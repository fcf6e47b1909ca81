"""The standing rule with plain values: no app, no database. Every branch of merchants.standing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from registry.merchants.standing import (BY_LAPSE, BY_PLEDGE, BY_RECORD, BY_SANCTION, LAPSE_EXPIRED,
                                         LAPSE_NOT_RESIGNED, Lapse, PledgeFacts, SanctionFacts, Terms, assess,
                                         lapse_of, resign_due)

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)

V1 = Terms(version_id=1, version_number=1, resign_deadline=None)
V2_DUE = Terms(version_id=2, version_number=2, resign_deadline=NOW + 7 * DAY)  # deadline ahead
V2_PAST = Terms(version_id=2, version_number=2, resign_deadline=NOW - DAY)  # deadline passed
V2_OPEN = Terms(version_id=2, version_number=2, resign_deadline=None)  # no re-sign needed

ON_V1 = PledgeFacts(version_id=1, version_number=1, signed_at=NOW - 100 * DAY, expires_at=NOW + 265 * DAY)
ON_V2 = PledgeFacts(version_id=2, version_number=2, signed_at=NOW - DAY, expires_at=NOW + 364 * DAY)
EXPIRED = PledgeFacts(version_id=1, version_number=1, signed_at=NOW - 400 * DAY, expires_at=NOW - 35 * DAY)
NOT_YET = PledgeFacts(version_id=1, version_number=1, signed_at=NOW + DAY, expires_at=NOW + 366 * DAY)


def sanction(id=1, kind="suspension", status="active", starts=-10, ends=None, issued=None) -> SanctionFacts:
    """A sanction starting `starts` days from NOW and ending `ends` days from NOW (None: open-ended)."""
    starts_at = NOW + starts * DAY if starts is not None else None
    return SanctionFacts(id, kind, status, issued or (starts_at or NOW - 30 * DAY), starts_at,
                         NOW + ends * DAY if ends is not None else None)


# --- The pledge -------------------------------------------------------------------------------------

def test_a_signature_that_holds_keeps_an_active_shop_active():
    assert assess("active", ON_V1, V1, (), NOW) == assess("active", ON_V1, V1, [], NOW)
    outcome = assess("active", ON_V1, V1, (), NOW)
    assert (outcome.standing, outcome.reason, outcome.sanction, outcome.lapse, outcome.relaxed) == \
        ("active", BY_PLEDGE, None, None, False)


def test_no_signature_is_a_lapse_without_a_date():
    assert assess("active", None, V1, (), NOW) == assess("active", None, None, (), NOW)
    outcome = assess("active", None, V1, (), NOW)
    assert (outcome.standing, outcome.reason, outcome.lapse) == ("lapsed", BY_LAPSE, Lapse(LAPSE_EXPIRED, None))


def test_an_expired_signature_lapses_from_its_expiry():
    outcome = assess("active", EXPIRED, V1, (), NOW)
    assert (outcome.standing, outcome.lapse) == ("lapsed", Lapse(LAPSE_EXPIRED, EXPIRED.expires_at))


def test_the_signature_holds_from_signing_until_just_before_expiry():
    assert not NOT_YET.holds_at(NOW)
    assert lapse_of(NOT_YET, V1, NOW) == Lapse(LAPSE_EXPIRED, NOT_YET.expires_at)
    assert ON_V1.holds_at(ON_V1.signed_at) and not ON_V1.holds_at(ON_V1.expires_at)


def test_a_shop_on_the_old_version_lapses_only_after_the_re_sign_deadline():
    assert assess("active", ON_V1, V2_DUE, (), NOW).standing == "active"
    assert assess("active", ON_V1, V2_OPEN, (), NOW).standing == "active"
    outcome = assess("active", ON_V1, V2_PAST, (), NOW)
    assert (outcome.standing, outcome.reason) == ("lapsed", BY_LAPSE)
    assert outcome.lapse == Lapse(LAPSE_NOT_RESIGNED, V2_PAST.resign_deadline, 2)


def test_a_shop_that_signed_the_current_or_a_newer_version_does_not_lapse_at_the_deadline():
    assert lapse_of(ON_V2, V2_PAST, NOW) is None
    newer = PledgeFacts(3, 3, NOW - DAY, NOW + 300 * DAY)
    assert lapse_of(newer, V2_PAST, NOW) is None


def test_no_current_version_judges_the_signature_alone():
    assert lapse_of(ON_V1, None, NOW) is None


def test_a_warned_shop_lapses_too_and_its_warning_no_longer_explains_it():
    warning = sanction(kind="warning", ends=300)
    outcome = assess("warned", EXPIRED, V1, [warning], NOW)
    assert (outcome.standing, outcome.reason, outcome.sanction) == ("lapsed", BY_LAPSE, None)


def test_a_lapsed_shop_says_why_and_a_reinstated_one_falls_back_to_the_record():
    assert assess("lapsed", EXPIRED, V1, (), NOW).lapse == Lapse(LAPSE_EXPIRED, EXPIRED.expires_at)
    # Reinstated after a sanction (信用修复): lapsed until it signs again, though its signature holds.
    outcome = assess("lapsed", ON_V1, V1, (), NOW)
    assert (outcome.standing, outcome.reason, outcome.lapse) == ("lapsed", BY_RECORD, None)


@pytest.mark.parametrize("stored", ["pending", "suspended", "revoked"])
def test_the_pledge_rule_leaves_pending_suspended_and_revoked_shops_alone(stored):
    outcome = assess(stored, EXPIRED, V2_PAST, (), NOW)
    assert (outcome.standing, outcome.reason, outcome.lapse) == (stored, BY_RECORD, None)


# --- Sanctions ----------------------------------------------------------------------------------------

def test_the_sanction_in_force_explains_the_standing():
    suspension = sanction(ends=10)
    outcome = assess("suspended", ON_V1, V1, [suspension], NOW)
    assert (outcome.standing, outcome.reason, outcome.sanction, outcome.relaxed) == \
        ("suspended", BY_SANCTION, suspension, False)


def test_the_newest_of_two_warnings_explains_a_warned_shop():
    older, newer = sanction(1, "warning", starts=-60, ends=300), sanction(2, "warning", starts=-5, ends=360)
    assert assess("warned", ON_V1, V1, [newer, older], NOW).sanction == newer
    same_day = sanction(3, "warning", starts=-5, ends=360)
    assert assess("warned", ON_V1, V1, [same_day, newer], NOW).sanction == same_day  # then the higher id


def test_a_suspension_whose_end_passed_frees_the_shop_before_the_job_runs():
    outcome = assess("suspended", ON_V1, V1, [sanction(ends=0)], NOW)  # ends exactly now
    assert (outcome.standing, outcome.reason, outcome.relaxed) == ("active", BY_PLEDGE, True)


def test_a_freed_shop_whose_pledge_ran_out_meanwhile_is_lapsed():
    outcome = assess("suspended", EXPIRED, V1, [sanction(ends=-1)], NOW)
    assert (outcome.standing, outcome.reason, outcome.relaxed) == ("lapsed", BY_LAPSE, True)


def test_a_freed_shop_falls_back_to_the_strongest_sanction_still_in_force():
    suspension, warning = sanction(1, ends=-1), sanction(2, "warning", ends=200)
    outcome = assess("suspended", ON_V1, V1, [suspension, warning], NOW)
    assert (outcome.standing, outcome.sanction, outcome.relaxed) == ("warned", warning, True)


def test_only_a_sanction_of_the_kind_behind_the_stored_standing_relaxes_it():
    ended_warning, suspension = sanction(1, "warning", ends=-1), sanction(2, ends=None)
    outcome = assess("suspended", ON_V1, V1, [ended_warning, suspension], NOW)
    assert (outcome.standing, outcome.sanction, outcome.relaxed) == ("suspended", suspension, False)


def test_a_standing_no_sanction_explains_is_kept():
    outcome = assess("warned", ON_V1, V1, (), NOW)
    assert (outcome.standing, outcome.reason, outcome.sanction) == ("warned", BY_RECORD, None)


def test_a_warning_that_ran_out_leaves_an_active_shop():
    outcome = assess("warned", ON_V1, V1, [sanction(kind="warning", ends=-1)], NOW)
    assert (outcome.standing, outcome.relaxed) == ("active", True)


def test_another_sanction_of_the_same_kind_keeps_the_standing_and_explains_it():
    old, new = sanction(1, "warning", starts=-300, ends=-1), sanction(2, "warning", starts=-3, ends=360)
    outcome = assess("warned", ON_V1, V1, [old, new], NOW)
    assert (outcome.standing, outcome.sanction, outcome.relaxed) == ("warned", new, True)


def test_a_revocation_is_the_strongest():
    revocation, suspension = sanction(1, "revocation"), sanction(2, ends=5)
    assert assess("revoked", ON_V1, V1, [suspension, revocation], NOW).sanction == revocation
    outcome = assess("suspended", ON_V1, V1, [sanction(3, ends=-1), revocation], NOW)
    assert (outcome.standing, outcome.sanction) == ("revoked", revocation)


def test_lifted_sanctions_stop_even_when_their_rows_already_say_ended():
    appealed = sanction(1, status="ended", ends=None)  # granted on appeal: ended a moment ago
    outcome = assess("suspended", ON_V1, V1, [appealed], NOW, lifted={1})
    assert (outcome.standing, outcome.relaxed) == ("active", True)
    assert assess("suspended", ON_V1, V1, [appealed], NOW).relaxed is False  # not lifted: a record only


@pytest.mark.parametrize("ignored", [
    sanction(kind="reinstatement"),  # a record of a lifting, never a mark
    sanction(status="proposed", starts=None),  # a revocation waiting for the second officer
    sanction(status="rejected", starts=None),
    sanction(starts=+1, ends=10),  # not started yet
])
def test_records_proposals_and_future_sanctions_explain_nothing(ignored):
    assert not ignored.in_force_at(NOW)
    outcome = assess("active", ON_V1, V1, [ignored], NOW)
    assert (outcome.standing, outcome.sanction) == ("active", None)


def test_a_sanction_without_a_start_is_in_force_from_its_issue():
    assert sanction(starts=None, ends=None).in_force_at(NOW)


# --- The re-sign deadline -----------------------------------------------------------------------------

def test_the_re_sign_deadline_is_shown_while_it_is_ahead():
    assert resign_due("active", ON_V1, V2_DUE, NOW) == V2_DUE.resign_deadline
    assert resign_due("warned", ON_V1, V2_DUE, NOW) == V2_DUE.resign_deadline


@pytest.mark.parametrize("stored, pledge, terms", [
    ("lapsed", ON_V1, V2_DUE),  # a lapsed shop signs anyway
    ("suspended", ON_V1, V2_DUE),
    ("active", None, V2_DUE),  # nothing to renew
    ("active", EXPIRED, V2_DUE),
    ("active", ON_V1, None),  # no current version
    ("active", ON_V1, V2_OPEN),  # no deadline set
    ("active", ON_V2, V2_DUE),  # already on it
    ("active", PledgeFacts(3, 3, NOW - DAY, NOW + 300 * DAY), V2_DUE),  # on a newer one
    ("active", ON_V1, V2_PAST),  # passed: the shop has lapsed instead
])
def test_no_re_sign_deadline_otherwise(stored, pledge, terms):
    assert resign_due(stored, pledge, terms, NOW) is None
