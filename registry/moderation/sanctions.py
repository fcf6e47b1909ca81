"""Sanctions: warnings, suspensions, revocations (two officers) and reinstatements (信用修复), the
daily job that ends them, and the stored standing each one leaves behind.

Every sanction in force is told to the shop by SMS (and shown on its page in the owner area).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from registry.audit import services as audit
from registry.auth.models import User
from registry.clock import add_months, china_date, end_of_china_day, utcnow
from registry.complaints.models import CLAUSE_KINDS
from registry.errors import Conflict, DomainError, InvalidTransition, NotPermitted
from registry.extensions import db
from registry.merchants.labels import STANDING_LABELS
from registry.merchants.models import (CAUSE_REINSTATED, CAUSE_SANCTION, CAUSE_SANCTION_ENDED, Merchant, Standing)
from registry.merchants.services import lock_shop, set_standing
from registry.moderation.checks import MAX_NOTE, MAX_PUBLIC_REASON, clean_text, require_scope
from registry.moderation.flags import action_flag
from registry.moderation.models import (ACTIVE, END_APPEAL_GRANTED, END_EXPIRED, END_REINSTATED, ENDED,
                                        NEGATIVE_KINDS, PROPOSED, REINSTATEMENT, REJECTED, REVOCATION, SUSPENSION,
                                        WARNING, Flag, Sanction)
from registry.moderation.notices import tell_shop
from registry.moderation.standings import standing_once_lifted
from registry.personal_data import refuse_personal_data

# How long a negative mark stays on the public page. A warning (and the 警示 standing it gives) lasts
# 12 months from issue and is then no longer shown; a suspension or revocation stays listed for
# 36 months after it ends, so consumers can see a shop's recent history but an old mistake does not
# follow a shop for ever (信用修复). A mark lifted on appeal is hidden at once.
WARNING_SHOWN_MONTHS = 12
MARK_SHOWN_AFTER_END_MONTHS = 36
# A fixed suspension ends within this many days; longer ones are "until rectified" or a revocation.
MAX_SUSPENSION_DAYS = 3 * 365


def _due(sanctions: list[Sanction], now: datetime) -> set[int]:
    return {s.id for s in sanctions if s.status == ACTIVE and s.ends_at is not None and s.ends_at <= now}


def sanctions_in_effect(merchant_ids: list[int]) -> dict[int, list[Sanction]]:
    """Each shop's negative sanctions with status active (some may have run out), in one query."""
    grouped: dict[int, list[Sanction]] = {i: [] for i in merchant_ids}
    if merchant_ids:
        for sanction in db.session.scalars(
            select(Sanction).where(Sanction.merchant_id.in_(merchant_ids), Sanction.status == ACTIVE,
                                   Sanction.kind.in_(NEGATIVE_KINDS)).order_by(Sanction.issued_at, Sanction.id)
        ):
            grouped[sanction.merchant_id].append(sanction)
    return grouped


def settle_standing(merchant: Merchant, sanctions: list[Sanction], lifted: set[int], actor: User | None, cause: str,
                    why: str, now: datetime, notify: bool = True) -> None:
    """After the sanctions in `lifted` stop (`sanctions`: the shop's sanctions in effect before that),
    write down the standing that follows (merchants.standing decides it)."""
    outcome = standing_once_lifted(merchant, sanctions, lifted, now)
    if not outcome.relaxed:
        return  # what stopped was not behind the stored standing (a warning ending on a suspended shop)
    explaining = next((s for s in sanctions if outcome.sanction and s.id == outcome.sanction.id), None)
    if outcome.standing == merchant.standing:
        # Another sanction of the same kind is still in force: it explains the standing now.
        merchant.standing_reason = explaining.public_reason if explaining else merchant.standing_reason
        return
    set_standing(merchant, outcome.standing, explaining.public_reason if explaining else None, actor, cause, why, now)
    if notify:
        tell_shop(merchant, "lifted_lapsed" if outcome.standing == Standing.LAPSED.value else "lifted")


def end_sanction(sanction: Sanction, at: datetime, reason: str, actor: User | None, now: datetime) -> None:
    sanction.status = ENDED
    sanction.ended_at = at
    sanction.end_reason = reason
    if reason == END_APPEAL_GRANTED:
        sanction.visible_until = now  # a mark overturned on appeal is not shown any longer
    elif sanction.kind in (SUSPENSION, REVOCATION):
        sanction.visible_until = add_months(at, MARK_SHOWN_AFTER_END_MONTHS)
    audit.record("sanction.ended", sanction, actor, merchant_id=sanction.merchant_id, kind=sanction.kind,
                 reason=reason)


def expire_due(merchant: Merchant, now: datetime) -> int:
    """End the shop's sanctions whose time is up and write down the standing that follows."""
    sanctions = sanctions_in_effect([merchant.id])[merchant.id]
    due = _due(sanctions, now)
    if not due:
        return 0
    for sanction in sanctions:
        if sanction.id in due:
            end_sanction(sanction, sanction.ends_at, END_EXPIRED, None, now)
    db.session.flush()
    settle_standing(merchant, sanctions, due, None, CAUSE_SANCTION_ENDED, "sanction ended", now)
    return len(due)


@dataclass(frozen=True)
class ExpiryReport:
    sanctions_ended: int
    shops: int


def expire_sanctions(now: datetime | None = None) -> ExpiryReport:
    """The daily job: end suspensions and warnings whose end has passed, and restore the shops.

    A shop goes back to active when its signature is still valid, else to lapsed. Marks past their
    visible_until need no work: the public page only ever lists marks still visible.
    """
    now = now or utcnow()
    merchant_ids = list(db.session.scalars(
        select(Sanction.merchant_id).where(Sanction.status == ACTIVE, Sanction.ends_at <= now)
        .group_by(Sanction.merchant_id).order_by(Sanction.merchant_id)
    ))
    ended = 0
    for merchant_id in merchant_ids:
        merchant = db.session.get(Merchant, merchant_id)
        lock_shop(merchant)
        ended += expire_due(merchant, now)
    db.session.flush()
    return ExpiryReport(ended, len(merchant_ids))


@dataclass
class SanctionInput:
    """What the officer typed on a sanction form."""

    clause_kind: str
    public_reason: str
    internal_note: str = ""


def _clean_reason(public_reason: str | None) -> str:
    reason = " ".join((public_reason or "").split())
    if not reason:
        raise DomainError(_("请填写公开说明：消费者在公示页上会看到它。"), field="public_reason")
    if len(reason) > MAX_PUBLIC_REASON:
        raise DomainError(_("公开说明最多 %(count)d 个字。", count=MAX_PUBLIC_REASON), field="public_reason")
    refuse_personal_data(reason, "public_reason")
    return reason


def _clean_sanction(data: SanctionInput) -> SanctionInput:
    if data.clause_kind not in CLAUSE_KINDS:
        raise DomainError(_("请选择违反的承诺条款。"), field="clause_kind")
    reason = _clean_reason(data.public_reason)
    return SanctionInput(data.clause_kind, reason, clean_text(data.internal_note, "internal_note", None, MAX_NOTE))


def _begin(merchant: Merchant, staff: User, now: datetime) -> None:
    """Common start of every sanction: scope, the shop row locked, sanctions that ran out ended."""
    require_scope(merchant, staff)
    lock_shop(merchant)
    expire_due(merchant, now)
    if merchant.standing == Standing.PENDING.value:
        raise InvalidTransition(_("这家店铺尚未签署承诺，不在公示范围内，无需处理。"))


def _new_sanction(merchant: Merchant, staff: User, kind: str, data: SanctionInput, status: str,
                  now: datetime, **fields) -> Sanction:
    sanction = Sanction(merchant_id=merchant.id, kind=kind, clause_kind=data.clause_kind or None,
                        public_reason=data.public_reason, internal_note=data.internal_note or None, status=status,
                        issued_by_id=staff.id, issued_at=now, previous_standing=merchant.standing, **fields)
    db.session.add(sanction)
    db.session.flush()
    return sanction


def issue_warning(merchant: Merchant, staff: User, data: SanctionInput, flag: Flag | None = None) -> Sanction:
    """A published warning (警示): the badge stays valid; shown for 12 months."""
    data = _clean_sanction(data)
    now = utcnow()
    _begin(merchant, staff, now)
    if merchant.standing not in (Standing.ACTIVE.value, Standing.WARNED.value):
        raise InvalidTransition(_("只能警示承诺有效的店铺（这家店铺当前为“%(standing)s”）。",
                                  standing=_standing_label(merchant.standing)))
    ends_at = add_months(now, WARNING_SHOWN_MONTHS)
    sanction = _new_sanction(merchant, staff, WARNING, data, ACTIVE, now, starts_at=now, ends_at=ends_at,
                             visible_until=ends_at)
    audit.record("sanction.warning_issued", sanction, staff, merchant_id=merchant.id, clause=data.clause_kind,
                 reason=data.public_reason, ends_at=ends_at)
    set_standing(merchant, Standing.WARNED.value, data.public_reason, staff, CAUSE_SANCTION, "warning issued", now)
    action_flag(flag, merchant, staff, sanction, now)
    tell_shop(merchant, WARNING, sanction)
    return sanction


def suspend(merchant: Merchant, staff: User, data: SanctionInput, until: date | None, until_rectified: bool,
            flag: Flag | None = None) -> Sanction:
    """Suspend the badge until a date (ends by itself) or until the shop has put things right."""
    data = _clean_sanction(data)
    now = utcnow()
    today = china_date(now)
    if until_rectified:
        until = None
    elif until is None:
        raise DomainError(_("请填写暂停截止日期，或选择“整改后恢复”。"), field="until")
    elif until <= today:
        raise DomainError(_("暂停截止日期必须晚于今天。"), field="until")
    elif until > today + timedelta(days=MAX_SUSPENSION_DAYS):
        raise DomainError(_("暂停最长 3 年。更长时间请选择“整改后恢复”或撤销承诺。"), field="until")
    _begin(merchant, staff, now)
    if merchant.standing == Standing.SUSPENDED.value:
        raise Conflict(_("这家店铺已在暂停中。如需改变期限，请先恢复再重新暂停。"))
    if merchant.standing == Standing.REVOKED.value:
        raise InvalidTransition(_("这家店铺的承诺已被撤销，不能再暂停。"))
    ends_at = end_of_china_day(until) if until else None
    sanction = _new_sanction(merchant, staff, SUSPENSION, data, ACTIVE, now, starts_at=now, ends_at=ends_at,
                             until_rectified=until is None,
                             visible_until=add_months(ends_at, MARK_SHOWN_AFTER_END_MONTHS) if ends_at else None)
    audit.record("sanction.suspended", sanction, staff, merchant_id=merchant.id, clause=data.clause_kind,
                 reason=data.public_reason, until=until.isoformat() if until else None,
                 until_rectified=until is None)
    set_standing(merchant, Standing.SUSPENDED.value, data.public_reason, staff, CAUSE_SANCTION, "suspended", now)
    action_flag(flag, merchant, staff, sanction, now)
    tell_shop(merchant, SUSPENSION, sanction)
    return sanction


def propose_revocation(merchant: Merchant, staff: User, data: SanctionInput, flag: Flag | None = None) -> Sanction:
    """Propose revoking the shop's pledge; it takes effect only when another officer approves."""
    data = _clean_sanction(data)
    now = utcnow()
    _begin(merchant, staff, now)
    if merchant.standing == Standing.REVOKED.value:
        raise InvalidTransition(_("这家店铺的承诺已被撤销。"))
    if db.session.scalar(select(Sanction.id).where(Sanction.merchant_id == merchant.id, Sanction.kind == REVOCATION,
                                                   Sanction.status == PROPOSED)) is not None:
        raise Conflict(_("这家店铺已有一项撤销提议在等待审批。"))
    sanction = _new_sanction(merchant, staff, REVOCATION, data, PROPOSED, now)
    audit.record("sanction.revocation_proposed", sanction, staff, merchant_id=merchant.id, clause=data.clause_kind,
                 reason=data.public_reason)
    action_flag(flag, merchant, staff, sanction, now)
    return sanction


# Lifting a revocation needs the same two officers as imposing it: otherwise one officer could undo
# alone what two decided. Lifting a suspension (or a warning's effects) stays one officer's decision.
PROPOSAL_KINDS = (REVOCATION, REINSTATEMENT)


def _lock_proposal(sanction: Sanction, staff: User, now: datetime) -> Merchant:
    merchant = sanction.merchant
    require_scope(merchant, staff)
    lock_shop(merchant)
    db.session.refresh(sanction)
    if sanction.status != PROPOSED:
        if sanction.kind == REINSTATEMENT:
            raise Conflict(_("这项恢复提议刚刚已被处理，请刷新页面查看。"))
        raise Conflict(_("这项撤销提议刚刚已被处理，请刷新页面查看。"))
    expire_due(merchant, now)
    return merchant


def approve_proposal(sanction: Sanction, staff: User) -> None:
    """The second officer approves a proposed revocation or reinstatement; it is in force at once.

    Nobody approves their own proposal.
    """
    if sanction.kind not in PROPOSAL_KINDS:
        raise InvalidTransition(_("只有撤销及撤销后的恢复需要审批。"))
    if sanction.issued_by_id == staff.id:
        if sanction.kind == REINSTATEMENT:
            raise NotPermitted(_("不能批准自己提出的恢复，须由另一位工作人员审批。"))
        raise NotPermitted(_("不能批准自己提出的撤销，须由另一位工作人员审批。"))
    now = utcnow()
    merchant = _lock_proposal(sanction, staff, now)
    if sanction.kind == REINSTATEMENT:
        _approve_reinstatement(sanction, merchant, staff, now)
        return
    if merchant.standing == Standing.REVOKED.value:
        raise InvalidTransition(_("这家店铺的承诺已被撤销。"))
    sanction.status, sanction.approved_by_id, sanction.approved_at = ACTIVE, staff.id, now
    sanction.starts_at, sanction.previous_standing = now, merchant.standing
    db.session.flush()
    audit.record("sanction.revocation_approved", sanction, staff, merchant_id=merchant.id,
                 proposed_by=sanction.issued_by_id, reason=sanction.public_reason)
    set_standing(merchant, Standing.REVOKED.value, sanction.public_reason, staff, CAUSE_SANCTION, "revoked", now)
    tell_shop(merchant, REVOCATION, sanction)


def approve_revocation(sanction: Sanction, staff: User) -> None:
    """The second officer approves a proposed revocation (see approve_proposal)."""
    if sanction.kind != REVOCATION:
        raise InvalidTransition(_("只有撤销需要审批。"))
    approve_proposal(sanction, staff)


def reject_proposal(sanction: Sanction, staff: User, note: str) -> None:
    """Turn a proposed revocation or reinstatement down (or, by its proposer, withdraw it); the shop
    is not affected."""
    if sanction.kind not in PROPOSAL_KINDS:
        raise InvalidTransition(_("只有撤销及撤销后的恢复需要审批。"))
    note = clean_text(note, "note", _("请说明不批准的理由。"), MAX_NOTE)
    now = utcnow()
    _lock_proposal(sanction, staff, now)
    sanction.status, sanction.rejection_note = REJECTED, note
    sanction.rejected_by_id, sanction.rejected_at = staff.id, now
    db.session.flush()
    audit.record(f"sanction.{sanction.kind}_rejected", sanction, staff, merchant_id=sanction.merchant_id, note=note)


def reject_revocation(sanction: Sanction, staff: User, note: str) -> None:
    """Turn a proposed revocation down (see reject_proposal)."""
    if sanction.kind != REVOCATION:
        raise InvalidTransition(_("只有撤销需要审批。"))
    reject_proposal(sanction, staff, note)


def reinstate(merchant: Merchant, staff: User, public_reason: str, internal_note: str = "") -> Sanction:
    """Lift a suspension or revocation after rectification (信用修复).

    A suspended shop is reinstated at once. A revoked shop's reinstatement is only proposed (status
    proposed): like the revocation, it takes effect when another officer approves it.
    Once in force the shop is lapsed: it must sign the current pledge again, and signing makes it active.
    """
    data = SanctionInput("", _clean_reason(public_reason), clean_text(internal_note, "internal_note", None, MAX_NOTE))
    now = utcnow()
    _begin(merchant, staff, now)
    if merchant.standing not in (Standing.SUSPENDED.value, Standing.REVOKED.value):
        raise InvalidTransition(_("只有被暂停或撤销的店铺需要恢复（这家店铺当前为“%(standing)s”）。",
                                  standing=_standing_label(merchant.standing)))
    if merchant.standing == Standing.REVOKED.value:
        return _propose_reinstatement(merchant, staff, data, now)
    record = _new_sanction(merchant, staff, REINSTATEMENT, data, ACTIVE, now)
    lifted = _lift_all(merchant, record, staff, now)
    audit.record("sanction.reinstated", record, staff, merchant_id=merchant.id, reason=data.public_reason,
                 lifted=lifted)
    _finish_reinstatement(merchant, record, staff, now)
    return record


def _propose_reinstatement(merchant: Merchant, staff: User, data: SanctionInput, now: datetime) -> Sanction:
    if db.session.scalar(select(Sanction.id).where(Sanction.merchant_id == merchant.id,
                                                   Sanction.kind == REINSTATEMENT,
                                                   Sanction.status == PROPOSED)) is not None:
        raise Conflict(_("这家店铺已有一项恢复提议在等待审批。"))
    proposal = _new_sanction(merchant, staff, REINSTATEMENT, data, PROPOSED, now)
    audit.record("sanction.reinstatement_proposed", proposal, staff, merchant_id=merchant.id,
                 reason=data.public_reason)
    return proposal


def _approve_reinstatement(proposal: Sanction, merchant: Merchant, staff: User, now: datetime) -> None:
    if merchant.standing != Standing.REVOKED.value:
        # E.g. the revocation was lifted on appeal while the proposal waited.
        raise InvalidTransition(_("这家店铺已不是“已撤销”状态，这项恢复提议无需批准，请不予批准。"))
    proposal.status, proposal.approved_by_id, proposal.approved_at = ACTIVE, staff.id, now
    proposal.previous_standing = merchant.standing
    lifted = _lift_all(merchant, proposal, staff, now)
    audit.record("sanction.reinstatement_approved", proposal, staff, merchant_id=merchant.id,
                 proposed_by=proposal.issued_by_id, reason=proposal.public_reason, lifted=lifted)
    _finish_reinstatement(merchant, proposal, staff, now)


def _lift_all(merchant: Merchant, record: Sanction, staff: User, now: datetime) -> list[int]:
    """End every sanction in force on the shop (a reinstatement lifts them all); returns their ids."""
    lifted = sanctions_in_effect([merchant.id])[merchant.id]
    for sanction in lifted:
        end_sanction(sanction, now, END_REINSTATED, staff, now)
    record.starts_at, record.visible_until = now, add_months(now, MARK_SHOWN_AFTER_END_MONTHS)
    db.session.flush()
    return [s.id for s in lifted]


def _finish_reinstatement(merchant: Merchant, record: Sanction, staff: User, now: datetime) -> None:
    set_standing(merchant, Standing.LAPSED.value, record.public_reason, staff, CAUSE_REINSTATED,
                 "reinstated; must sign again", now)
    tell_shop(merchant, REINSTATEMENT, record)


def _standing_label(standing: str) -> str:
    return str(STANDING_LABELS[standing])
