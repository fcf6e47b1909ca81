"""Sanctions without HTTP: warnings and suspensions that end by themselves under a frozen clock, the
two-person rule for revocations and their reinstatement, the standing each leaves. Every test reads
back the database."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from registry.clock import add_months, utcnow
from registry.errors import Conflict, DomainError, InvalidTransition, NotPermitted
from registry.extensions import db
from registry.merchants.models import StandingChange
from registry.moderation import appeals, sanctions
from registry.moderation import flags as flagging
from registry.moderation.standings import shop_standing
from registry.moderation.models import ACTIVE, ENDED, FLAG_ACTIONED, PROPOSED, REINSTATEMENT, REJECTED, Sanction
from registry.moderation.sanctions import SanctionInput
from registry.pledges.signing import can_sign, latest_signature, sign_pledge

from .helpers import REASON, audit_actions, count, fresh, messages_to, reason, standing_now

pytestmark = pytest.mark.usefixtures("fresh_request_globals")


# --- Warnings and suspensions -----------------------------------------------------------------------

def test_a_warning_changes_the_standing_at_once_and_tells_the_shop(world, frozen):
    flag = flagging.raise_staff_flag(world.shop, world.staff, "投诉较多")
    db.session.commit()
    sanction = sanctions.issue_warning(world.shop, world.staff, reason(), flag)
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
        sanctions.issue_warning(world.shop, world.staff, data)
    assert refused.value.field == field
    db.session.rollback()
    assert count(Sanction) == 0 and fresh(world.shop).standing == "active"


def test_suspension_until_a_date_ends_by_itself(world, frozen, runner):
    until = date(2026, 3, 20)
    sanction = sanctions.suspend(world.shop, world.staff, reason(), until, False)
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
    sanctions.suspend(world.shop, world.staff, reason(), china_date(signature.expires_at) + timedelta(days=3), False)
    db.session.commit()
    frozen.set(signature.expires_at + timedelta(days=10))
    assert standing_now(world.shop) == "lapsed"
    report = sanctions.expire_sanctions()
    db.session.commit()
    assert report.sanctions_ended == 1 and fresh(world.shop).standing == "lapsed"


def china_date(moment):
    from registry.clock import china_date as convert

    return convert(moment)


def test_a_warned_shop_goes_back_to_warned_after_its_suspension(world, frozen):
    sanctions.issue_warning(world.shop, world.staff, reason(text="第一次：价签不符。"))
    sanctions.suspend(world.shop, world.staff, reason(text="第二次：拒不整改。"), date(2026, 3, 10), False)
    db.session.commit()
    assert fresh(world.shop).standing == "suspended"
    frozen.set(datetime(2026, 3, 11, 2, 0, tzinfo=timezone.utc))
    assert standing_now(world.shop) == "warned"
    sanctions.expire_sanctions()
    db.session.commit()
    shop = fresh(world.shop)
    assert (shop.standing, shop.standing_reason) == ("warned", "第一次：价签不符。")


def test_a_warning_ends_after_twelve_months(world, frozen):
    sanctions.issue_warning(world.shop, world.staff, reason())
    db.session.commit()
    sign_again(world, frozen, datetime(2027, 2, 20, 2, 0, tzinfo=timezone.utc))  # keep the pledge valid
    frozen.set(datetime(2027, 3, 2, 2, 0, tzinfo=timezone.utc))
    assert standing_now(world.shop) == "active"
    assert sanctions.expire_sanctions().sanctions_ended == 1
    db.session.commit()
    assert fresh(world.shop).standing == "active"


def sign_again(world, frozen, when):
    """The owner renews the signature at `when` (inside the renewal window)."""
    from registry.pledges.versions import current_version

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
        sanctions.suspend(world.shop, world.staff, reason(), until, rectified)
    assert refused.value.field == field
    db.session.rollback()
    assert count(Sanction) == 0 and fresh(world.shop).standing == "active"


def test_one_suspension_at_a_time_and_suspended_shops_cannot_sign(world, frozen, pledge):
    sanctions.suspend(world.shop, world.staff, reason(), None, True)
    db.session.commit()
    with pytest.raises(Conflict):
        sanctions.suspend(world.shop, world.staff2, reason(), date(2026, 4, 1), False)
    db.session.rollback()
    with pytest.raises(InvalidTransition):
        sanctions.issue_warning(world.shop, world.staff, reason())
    db.session.rollback()
    assert count(Sanction) == 1
    frozen.advance(days=400)  # until rectified: the job never ends it
    assert sanctions.expire_sanctions().sanctions_ended == 0
    shop = fresh(world.shop)
    assert shop.standing == "suspended" and standing_now(shop) == "suspended"
    assert can_sign(shop, pledge) is False


def test_reinstatement_leaves_the_shop_lapsed_until_it_signs_again(world, frozen, pledge):
    suspension = sanctions.suspend(world.shop, world.staff, reason(), None, True)
    db.session.commit()
    frozen.advance(days=5)
    record = sanctions.reinstate(world.shop, world.staff2, "已完成整改，经复查合格。", "复查人：李干事")
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
        sanctions.reinstate(shop, world.staff, "再次恢复")


def test_a_reinstated_shop_becomes_active_when_it_signs_again(world, frozen, pledge):
    sanctions.suspend(world.shop, world.staff, reason(), None, True)
    sanctions.reinstate(world.shop, world.staff2, "已完成整改，经复查合格。")
    db.session.commit()
    shop = fresh(world.shop)
    assert can_sign(shop, pledge)
    sign_pledge(shop, pledge, world.owner, "王美好", "店主", "127.0.0.1", {c.number for c in pledge.clauses})
    db.session.commit()
    assert fresh(world.shop).standing == "active"
    # Each change of the stored standing is kept as data, with its cause and who made it.
    changes = db.session.scalars(select(StandingChange).where(StandingChange.merchant_id == world.shop.id)
                                 .order_by(StandingChange.id)).all()
    assert [(c.old, c.new, c.cause, c.actor_id) for c in changes][-3:] == [
        ("active", "suspended", "sanction", world.staff.id), ("suspended", "lapsed", "reinstated", world.staff2.id),
        ("lapsed", "active", "signed", world.owner.id)]


def test_a_suspension_that_ends_is_recorded_as_ended_by_the_job(world, frozen):
    sanctions.suspend(world.shop, world.staff, reason(), date(2026, 3, 3), False)
    db.session.commit()
    frozen.advance(days=5)
    sanctions.expire_sanctions()
    db.session.commit()
    change = db.session.scalars(select(StandingChange).where(StandingChange.merchant_id == world.shop.id)
                                .order_by(StandingChange.id.desc())).first()
    assert (change.old, change.new, change.cause, change.actor_id, change.at) == ("suspended", "active",
                                                                                  "sanction_ended", None, frozen.now)


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
    flag = flagging.raise_staff_flag(world.shop, world.staff, "售假")
    proposal = sanctions.propose_revocation(world.shop, world.staff, reason(), flag)
    db.session.commit()
    assert (proposal.status, fresh(world.shop).standing) == (PROPOSED, "active")
    assert flag.status == FLAG_ACTIONED and flag.sanction_id == proposal.id
    assert messages_to(world.shop.contact_phone) == []  # nothing in force yet

    with pytest.raises(NotPermitted):
        sanctions.approve_revocation(proposal, world.staff)
    db.session.rollback()
    assert db.session.get(Sanction, proposal.id).status == PROPOSED and fresh(world.shop).standing == "active"

    with pytest.raises(NotPermitted):  # another district's officer cannot either
        sanctions.approve_revocation(db.session.get(Sanction, proposal.id), world.staff_elsewhere)
    db.session.rollback()

    sanctions.approve_revocation(db.session.get(Sanction, proposal.id), world.staff2)
    db.session.commit()
    proposal = db.session.get(Sanction, proposal.id)
    assert (proposal.status, proposal.approved_by_id, proposal.issued_by_id) == (ACTIVE, world.staff2.id,
                                                                                 world.staff.id)
    shop = fresh(world.shop)
    assert (shop.standing, shop.standing_reason) == ("revoked", REASON)
    assert audit_actions(proposal) == ["sanction.revocation_proposed", "sanction.revocation_approved"]
    assert "撤销" in messages_to(shop.contact_phone)[-1]
    with pytest.raises(Conflict):
        sanctions.approve_revocation(proposal, world.admin)


def test_one_proposal_at_a_time_and_rejection_leaves_the_shop_alone(world):
    proposal = sanctions.propose_revocation(world.shop, world.staff, reason())
    db.session.commit()
    with pytest.raises(Conflict):
        sanctions.propose_revocation(world.shop, world.staff2, reason())
    db.session.rollback()
    with pytest.raises(DomainError) as refused:
        sanctions.reject_revocation(proposal, world.staff2, "")
    assert refused.value.field == "note"
    sanctions.reject_revocation(proposal, world.staff2, "证据不足，先发警示。")
    db.session.commit()
    assert (proposal.status, proposal.rejected_by_id, proposal.rejection_note) == (REJECTED, world.staff2.id,
                                                                                  "证据不足，先发警示。")
    assert fresh(world.shop).standing == "active"
    with pytest.raises(Conflict):
        sanctions.approve_revocation(proposal, world.staff2)


def test_a_revoked_shop_cannot_sign_and_is_reinstated_as_lapsed(world, pledge):
    proposal = sanctions.propose_revocation(world.shop, world.staff, reason())
    sanctions.approve_revocation(proposal, world.staff2)
    db.session.commit()
    assert can_sign(fresh(world.shop), pledge) is False
    reinstatement = sanctions.reinstate(world.shop, world.staff, "已整改，恢复。")
    sanctions.approve_proposal(reinstatement, world.staff2)
    db.session.commit()
    assert fresh(world.shop).standing == "lapsed"
    assert db.session.get(Sanction, proposal.id).end_reason == "reinstated"


def revoked(world) -> Sanction:
    revocation = sanctions.propose_revocation(world.shop, world.staff, reason())
    sanctions.approve_revocation(revocation, world.staff2)
    db.session.commit()
    return revocation


def test_one_officer_cannot_reinstate_a_revoked_shop_alone(world, frozen):
    """Lifting a revocation needs the second officer, as imposing it did."""
    revocation = revoked(world)
    sent = len(messages_to(world.shop.contact_phone))
    frozen.advance(days=30)
    proposal = sanctions.reinstate(world.shop, world.staff, "已完成整改，经复查合格。", "复查人：张科长")
    db.session.commit()
    assert (proposal.kind, proposal.status, proposal.issued_by_id) == (REINSTATEMENT, PROPOSED, world.staff.id)
    shop = fresh(world.shop)
    assert (shop.standing, standing_now(shop)) == ("revoked", "revoked")
    assert db.session.get(Sanction, revocation.id).status == ACTIVE
    assert audit_actions(proposal) == ["sanction.reinstatement_proposed"]
    assert len(messages_to(shop.contact_phone)) == sent  # nothing changed for the shop yet
    assert shop_standing(shop, utcnow()).marks == [db.session.get(Sanction, revocation.id)]

    with pytest.raises(Conflict):  # one proposal at a time
        sanctions.reinstate(world.shop, world.staff2, "再次提出")
    db.session.rollback()
    with pytest.raises(NotPermitted):  # the proposer cannot approve it
        sanctions.approve_proposal(proposal, world.staff)
    db.session.rollback()
    with pytest.raises(NotPermitted):  # nor an officer of another district
        sanctions.approve_proposal(db.session.get(Sanction, proposal.id), world.staff_elsewhere)
    db.session.rollback()
    assert db.session.get(Sanction, proposal.id).status == PROPOSED and fresh(world.shop).standing == "revoked"

    sanctions.approve_proposal(db.session.get(Sanction, proposal.id), world.staff2)
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
        sanctions.approve_proposal(proposal, world.admin)


def test_a_reinstatement_proposal_can_be_turned_down(world):
    revocation = revoked(world)
    proposal = sanctions.reinstate(world.shop, world.staff, "已整改。")
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        sanctions.reject_proposal(proposal, world.staff2, "")
    assert refused.value.field == "note"
    sanctions.reject_proposal(proposal, world.staff2, "复查未通过。")
    db.session.commit()
    assert (proposal.status, proposal.rejected_by_id, proposal.rejection_note) == (REJECTED, world.staff2.id,
                                                                                  "复查未通过。")
    assert fresh(world.shop).standing == "revoked" and db.session.get(Sanction, revocation.id).status == ACTIVE
    assert audit_actions(proposal) == ["sanction.reinstatement_proposed", "sanction.reinstatement_rejected"]
    with pytest.raises(Conflict):
        sanctions.approve_proposal(proposal, world.staff2)
    db.session.rollback()
    # A new proposal may follow the rejected one.
    assert sanctions.reinstate(world.shop, world.staff2, "再次复查合格。").status == PROPOSED


def test_a_reinstatement_proposal_is_moot_once_the_revocation_is_lifted_on_appeal(world):
    revocation = revoked(world)
    appeal = appeals.submit_appeal(revocation, world.owner, "我们已经全部下架并整改完毕，请复查。", [])
    proposal = sanctions.reinstate(world.shop, world.staff, "已整改。")
    db.session.commit()
    appeals.decide_appeal(appeal, world.admin, True, "证据不足，撤销处理。")
    db.session.commit()
    assert fresh(world.shop).standing != "revoked"
    with pytest.raises(InvalidTransition):
        sanctions.approve_proposal(db.session.get(Sanction, proposal.id), world.staff2)
    db.session.rollback()
    sanctions.reject_proposal(db.session.get(Sanction, proposal.id), world.staff2, "申诉已成立，无需恢复。")
    db.session.commit()
    assert db.session.get(Sanction, proposal.id).status == REJECTED
