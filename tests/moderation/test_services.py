"""Moderation rules without HTTP: flag rules fire exactly when they should and never twice, the two-person
rule for revocations, suspensions that end by themselves under a frozen clock, marks that stop being
shown, appeals decided once by another officer, district scope. Every test reads back the database."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from registry.clock import add_months
from registry.errors import Conflict, DomainError, InvalidTransition, NotPermitted
from registry.extensions import db
from registry.uploads import process_image
from registry.merchants.models import Merchant
from registry.moderation import queries, services
from registry.moderation.models import (ACTIVE, APPEAL_GRANTED, APPEAL_UPHELD, ENDED, FLAG_ACTIONED, FLAG_DISMISSED,
                                        FLAG_MISUSED_BADGE, FLAG_OPEN, FLAG_STAFF, PROPOSED, REINSTATEMENT, REJECTED,
                                        Appeal, AppealPhoto, Flag, FlagRule, Sanction)
from registry.moderation.services import SanctionInput
from registry.pledges.services import can_sign, latest_signature, sign_pledge

from .helpers import PHONE, accept, audit_actions, count, file, jpeg_bytes, messages_to, refuse

pytestmark = pytest.mark.usefixtures("fresh_request_globals")

REASON = "经查实销售假冒品牌羊毛衫。"


def reason(kind="counterfeit", text=REASON, note="现场检查记录 2026-03-01"):
    return SanctionInput(kind, text, note)


def flags(merchant, rule_code=None, status=None) -> list[Flag]:
    statement = select(Flag).where(Flag.merchant_id == merchant.id).order_by(Flag.id)
    if rule_code is not None:
        statement = statement.where(Flag.rule_code == rule_code)
    if status is not None:
        statement = statement.where(Flag.status == status)
    return list(db.session.scalars(statement))


def fresh(merchant) -> Merchant:
    db.session.expire_all()
    return db.session.get(Merchant, merchant.id)


def standing_now(merchant) -> str:
    merchant = fresh(merchant)
    return services.effective_standing(merchant, latest_signature(merchant))


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
    services.dismiss_flag(first, world.staff, "已核实，投诉均已和解。")
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
    rule = services.update_rule("burst_same_phone", world.admin, True, 2, 7)
    db.session.commit()
    assert (rule.threshold, rule.window_days) == (2, 7)
    assert "flag_rule.updated" in audit_actions(rule)
    file(world.shop)
    file(world.shop)
    assert len(flags(world.shop, "burst_same_phone")) == 1

    services.update_rule("counterfeit_accepted", world.admin, False, 1, 365)
    db.session.commit()
    accept(file(world.other_shop, clause_kind="counterfeit"), world.staff)
    assert flags(world.other_shop) == []
    assert count(FlagRule) == 2


@pytest.mark.parametrize(("threshold", "window", "field"), [(0, 7, "threshold"), (3, 0, "window_days"),
                                                            (1001, 7, "threshold"), (3, 3651, "window_days"),
                                                            (None, 7, "threshold")])
def test_rule_settings_are_checked(world, threshold, window, field):
    with pytest.raises(DomainError) as refused:
        services.update_rule("burst_same_phone", world.admin, True, threshold, window)
    assert refused.value.field == field
    db.session.rollback()
    assert count(FlagRule) == 0


def test_only_administrators_tune_rules(world):
    with pytest.raises(NotPermitted):
        services.update_rule("burst_same_phone", world.staff, True, 5, 7)
    assert count(FlagRule) == 0


def test_seeding_stores_the_defaults_once(world):
    assert services.seed_rules() == 3
    assert services.seed_rules() == 0
    db.session.commit()
    stored = {r.code: (r.enabled, r.threshold, r.window_days) for r in db.session.scalars(select(FlagRule))}
    assert stored == {"accepted_in_window": (True, 3, 90), "counterfeit_accepted": (True, 1, 365),
                      "burst_same_phone": (True, 3, 7)}


# --- Reports and staff flags ------------------------------------------------------------------------

def test_a_misused_badge_report_creates_a_flag_and_later_reports_join_it(world):
    flag = services.report_misused_badge(world.shop, "  在 文三路 12 号的水果店 门口  ", "BX-0042")
    db.session.commit()
    assert (flag.kind, flag.status, flag.merchant_id) == (FLAG_MISUSED_BADGE, FLAG_OPEN, world.shop.id)
    assert flag.source["reports"][0]["note"] == "在 文三路 12 号的水果店 门口"
    assert flag.source["reports"][0]["serial"] == "BX-0042"
    services.report_misused_badge(world.shop, "", "<script>")
    db.session.commit()
    [only] = flags(world.shop)
    assert only.source["count"] == 2
    assert only.source["reports"][1] == {"at": only.source["reports"][1]["at"], "note": None, "serial": None}


def test_a_report_note_is_limited(world):
    with pytest.raises(DomainError) as refused:
        services.report_misused_badge(world.shop, "长" * 201, None)
    assert refused.value.field == "note"
    db.session.rollback()
    assert flags(world.shop) == []


def test_staff_flag_and_dismissal(world):
    with pytest.raises(DomainError) as refused:
        services.raise_staff_flag(world.shop, world.staff, "  ")
    assert refused.value.field == "reason"
    flag = services.raise_staff_flag(world.shop, world.staff, "多名居民反映夜间噪音和缺斤少两。")
    db.session.commit()
    assert (flag.kind, flag.raised_by_id) == (FLAG_STAFF, world.staff.id)

    with pytest.raises(DomainError) as refused:
        services.dismiss_flag(flag, world.staff2, "")
    assert refused.value.field == "note"
    services.dismiss_flag(flag, world.staff2, "已上门核实，未发现问题。")
    db.session.commit()
    assert (flag.status, flag.resolved_by_id, flag.resolution_note) == (FLAG_DISMISSED, world.staff2.id,
                                                                        "已上门核实，未发现问题。")
    assert audit_actions(flag) == ["flag.raised", "flag.dismissed"]
    with pytest.raises(Conflict):
        services.dismiss_flag(flag, world.staff, "再次排除")


# --- Warnings and suspensions -----------------------------------------------------------------------

def test_a_warning_changes_the_standing_at_once_and_tells_the_shop(world, frozen):
    flag = services.raise_staff_flag(world.shop, world.staff, "投诉较多")
    db.session.commit()
    sanction = services.issue_warning(world.shop, world.staff, reason(), flag)
    db.session.commit()
    shop = fresh(world.shop)
    assert (shop.standing, shop.standing_reason, shop.standing_changed_at) == ("warned", REASON, frozen.now)
    assert (sanction.status, sanction.kind, sanction.clause_kind) == (ACTIVE, "warning", "counterfeit")
    assert sanction.visible_until == datetime(2027, 3, 2, 2, 0, tzinfo=timezone.utc) == sanction.ends_at
    assert (flag.status, flag.sanction_id, flag.resolved_by_id) == (FLAG_ACTIONED, sanction.id, world.staff.id)
    assert audit_actions(sanction) == ["sanction.warning_issued"]
    assert audit_actions(shop)[-1] == "merchant.standing_changed"
    [sms] = messages_to(shop.contact_phone)
    assert "警示" in sms and REASON in sms and "申诉" in sms


@pytest.mark.parametrize(("data", "field"), [
    (SanctionInput("", REASON), "clause_kind"),
    (SanctionInput("counterfeit", "   "), "public_reason"),
    (SanctionInput("counterfeit", "长" * 201), "public_reason"),
    (SanctionInput("counterfeit", REASON, "注" * 2001), "internal_note"),
])
def test_sanction_input_is_checked(world, data, field):
    with pytest.raises(DomainError) as refused:
        services.issue_warning(world.shop, world.staff, data)
    assert refused.value.field == field
    db.session.rollback()
    assert count(Sanction) == 0 and fresh(world.shop).standing == "active"


def test_suspension_until_a_date_ends_by_itself(world, frozen, runner):
    until = date(2026, 3, 20)
    sanction = services.suspend(world.shop, world.staff, reason(), until, False)
    db.session.commit()
    assert fresh(world.shop).standing == "suspended"
    # Suspended through 20 March, Beijing time: ends at midnight 21 March (16:00 UTC on the 20th).
    assert sanction.ends_at == datetime(2026, 3, 20, 16, 0, tzinfo=timezone.utc)
    assert sanction.last_day == until and not sanction.until_rectified
    assert sanction.visible_until == datetime(2029, 3, 20, 16, 0, tzinfo=timezone.utc)

    frozen.set(datetime(2026, 3, 20, 15, 59, tzinfo=timezone.utc))  # 23:59 on the last day
    assert standing_now(world.shop) == "suspended"
    frozen.set(datetime(2026, 3, 20, 16, 0, tzinfo=timezone.utc))
    # Not shown as suspended any more, although the daily job has not run yet.
    assert fresh(world.shop).standing == "suspended"
    assert standing_now(world.shop) == "active"

    result = runner.invoke(args=["moderation", "expire"])
    assert result.exit_code == 0, result.output
    assert "Ended 1 sanction(s) at 1 shop(s)." in result.output
    shop = fresh(world.shop)
    assert (shop.standing, shop.standing_reason) == ("active", None)
    sanction = db.session.get(Sanction, sanction.id)
    assert (sanction.status, sanction.end_reason, sanction.ended_at) == (ENDED, "expired", sanction.ends_at)
    assert audit_actions(sanction)[-1] == "sanction.ended"
    assert audit_actions(shop)[-1] == "merchant.standing_changed"
    assert "已恢复" in messages_to(shop.contact_phone)[-1]
    assert runner.invoke(args=["moderation", "expire"]).output.startswith("Ended 0 sanction(s)")


def test_a_suspension_ending_after_the_signature_expired_leaves_the_shop_lapsed(world, frozen):
    signature = latest_signature(world.shop)
    services.suspend(world.shop, world.staff, reason(), china_date(signature.expires_at) + timedelta(days=3), False)
    db.session.commit()
    frozen.set(signature.expires_at + timedelta(days=10))
    assert standing_now(world.shop) == "lapsed"
    report = services.expire_sanctions()
    db.session.commit()
    assert report.sanctions_ended == 1 and fresh(world.shop).standing == "lapsed"


def china_date(moment):
    from registry.clock import china_date as convert

    return convert(moment)


def test_a_warned_shop_goes_back_to_warned_after_its_suspension(world, frozen):
    services.issue_warning(world.shop, world.staff, reason(text="第一次：价签不符。"))
    services.suspend(world.shop, world.staff, reason(text="第二次：拒不整改。"), date(2026, 3, 10), False)
    db.session.commit()
    assert fresh(world.shop).standing == "suspended"
    frozen.set(datetime(2026, 3, 11, 2, 0, tzinfo=timezone.utc))
    assert standing_now(world.shop) == "warned"
    services.expire_sanctions()
    db.session.commit()
    shop = fresh(world.shop)
    assert (shop.standing, shop.standing_reason) == ("warned", "第一次：价签不符。")


def test_a_warning_ends_after_twelve_months(world, frozen):
    services.issue_warning(world.shop, world.staff, reason())
    db.session.commit()
    sign_again(world, frozen, datetime(2027, 2, 20, 2, 0, tzinfo=timezone.utc))  # keep the pledge valid
    frozen.set(datetime(2027, 3, 2, 2, 0, tzinfo=timezone.utc))
    assert standing_now(world.shop) == "active"
    assert services.expire_sanctions().sanctions_ended == 1
    db.session.commit()
    assert fresh(world.shop).standing == "active"


def sign_again(world, frozen, when):
    """The owner renews the signature at `when` (inside the renewal window)."""
    from registry.pledges.services import current_version

    frozen.set(when)
    version = current_version()
    sign_pledge(fresh(world.shop), version, world.owner, "王美好", "店主", "127.0.0.1",
                {c.number for c in version.clauses})
    db.session.commit()


@pytest.mark.parametrize(("until", "rectified", "field"), [
    (None, False, "until"), (date(2026, 3, 2), False, "until"), (date(2026, 3, 1), False, "until"),
    (date(2029, 3, 3), False, "until"),
])
def test_a_suspension_needs_a_future_date_or_rectification(world, until, rectified, field):
    with pytest.raises(DomainError) as refused:
        services.suspend(world.shop, world.staff, reason(), until, rectified)
    assert refused.value.field == field
    db.session.rollback()
    assert count(Sanction) == 0 and fresh(world.shop).standing == "active"


def test_one_suspension_at_a_time_and_suspended_shops_cannot_sign(world, frozen, pledge):
    services.suspend(world.shop, world.staff, reason(), None, True)
    db.session.commit()
    with pytest.raises(Conflict):
        services.suspend(world.shop, world.staff2, reason(), date(2026, 4, 1), False)
    db.session.rollback()
    with pytest.raises(InvalidTransition):
        services.issue_warning(world.shop, world.staff, reason())
    db.session.rollback()
    assert count(Sanction) == 1
    frozen.advance(days=400)  # until rectified: the job never ends it
    assert services.expire_sanctions().sanctions_ended == 0
    shop = fresh(world.shop)
    assert shop.standing == "suspended" and standing_now(shop) == "suspended"
    assert can_sign(shop, pledge) is False


def test_reinstatement_leaves_the_shop_lapsed_until_it_signs_again(world, frozen, pledge):
    suspension = services.suspend(world.shop, world.staff, reason(), None, True)
    db.session.commit()
    frozen.advance(days=5)
    record = services.reinstate(world.shop, world.staff2, "已完成整改，经复查合格。", "复查人：李干事")
    db.session.commit()
    shop = fresh(world.shop)
    assert (shop.standing, shop.standing_reason) == ("lapsed", "已完成整改，经复查合格。")
    suspension = db.session.get(Sanction, suspension.id)
    assert (suspension.status, suspension.end_reason, suspension.ended_at) == (ENDED, "reinstated", frozen.now)
    assert suspension.visible_until == add_months(frozen.now, 36)
    assert (record.kind, record.status, record.clause_kind) == (REINSTATEMENT, ACTIVE, None)
    assert audit_actions(record) == ["sanction.reinstated"]
    assert "重新签署" in messages_to(shop.contact_phone)[-1]
    with pytest.raises(InvalidTransition):
        services.reinstate(shop, world.staff, "再次恢复")


def test_a_reinstated_shop_becomes_active_when_it_signs_again(world, frozen, pledge):
    services.suspend(world.shop, world.staff, reason(), None, True)
    services.reinstate(world.shop, world.staff2, "已完成整改，经复查合格。")
    db.session.commit()
    shop = fresh(world.shop)
    assert can_sign(shop, pledge)
    sign_pledge(shop, pledge, world.owner, "王美好", "店主", "127.0.0.1", {c.number for c in pledge.clauses})
    db.session.commit()
    assert fresh(world.shop).standing == "active"


def test_a_lapsed_shop_signs_and_becomes_active(world, frozen, pledge):
    """sign_pledge turns lapsed into active (here the signature itself ran out)."""
    signature = latest_signature(world.shop)
    frozen.set(signature.expires_at + timedelta(days=1))
    shop = fresh(world.shop)
    shop.standing = "lapsed"
    db.session.commit()
    sign_pledge(shop, pledge, world.owner, "王美好", "店主", "127.0.0.1", {c.number for c in pledge.clauses})
    db.session.commit()
    assert fresh(world.shop).standing == "active"


# --- Revocation: the two-person rule ----------------------------------------------------------------

def test_nobody_approves_their_own_revocation(world):
    flag = services.raise_staff_flag(world.shop, world.staff, "售假")
    proposal = services.propose_revocation(world.shop, world.staff, reason(), flag)
    db.session.commit()
    assert (proposal.status, fresh(world.shop).standing) == (PROPOSED, "active")
    assert flag.status == FLAG_ACTIONED and flag.sanction_id == proposal.id
    assert messages_to(world.shop.contact_phone) == []  # nothing in force yet

    with pytest.raises(NotPermitted):
        services.approve_revocation(proposal, world.staff)
    db.session.rollback()
    assert db.session.get(Sanction, proposal.id).status == PROPOSED and fresh(world.shop).standing == "active"

    with pytest.raises(NotPermitted):  # another district's officer cannot either
        services.approve_revocation(db.session.get(Sanction, proposal.id), world.staff_elsewhere)
    db.session.rollback()

    services.approve_revocation(db.session.get(Sanction, proposal.id), world.staff2)
    db.session.commit()
    proposal = db.session.get(Sanction, proposal.id)
    assert (proposal.status, proposal.approved_by_id, proposal.issued_by_id) == (ACTIVE, world.staff2.id,
                                                                                 world.staff.id)
    shop = fresh(world.shop)
    assert (shop.standing, shop.standing_reason) == ("revoked", REASON)
    assert audit_actions(proposal) == ["sanction.revocation_proposed", "sanction.revocation_approved"]
    assert "撤销" in messages_to(shop.contact_phone)[-1]
    with pytest.raises(Conflict):
        services.approve_revocation(proposal, world.admin)


def test_one_proposal_at_a_time_and_rejection_leaves_the_shop_alone(world):
    proposal = services.propose_revocation(world.shop, world.staff, reason())
    db.session.commit()
    with pytest.raises(Conflict):
        services.propose_revocation(world.shop, world.staff2, reason())
    db.session.rollback()
    with pytest.raises(DomainError) as refused:
        services.reject_revocation(proposal, world.staff2, "")
    assert refused.value.field == "note"
    services.reject_revocation(proposal, world.staff2, "证据不足，先发警示。")
    db.session.commit()
    assert (proposal.status, proposal.rejected_by_id, proposal.rejection_note) == (REJECTED, world.staff2.id,
                                                                                  "证据不足，先发警示。")
    assert fresh(world.shop).standing == "active"
    with pytest.raises(Conflict):
        services.approve_revocation(proposal, world.staff2)


def test_a_revoked_shop_cannot_sign_and_is_reinstated_as_lapsed(world, pledge):
    proposal = services.propose_revocation(world.shop, world.staff, reason())
    services.approve_revocation(proposal, world.staff2)
    db.session.commit()
    assert can_sign(fresh(world.shop), pledge) is False
    reinstatement = services.reinstate(world.shop, world.staff, "已整改，恢复。")
    services.approve_proposal(reinstatement, world.staff2)
    db.session.commit()
    assert fresh(world.shop).standing == "lapsed"
    assert db.session.get(Sanction, proposal.id).end_reason == "reinstated"


def revoked(world) -> Sanction:
    revocation = services.propose_revocation(world.shop, world.staff, reason())
    services.approve_revocation(revocation, world.staff2)
    db.session.commit()
    return revocation


def test_one_officer_cannot_reinstate_a_revoked_shop_alone(world, frozen):
    """Lifting a revocation needs the second officer, as imposing it did."""
    revocation = revoked(world)
    sent = len(messages_to(world.shop.contact_phone))
    frozen.advance(days=30)
    proposal = services.reinstate(world.shop, world.staff, "已完成整改，经复查合格。", "复查人：张科长")
    db.session.commit()
    assert (proposal.kind, proposal.status, proposal.issued_by_id) == (REINSTATEMENT, PROPOSED, world.staff.id)
    shop = fresh(world.shop)
    assert (shop.standing, standing_now(shop)) == ("revoked", "revoked")
    assert db.session.get(Sanction, revocation.id).status == ACTIVE
    assert audit_actions(proposal) == ["sanction.reinstatement_proposed"]
    assert len(messages_to(shop.contact_phone)) == sent  # nothing changed for the shop yet
    assert queries.public_standing(shop, latest_signature(shop)).marks == [db.session.get(Sanction, revocation.id)]

    with pytest.raises(Conflict):  # one proposal at a time
        services.reinstate(world.shop, world.staff2, "再次提出")
    db.session.rollback()
    with pytest.raises(NotPermitted):  # the proposer cannot approve it
        services.approve_proposal(proposal, world.staff)
    db.session.rollback()
    with pytest.raises(NotPermitted):  # nor an officer of another district
        services.approve_proposal(db.session.get(Sanction, proposal.id), world.staff_elsewhere)
    db.session.rollback()
    assert db.session.get(Sanction, proposal.id).status == PROPOSED and fresh(world.shop).standing == "revoked"

    services.approve_proposal(db.session.get(Sanction, proposal.id), world.staff2)
    db.session.commit()
    proposal = db.session.get(Sanction, proposal.id)
    assert (proposal.status, proposal.approved_by_id, proposal.approved_at) == (ACTIVE, world.staff2.id, frozen.now)
    assert proposal.visible_until == add_months(frozen.now, 36)
    shop = fresh(world.shop)
    assert (shop.standing, shop.standing_reason) == ("lapsed", "已完成整改，经复查合格。")
    revocation = db.session.get(Sanction, revocation.id)
    assert (revocation.status, revocation.end_reason, revocation.ended_at) == (ENDED, "reinstated", frozen.now)
    assert audit_actions(proposal) == ["sanction.reinstatement_proposed", "sanction.reinstatement_approved"]
    assert "重新签署" in messages_to(shop.contact_phone)[-1]
    with pytest.raises(Conflict):
        services.approve_proposal(proposal, world.admin)


def test_a_reinstatement_proposal_can_be_turned_down(world):
    revocation = revoked(world)
    proposal = services.reinstate(world.shop, world.staff, "已整改。")
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.reject_proposal(proposal, world.staff2, "")
    assert refused.value.field == "note"
    services.reject_proposal(proposal, world.staff2, "复查未通过。")
    db.session.commit()
    assert (proposal.status, proposal.rejected_by_id, proposal.rejection_note) == (REJECTED, world.staff2.id,
                                                                                  "复查未通过。")
    assert fresh(world.shop).standing == "revoked" and db.session.get(Sanction, revocation.id).status == ACTIVE
    assert audit_actions(proposal) == ["sanction.reinstatement_proposed", "sanction.reinstatement_rejected"]
    with pytest.raises(Conflict):
        services.approve_proposal(proposal, world.staff2)
    db.session.rollback()
    # A new proposal may follow the rejected one.
    assert services.reinstate(world.shop, world.staff2, "再次复查合格。").status == PROPOSED


def test_a_reinstatement_proposal_is_moot_once_the_revocation_is_lifted_on_appeal(world):
    revocation = revoked(world)
    appeal = services.submit_appeal(revocation, world.owner, "我们已经全部下架并整改完毕，请复查。", [])
    proposal = services.reinstate(world.shop, world.staff, "已整改。")
    db.session.commit()
    services.decide_appeal(appeal, world.admin, True, "证据不足，撤销处理。")
    db.session.commit()
    assert fresh(world.shop).standing != "revoked"
    with pytest.raises(InvalidTransition):
        services.approve_proposal(db.session.get(Sanction, proposal.id), world.staff2)
    db.session.rollback()
    services.reject_proposal(db.session.get(Sanction, proposal.id), world.staff2, "申诉已成立，无需恢复。")
    db.session.commit()
    assert db.session.get(Sanction, proposal.id).status == REJECTED


# --- Appeals ----------------------------------------------------------------------------------------

def photo(name="进货单.jpg"):
    import io

    return process_image(io.BytesIO(jpeg_bytes()), name)


def test_an_appeal_is_made_once_with_photos(world, evidence_dir):
    sanction = services.issue_warning(world.shop, world.staff, reason())
    db.session.commit()
    with pytest.raises(NotPermitted):
        services.submit_appeal(sanction, world.other_owner, "这不是我的店铺，但我想申诉。", [])
    with pytest.raises(DomainError) as refused:
        services.submit_appeal(sanction, world.owner, "太短", [])
    assert refused.value.field == "text"
    with pytest.raises(DomainError) as refused:
        services.submit_appeal(sanction, world.owner, "我们有正规进货票据，商品不是假货。", [photo()] * 4)
    assert refused.value.field == "photos"
    db.session.rollback()

    appeal = services.submit_appeal(sanction, world.owner, "我们有正规进货票据，商品不是假货。", [photo(), photo()])
    db.session.commit()
    assert (appeal.status, appeal.merchant_id, appeal.submitted_by_id) == ("pending", world.shop.id, world.owner.id)
    stored = list(db.session.scalars(select(AppealPhoto).where(AppealPhoto.appeal_id == appeal.id)))
    assert len(stored) == 2
    assert all((evidence_dir / "appeals" / p.stored_name).is_file() for p in stored)
    assert audit_actions(appeal) == ["appeal.submitted"]

    with pytest.raises(Conflict):
        services.submit_appeal(db.session.get(Sanction, sanction.id), world.owner, "再申诉一次，理由同上。", [])
    db.session.rollback()
    assert count(Appeal) == 1


def test_the_issuer_cannot_decide_the_appeal_another_officer_can(world, frozen):
    sanction = services.suspend(world.shop, world.staff, reason(), date(2026, 6, 1), False)
    db.session.commit()
    appeal = services.submit_appeal(sanction, world.owner, "已全部下架并退款，请求撤销暂停。", [])
    db.session.commit()
    assert not services.can_decide(appeal, world.staff) and services.can_decide(appeal, world.staff2)
    with pytest.raises(NotPermitted):
        services.decide_appeal(appeal, world.staff, True, "同意")
    with pytest.raises(NotPermitted):
        services.decide_appeal(appeal, world.staff_elsewhere, True, "同意")
    with pytest.raises(DomainError) as refused:
        services.decide_appeal(appeal, world.staff2, True, " ")
    assert refused.value.field == "note"
    db.session.rollback()
    assert db.session.get(Appeal, appeal.id).status == "pending"

    frozen.advance(days=2)
    services.decide_appeal(db.session.get(Appeal, appeal.id), world.staff2, True, "经复核，证据不足以认定售假。")
    db.session.commit()
    appeal = db.session.get(Appeal, appeal.id)
    sanction = db.session.get(Sanction, sanction.id)
    assert (appeal.status, appeal.decided_by_id) == (APPEAL_GRANTED, world.staff2.id)
    assert (sanction.status, sanction.end_reason, sanction.visible_until) == (ENDED, "appeal_granted", frozen.now)
    shop = fresh(world.shop)
    assert (shop.standing, shop.standing_reason) == ("active", None)
    assert queries.public_standing(shop, latest_signature(shop)).marks == []  # a granted appeal hides the mark
    assert audit_actions(appeal) == ["appeal.submitted", "appeal.granted"]
    assert "申诉成立" in messages_to(shop.contact_phone)[-1]
    with pytest.raises(Conflict):
        services.decide_appeal(appeal, world.admin, False, "维持")


def test_an_upheld_appeal_leaves_the_sanction_and_the_approver_cannot_decide(world):
    proposal = services.propose_revocation(world.shop, world.staff, reason())
    services.approve_revocation(proposal, world.staff2)
    db.session.commit()
    appeal = services.submit_appeal(proposal, world.owner, "我们不同意撤销，请重新调查。", [])
    db.session.commit()
    with pytest.raises(NotPermitted):
        services.decide_appeal(appeal, world.staff2, False, "维持")  # the approver
    db.session.rollback()
    services.decide_appeal(db.session.get(Appeal, appeal.id), world.admin, False, "证据确凿，维持撤销决定。")
    db.session.commit()
    assert db.session.get(Appeal, appeal.id).status == APPEAL_UPHELD
    assert db.session.get(Sanction, proposal.id).status == ACTIVE and fresh(world.shop).standing == "revoked"
    assert "维持原决定" in messages_to(world.shop.contact_phone)[-1]


def test_a_granted_revocation_appeal_restores_the_shop(world):
    proposal = services.propose_revocation(world.shop, world.staff, reason())
    services.approve_revocation(proposal, world.staff2)
    appeal = services.submit_appeal(proposal, world.owner, "撤销所依据的投诉已被消费者撤回。", [])
    services.decide_appeal(appeal, world.admin, True, "投诉已撤回，撤销决定不成立。")
    db.session.commit()
    assert fresh(world.shop).standing == "active"


def test_only_sanctions_in_force_can_be_appealed(world):
    proposal = services.propose_revocation(world.shop, world.staff, reason())
    db.session.commit()
    assert not services.can_appeal(proposal)
    with pytest.raises(InvalidTransition):
        services.submit_appeal(proposal, world.owner, "还没有生效的提议也想申诉。", [])


# --- What the public sees, and for how long ---------------------------------------------------------

def test_negative_marks_stop_being_shown_after_visible_until(world, frozen):
    warning = services.issue_warning(world.shop, world.staff, reason(text="警示：价签不符。"))
    db.session.commit()
    suspension = services.suspend(world.other_shop, world.staff, reason(text="暂停：售假。"), date(2026, 3, 9), False)
    db.session.commit()

    def marks(shop):
        shop = fresh(shop)
        return [s.id for s in queries.public_standing(shop, latest_signature(shop)).marks]

    assert marks(world.shop) == [warning.id] and marks(world.other_shop) == [suspension.id]
    frozen.set(datetime(2027, 3, 2, 1, 59, tzinfo=timezone.utc))
    assert marks(world.shop) == [warning.id]
    frozen.set(datetime(2027, 3, 2, 2, 0, tzinfo=timezone.utc))  # twelve months after the warning
    assert marks(world.shop) == []
    services.expire_sanctions()
    db.session.commit()
    frozen.set(datetime(2029, 3, 9, 15, 59, tzinfo=timezone.utc))  # 36 months after the suspension ended
    assert marks(world.other_shop) == [suspension.id]
    frozen.set(datetime(2029, 3, 9, 16, 0, tzinfo=timezone.utc))
    assert marks(world.other_shop) == []


def test_proposals_and_rejections_are_never_public(world):
    proposal = services.propose_revocation(world.shop, world.staff, reason())
    db.session.commit()
    shop = fresh(world.shop)
    public = queries.public_standing(shop, latest_signature(shop))
    assert (public.standing, public.sanction, public.marks) == ("active", None, [])


def test_the_public_standing_names_the_sanction_behind_it(world):
    sanction = services.suspend(world.shop, world.staff, reason(), None, True)
    db.session.commit()
    shop = fresh(world.shop)
    public = queries.public_standing(shop, latest_signature(shop))
    assert (public.standing, public.sanction.id, [m.id for m in public.marks]) == ("suspended", sanction.id,
                                                                                   [sanction.id])


def test_effective_standings_for_a_list(world, frozen):
    services.suspend(world.shop, world.staff, reason(), date(2026, 3, 3), False)
    db.session.commit()
    shops = [fresh(world.shop), fresh(world.other_shop)]
    signatures = {s.id: latest_signature(s) for s in shops}
    assert services.effective_standings(shops, signatures) == {world.shop.id: "suspended",
                                                               world.other_shop.id: "active"}
    frozen.advance(days=2)
    assert services.effective_standings(shops, signatures)[world.shop.id] == "active"


# --- District scope and the dashboard ---------------------------------------------------------------

def test_staff_of_another_district_cannot_act(world):
    for action in (lambda: services.issue_warning(world.shop, world.staff_elsewhere, reason()),
                   lambda: services.suspend(world.shop, world.staff_elsewhere, reason(), None, True),
                   lambda: services.propose_revocation(world.shop, world.staff_elsewhere, reason()),
                   lambda: services.raise_staff_flag(world.shop, world.staff_elsewhere, "看看")):
        with pytest.raises(NotPermitted):
            action()
        db.session.rollback()
    flag = services.report_misused_badge(world.shop, "", None)
    db.session.commit()
    with pytest.raises(NotPermitted):
        services.dismiss_flag(flag, world.staff_elsewhere, "不是我区的")
    db.session.rollback()
    assert count(Sanction) == 0 and flags(world.shop, status=FLAG_OPEN) == [flag]


def test_the_dashboard_counts_only_the_officers_district(world, make_shop, frozen):
    elsewhere = make_shop(name="江边小店", district="滨江区")
    services.report_misused_badge(world.shop, "", None)
    services.report_misused_badge(elsewhere, "", None)
    services.propose_revocation(elsewhere, world.staff_elsewhere, reason())
    db.session.commit()
    late = file(world.shop)
    file(elsewhere)
    # Make one complaint overdue: its decision clock ended yesterday.
    late.due_date = date(2026, 3, 1)
    db.session.commit()

    mine = queries.dashboard(world.staff)
    theirs = queries.dashboard(world.staff_elsewhere)
    everything = queries.dashboard(world.admin)
    assert [f.merchant_id for f in mine.open_flags] == [world.shop.id] and mine.open_flag_count == 1
    assert mine.proposals == [] and len(theirs.proposals) == 1 and len(everything.proposals) == 1
    assert (mine.clocks[0].total, mine.clocks[0].overdue) == (1, 1)
    assert (theirs.clocks[0].total, theirs.clocks[0].overdue) == (1, 0)
    assert everything.clocks[0].total == 2 and everything.open_flag_count == 2
    assert [c.id for c in mine.urgent] == [late.id]
    assert (mine.month.received, everything.month.received) == (1, 2)
    assert [f.merchant_id for f in queries.flags_page(world.staff, "open", 1).items] == [world.shop.id]


def test_month_figures_count_this_china_month(world, frozen):
    from registry.complaints.handling import record_mediation, schedule_mediation

    earlier = file(world.shop, phone="13900000031")
    accept(earlier, world.staff)
    frozen.set(datetime(2026, 3, 31, 17, 0, tzinfo=timezone.utc))  # 1 April, 01:00 in Beijing
    complaint = accept(file(world.shop, phone="13900000032"), world.staff)
    schedule_mediation(complaint, world.staff, complaint.version, frozen.now + timedelta(days=2), "调解室", "")
    record_mediation(complaint, world.staff, complaint.version, True, 12345, "退款 123.45 元。")
    refuse(file(world.shop, phone="13900000033"), world.staff)
    db.session.commit()
    month = queries.dashboard(world.staff).month
    assert (month.received, month.accepted, month.closed, month.recovered_cents) == (2, 1, 1, 12345)
    assert queries.dashboard(world.staff).month_start == date(2026, 4, 1)


def test_shops_whose_pledge_lapses_within_30_days(world, frozen, make_shop):
    signature = latest_signature(world.shop)
    frozen.set(signature.expires_at - timedelta(days=31))
    rows, total = queries.lapsing_shops(world.staff, frozen.now)
    assert (rows, total) == ([], 0)
    frozen.set(signature.expires_at - timedelta(days=29))
    rows, total = queries.lapsing_shops(world.staff, frozen.now)
    assert {m.id for m, _ in rows} == {world.shop.id, world.other_shop.id} and total == 2
    assert queries.lapsing_shops(world.staff_elsewhere, frozen.now) == ([], 0)
    services.suspend(world.shop, world.staff, reason(), None, True)  # a suspended shop is not "lapsing"
    db.session.commit()
    rows, total = queries.lapsing_shops(world.staff, frozen.now)
    assert [m.id for m, _ in rows] == [world.other_shop.id] and total == 1


def test_a_rule_flag_raised_by_a_concurrent_request_is_absorbed(world, monkeypatch):
    """Two acceptances at once both pass the "already open?" check; the partial unique index lets
    one flag in, and the other request still saves its complaint."""
    complaints = [file(world.shop, phone=f"1386745232{i}") for i in range(4)]
    for complaint in complaints[:3]:
        accept(complaint, world.staff)
    assert len(flags(world.shop, "accepted_in_window")) == 1
    monkeypatch.setattr(services, "_open_rule_flag", lambda *_args: None)  # the check saw nothing
    accept(complaints[3], world.staff)
    db.session.expire_all()
    assert len(flags(world.shop, "accepted_in_window")) == 1
    assert db.session.get(type(complaints[3]), complaints[3].id).status == "accepted"


def test_when_one_of_two_warnings_is_lifted_the_other_explains_the_standing(world):
    first = services.issue_warning(world.shop, world.staff, reason(text="第一次：价签不符。"))
    services.issue_warning(world.shop, world.staff, reason(text="第二次：缺斤少两。"))
    db.session.commit()
    assert fresh(world.shop).standing_reason == "第二次：缺斤少两。"
    second = db.session.scalar(select(Sanction).where(Sanction.public_reason == "第二次：缺斤少两。"))
    appeal = services.submit_appeal(second, world.owner, "第二次警示所说的情况经复秤不属实。", [])
    services.decide_appeal(appeal, world.staff2, True, "复秤无误，撤销第二次警示。")
    db.session.commit()
    shop = fresh(world.shop)
    assert (shop.standing, shop.standing_reason) == ("warned", "第一次：价签不符。")
    assert db.session.get(Sanction, first.id).status == ACTIVE
