"""Flags without HTTP: the automatic rules fire exactly when they should and never twice, consumer
reports gather on one flag, staff flags, dismissal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.errors import Conflict, DomainError, NotPermitted
from registry.extensions import db
from registry.moderation import flags as flagging
from registry.moderation.models import FLAG_DISMISSED, FLAG_MISUSED_BADGE, FLAG_OPEN, FLAG_STAFF, FlagRule

from .helpers import PHONE, accept, audit_actions, count, file, flags, refuse

pytestmark = pytest.mark.usefixtures("fresh_request_globals")


# --- Flag rules -------------------------------------------------------------------------------------

def test_accepted_in_window_fires_at_the_third_accepted_complaint_and_only_once(world):
    complaints = [file(world.shop, phone=f"1386745230{i}") for i in range(5)]
    accept(complaints[0], world.staff)
    accept(complaints[1], world.staff)
    assert flags(world.shop, "accepted_in_window") == []

    accept(complaints[2], world.staff)
    [flag] = flags(world.shop, "accepted_in_window")
    assert (flag.kind, flag.status, flag.raised_by_id) == ("rule", FLAG_OPEN, None)
    assert flag.source["count"] == 3 and flag.source["window_days"] == 90
    assert set(flag.source["tracking_numbers"]) == {c.tracking_number for c in complaints[:3]}
    assert "90 天内受理投诉 3 件" in flag.reason
    assert "flag.raised" in audit_actions(flag)

    accept(complaints[3], world.staff)  # still open: no second flag
    assert len(flags(world.shop, "accepted_in_window")) == 1
    assert flags(world.other_shop) == []


def test_accepted_in_window_counts_only_the_window_and_not_refusals(world, frozen):
    first, second = file(world.shop, phone="13900000001"), file(world.shop, phone="13900000002")
    accept(first, world.staff)
    accept(second, world.staff)
    frozen.advance(days=91)  # the first two fall out of the 90-day window
    third, fourth = file(world.shop, phone="13900000003"), file(world.shop, phone="13900000004")
    refuse(third, world.staff)
    accept(fourth, world.staff)
    assert flags(world.shop) == []

    frozen.advance(days=1)
    fifth, sixth = file(world.shop, phone="13900000005"), file(world.shop, phone="13900000006")
    accept(fifth, world.staff)
    assert flags(world.shop) == []
    accept(sixth, world.staff)
    assert len(flags(world.shop, "accepted_in_window")) == 1


def test_a_dismissed_flag_does_not_stop_the_next_one(world):
    complaints = [file(world.shop, phone=f"1386745231{i}") for i in range(4)]
    for complaint in complaints[:3]:
        accept(complaint, world.staff)
    [first] = flags(world.shop, "accepted_in_window")
    flagging.dismiss_flag(first, world.staff, "已核实，投诉均已和解。")
    db.session.commit()
    accept(complaints[3], world.staff)
    statuses = [f.status for f in flags(world.shop, "accepted_in_window")]
    assert statuses == [FLAG_DISMISSED, FLAG_OPEN]


def test_counterfeit_flag_needs_an_accepted_counterfeit_complaint(world):
    counterfeit = file(world.shop, clause_kind="counterfeit")
    assert flags(world.shop) == []  # filed is not enough
    other = file(world.shop, phone="13900000011", clause_kind="price_fraud")
    accept(other, world.staff)
    assert flags(world.shop) == []  # accepted, but another clause
    accept(counterfeit, world.staff)
    [flag] = flags(world.shop, "counterfeit_accepted")
    assert counterfeit.tracking_number in flag.reason
    assert flag.source["tracking_numbers"] == [counterfeit.tracking_number]

    second = file(world.shop, phone="13900000012", clause_kind="counterfeit")
    accept(second, world.staff)
    assert len(flags(world.shop, "counterfeit_accepted")) == 1


def test_burst_from_one_phone_is_counted_at_filing(world, frozen):
    file(world.shop)
    file(world.shop)
    file(world.shop, phone="13900000021")  # another phone does not count
    file(world.other_shop)  # another shop does not count
    assert flags(world.shop) == []
    third = file(world.shop)  # the third from PHONE within 7 days, none accepted
    [flag] = flags(world.shop, "burst_same_phone")
    assert flag.source["count"] == 3 and third.tracking_number in flag.source["tracking_numbers"]
    # The flag keeps the phone masked: it outlives the complaint's retention of the number.
    assert PHONE not in flag.reason + flag.source_data
    assert "138****2301" in flag.reason
    file(world.shop)
    assert len(flags(world.shop, "burst_same_phone")) == 1
    assert flags(world.other_shop) == []


def test_burst_needs_the_complaints_within_the_window(world, frozen):
    file(world.shop)
    frozen.advance(days=4)
    file(world.shop)
    frozen.advance(days=4)  # the first is now 8 days old
    file(world.shop)
    assert flags(world.shop) == []
    frozen.advance(days=1)
    file(world.shop)
    assert len(flags(world.shop, "burst_same_phone")) == 1


def test_an_administrator_tunes_and_disables_rules(world):
    rule = flagging.update_rule("burst_same_phone", world.admin, True, 2, 7)
    db.session.commit()
    assert (rule.threshold, rule.window_days) == (2, 7)
    assert "flag_rule.updated" in audit_actions(rule)
    file(world.shop)
    file(world.shop)
    assert len(flags(world.shop, "burst_same_phone")) == 1

    flagging.update_rule("counterfeit_accepted", world.admin, False, 1, 365)
    db.session.commit()
    accept(file(world.other_shop, clause_kind="counterfeit"), world.staff)
    assert flags(world.other_shop) == []
    assert count(FlagRule) == 2


@pytest.mark.parametrize(("threshold", "window", "field"), [(0, 7, "threshold"), (3, 0, "window_days"),
                                                            (1001, 7, "threshold"), (3, 3651, "window_days"),
                                                            (None, 7, "threshold")])
def test_rule_settings_are_checked(world, threshold, window, field):
    with pytest.raises(DomainError) as refused:
        flagging.update_rule("burst_same_phone", world.admin, True, threshold, window)
    assert refused.value.field == field
    db.session.rollback()
    assert count(FlagRule) == 0


def test_only_administrators_tune_rules(world):
    with pytest.raises(NotPermitted):
        flagging.update_rule("burst_same_phone", world.staff, True, 5, 7)
    assert count(FlagRule) == 0


def test_seeding_stores_the_defaults_once(world):
    assert flagging.seed_rules() == 4
    assert flagging.seed_rules() == 0
    db.session.commit()
    stored = {r.code: (r.enabled, r.threshold, r.window_days) for r in db.session.scalars(select(FlagRule))}
    assert stored == {"accepted_in_window": (True, 3, 90), "counterfeit_accepted": (True, 1, 365),
                      "burst_same_phone": (True, 3, 7), "reply_overdue": (True, 1, 365)}


# --- Reports and staff flags ------------------------------------------------------------------------

def test_a_misused_badge_report_creates_a_flag_and_later_reports_join_it(world):
    flag = flagging.report_misused_badge(world.shop, "  在 文三路 12 号的水果店 门口  ", "BX-0042")
    db.session.commit()
    assert (flag.kind, flag.status, flag.merchant_id) == (FLAG_MISUSED_BADGE, FLAG_OPEN, world.shop.id)
    assert flag.source["reports"][0]["note"] == "在 文三路 12 号的水果店 门口"
    assert flag.source["reports"][0]["serial"] == "BX-0042"
    flagging.report_misused_badge(world.shop, "", "<script>")
    db.session.commit()
    [only] = flags(world.shop)
    assert only.source["count"] == 2
    assert only.source["reports"][1] == {"at": only.source["reports"][1]["at"], "note": None, "serial": None}


def test_a_report_note_is_limited(world):
    with pytest.raises(DomainError) as refused:
        flagging.report_misused_badge(world.shop, "长" * 201, None)
    assert refused.value.field == "note"
    db.session.rollback()
    assert flags(world.shop) == []


def test_staff_flag_and_dismissal(world):
    with pytest.raises(DomainError) as refused:
        flagging.raise_staff_flag(world.shop, world.staff, "  ")
    assert refused.value.field == "reason"
    flag = flagging.raise_staff_flag(world.shop, world.staff, "多名居民反映夜间噪音和缺斤少两。")
    db.session.commit()
    assert (flag.kind, flag.raised_by_id) == (FLAG_STAFF, world.staff.id)

    with pytest.raises(DomainError) as refused:
        flagging.dismiss_flag(flag, world.staff2, "")
    assert refused.value.field == "note"
    flagging.dismiss_flag(flag, world.staff2, "已上门核实，未发现问题。")
    db.session.commit()
    assert (flag.status, flag.resolved_by_id, flag.resolution_note) == (FLAG_DISMISSED, world.staff2.id,
                                                                        "已上门核实，未发现问题。")
    assert audit_actions(flag) == ["flag.raised", "flag.dismissed"]
    with pytest.raises(Conflict):
        flagging.dismiss_flag(flag, world.staff, "再次排除")


def test_a_rule_flag_raised_by_a_concurrent_request_is_absorbed(world, monkeypatch):
    """Two acceptances at once both pass the "already open?" check; the partial unique index lets
    one flag in, and the other request still saves its complaint."""
    complaints = [file(world.shop, phone=f"1386745232{i}") for i in range(4)]
    for complaint in complaints[:3]:
        accept(complaint, world.staff)
    assert len(flags(world.shop, "accepted_in_window")) == 1
    monkeypatch.setattr(flagging, "_open_rule_flag", lambda *_args: None)  # the check saw nothing
    accept(complaints[3], world.staff)
    db.session.expire_all()
    assert len(flags(world.shop, "accepted_in_window")) == 1
    assert db.session.get(type(complaints[3]), complaints[3].id).status == "accepted"
