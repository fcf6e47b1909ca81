"""Credit repair (信用修复) without HTTP: the minimum period, applying, one officer or two deciding, and
what a granted repair changes (the mark ends early, the standing, the shop told, the audit)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from registry.errors import Conflict, DomainError, InvalidTransition, NotPermitted
from registry.extensions import db
from registry.merchants.models import CAUSE_REPAIRED, StandingChange
from registry.moderation import repairs, sanctions
from registry.moderation.models import (END_REPAIRED, ENDED, REPAIR_GRANTED, REPAIR_PROPOSED, REPAIR_REFUSED,
                                        CreditRepair, CreditRepairPhoto, Sanction)
from registry.uploads import process_image

from .helpers import audit_actions, count, fresh, jpeg_bytes, messages_to, reason, standing_now

pytestmark = pytest.mark.usefixtures("fresh_request_globals")

RECTIFIED = "已下架全部涉事商品，更换了供货商，并组织店员学习诚信经营倡议书。"


def photo(name="整改照片.jpg"):
    return process_image(io.BytesIO(jpeg_bytes()), name)


def months_later(frozen, months: int, days: int = 1):
    frozen.advance(days=months * 31 + days)


def test_a_shop_applies_only_after_the_minimum_period(world, frozen, evidence_dir):
    warning = sanctions.issue_warning(world.shop, world.staff, reason())
    db.session.commit()
    with pytest.raises(InvalidTransition) as early:
        repairs.apply_for_repair(warning, world.owner, RECTIFIED, [photo()])
    assert "满 6 个月" in early.value.message and "2026-09-02" in early.value.message
    db.session.rollback()
    frozen.set(datetime(2026, 9, 2, 1, 59, tzinfo=timezone.utc))  # a minute early
    assert repairs.why_not_repairable(db.session.get(Sanction, warning.id), frozen.now) is not None
    frozen.set(datetime(2026, 9, 2, 2, 0, tzinfo=timezone.utc))
    repair = repairs.apply_for_repair(db.session.get(Sanction, warning.id), world.owner, RECTIFIED, [photo(), photo()])
    db.session.commit()
    assert (repair.status, repair.merchant_id, repair.rectification) == ("pending", world.shop.id, RECTIFIED)
    stored = list(db.session.scalars(select(CreditRepairPhoto).where(CreditRepairPhoto.repair_id == repair.id)))
    assert len(stored) == 2 and all((evidence_dir / "repairs" / p.stored_name).is_file() for p in stored)
    assert audit_actions(repair) == ["repair.applied"]


def test_food_businesses_wait_twelve_months_and_the_period_is_configurable(app, world, frozen, make_shop):
    canteen = make_shop(owner=world.owner, name="老街面馆", category="catering", district="西湖区")
    suspension = sanctions.suspend(canteen, world.staff, reason(), None, True)
    db.session.commit()
    months_later(frozen, 7)
    assert "满 12 个月" in repairs.why_not_repairable(suspension, frozen.now)
    app.config["CREDIT_REPAIR_MIN_MONTHS_FOOD"] = 3
    assert repairs.why_not_repairable(suspension, frozen.now) is None


def test_bad_applications_are_refused_with_messages_and_nothing_is_saved(world, frozen, evidence_dir):
    warning = sanctions.issue_warning(world.shop, world.staff, reason())
    db.session.commit()
    months_later(frozen, 6)
    cases = [(world.other_owner, RECTIFIED, [photo()], NotPermitted, None),
             (world.owner, "已整改", [photo()], DomainError, "text"),
             (world.owner, RECTIFIED, [], DomainError, "photos"),
             (world.owner, RECTIFIED, [photo()] * 4, DomainError, "photos")]
    for owner, text, photos, error, field in cases:
        with pytest.raises(error) as refused:
            repairs.apply_for_repair(db.session.get(Sanction, warning.id), owner, text, photos)
        assert refused.value.field == field
        db.session.rollback()
    assert count(CreditRepair) == 0 and count(CreditRepairPhoto) == 0
    repairs.apply_for_repair(db.session.get(Sanction, warning.id), world.owner, RECTIFIED, [photo()])
    db.session.commit()
    with pytest.raises(InvalidTransition) as twice:
        repairs.apply_for_repair(db.session.get(Sanction, warning.id), world.owner, RECTIFIED, [photo()])
    assert "审核中" in twice.value.message
    db.session.rollback()
    assert count(CreditRepair) == 1


def _applied(world, frozen, kind="warning"):
    if kind == "warning":
        sanction = sanctions.issue_warning(world.shop, world.staff, reason())
    else:
        sanction = sanctions.propose_revocation(world.shop, world.staff, reason())
        db.session.commit()
        sanctions.approve_proposal(sanction, world.staff2)
    db.session.commit()
    months_later(frozen, 6)
    repair = repairs.apply_for_repair(db.session.get(Sanction, sanction.id), world.owner, RECTIFIED, [photo()])
    db.session.commit()
    return sanction, repair


def test_a_granted_repair_ends_the_warning_early_and_tells_the_shop(app, world, frozen, evidence_dir):
    warning, repair = _applied(world, frozen)
    assert standing_now(world.shop) == "warned"
    repairs.grant_repair(repair, world.staff, "整改到位，准予修复。", "现场复查照片已存档")
    db.session.commit()
    now = frozen.now
    warning = db.session.get(Sanction, warning.id)
    assert (warning.status, warning.end_reason, warning.ended_at, warning.repaired_at) == (ENDED, END_REPAIRED, now, now)
    assert warning.visible_until == now + timedelta(days=90)
    assert (repair.status, repair.decided_by_id) == (REPAIR_GRANTED, world.staff.id)
    assert fresh(world.shop).standing == "active" and standing_now(world.shop) == "active"
    change = db.session.scalar(select(StandingChange).where(StandingChange.merchant_id == world.shop.id)
                               .order_by(StandingChange.id.desc()))
    assert (change.old, change.new, change.cause) == ("warned", "active", CAUSE_REPAIRED)
    assert audit_actions(repair) == ["repair.applied", "repair.granted"]
    assert "sanction.ended" in audit_actions(warning)
    told = messages_to(world.shop.contact_phone)[-1]
    assert "信用修复申请已通过" in told and "警示" in told and "2026-09" in told
    # The mark is shown as repaired for a while, then no more.
    frozen.advance(days=91)
    assert not db.session.get(Sanction, warning.id).visible_at(frozen.now)
    assert repairs.why_not_repairable(db.session.get(Sanction, warning.id), frozen.now) is not None


def test_a_refused_repair_keeps_the_mark_and_tells_the_shop_why(world, frozen, evidence_dir):
    warning, repair = _applied(world, frozen)
    with pytest.raises(DomainError) as bare:
        repairs.refuse_repair(repair, world.staff, "")
    assert bare.value.field == "note"
    with pytest.raises(DomainError) as personal:
        repairs.refuse_repair(repair, world.staff, "请联系 13912345678 补充材料")
    assert personal.value.field == "note"
    db.session.rollback()
    repairs.refuse_repair(repair, world.staff, "整改照片不能说明问题已解决。")
    db.session.commit()
    assert repair.status == REPAIR_REFUSED and db.session.get(Sanction, warning.id).status == "active"
    assert standing_now(world.shop) == "warned"
    assert "整改照片不能说明问题已解决" in messages_to(world.shop.contact_phone)[-1]
    # Refused: the shop may apply again.
    assert repairs.why_not_repairable(db.session.get(Sanction, warning.id), frozen.now) is None


def test_staff_of_another_district_cannot_decide(world, frozen, evidence_dir):
    _warning, repair = _applied(world, frozen)
    with pytest.raises(NotPermitted):
        repairs.grant_repair(repair, world.staff_elsewhere, "准予修复。")
    db.session.rollback()
    assert db.session.get(CreditRepair, repair.id).status == "pending"


def test_a_revoked_shops_repair_needs_a_second_officer(world, frozen, evidence_dir):
    revocation, repair = _applied(world, frozen, "revocation")
    assert standing_now(world.shop) == "revoked"
    repairs.grant_repair(repair, world.staff, "整改彻底，同意修复。")
    db.session.commit()
    assert repair.status == REPAIR_PROPOSED and repair.proposed_by_id == world.staff.id
    assert standing_now(world.shop) == "revoked"
    with pytest.raises(NotPermitted):
        repairs.approve_repair(repair, world.staff)
    db.session.rollback()
    assert db.session.get(CreditRepair, repair.id).status == REPAIR_PROPOSED
    repairs.approve_repair(db.session.get(CreditRepair, repair.id), world.staff2)
    db.session.commit()
    repair = db.session.get(CreditRepair, repair.id)
    assert (repair.status, repair.decided_by_id) == (REPAIR_GRANTED, world.staff2.id)
    assert db.session.get(Sanction, revocation.id).end_reason == END_REPAIRED
    # Like a reinstatement: the shop signs the current pledge again.
    assert fresh(world.shop).standing == "lapsed"
    assert "重新签署" in messages_to(world.shop.contact_phone)[-1]
    assert audit_actions(repair) == ["repair.applied", "repair.proposed", "repair.granted"]


def test_two_officers_deciding_at_once_one_wins(world, frozen, evidence_dir):
    _warning, repair = _applied(world, frozen)
    stale = db.session.get(CreditRepair, repair.id)
    repairs.refuse_repair(stale, world.staff2, "材料不足。")
    db.session.commit()
    # The other officer's page still says pending: the application is read again and refused.
    db.session.execute(select(CreditRepair))  # a new transaction
    with pytest.raises(Conflict):
        repairs.grant_repair(stale, world.staff, "准予修复。")
    db.session.rollback()
    assert db.session.get(CreditRepair, repair.id).status == REPAIR_REFUSED


def test_repairs_granted_are_counted_in_the_yearly_figures(world, frozen, evidence_dir):
    from datetime import date

    from registry.reports.figures import build_report

    _warning, repair = _applied(world, frozen)
    assert build_report(date(2026, 1, 1), date(2027, 1, 1)).repairs_granted == 0  # applied, not yet granted
    repairs.grant_repair(repair, world.staff, "准予修复。")
    db.session.commit()
    assert build_report(date(2026, 1, 1), date(2027, 1, 1)).repairs_granted == 1
    assert build_report(date(2026, 1, 1), date(2027, 1, 1), "滨江区").repairs_granted == 0
    assert build_report(date(2025, 1, 1), date(2026, 1, 1)).repairs_granted == 0
