"""Appeals without HTTP: one per sanction, decided once by another officer; a granted appeal ends the
sanction and its mark."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from registry.clock import utcnow
from registry.errors import Conflict, DomainError, InvalidTransition, NotPermitted
from registry.extensions import db
from registry.uploads import process_image
from registry.moderation import appeals, sanctions
from registry.moderation.standings import shop_standing
from registry.moderation.models import ACTIVE, APPEAL_GRANTED, APPEAL_UPHELD, ENDED, Appeal, AppealPhoto, Sanction

from .helpers import audit_actions, count, fresh, jpeg_bytes, messages_to, reason

pytestmark = pytest.mark.usefixtures("fresh_request_globals")


# --- Appeals ----------------------------------------------------------------------------------------

def photo(name="进货单.jpg"):
    import io

    return process_image(io.BytesIO(jpeg_bytes()), name)


def test_an_appeal_is_made_once_with_photos(world, evidence_dir):
    sanction = sanctions.issue_warning(world.shop, world.staff, reason())
    db.session.commit()
    with pytest.raises(NotPermitted):
        appeals.submit_appeal(sanction, world.other_owner, "这不是我的店铺，但我想申诉。", [])
    with pytest.raises(DomainError) as refused:
        appeals.submit_appeal(sanction, world.owner, "太短", [])
    assert refused.value.field == "text"
    with pytest.raises(DomainError) as refused:
        appeals.submit_appeal(sanction, world.owner, "我们有正规进货票据，商品不是假货。", [photo()] * 4)
    assert refused.value.field == "photos"
    db.session.rollback()

    appeal = appeals.submit_appeal(sanction, world.owner, "我们有正规进货票据，商品不是假货。", [photo(), photo()])
    db.session.commit()
    assert (appeal.status, appeal.merchant_id, appeal.submitted_by_id) == ("pending", world.shop.id, world.owner.id)
    stored = list(db.session.scalars(select(AppealPhoto).where(AppealPhoto.appeal_id == appeal.id)))
    assert len(stored) == 2
    assert all((evidence_dir / "appeals" / p.stored_name).is_file() for p in stored)
    assert audit_actions(appeal) == ["appeal.submitted"]

    with pytest.raises(Conflict):
        appeals.submit_appeal(db.session.get(Sanction, sanction.id), world.owner, "再申诉一次，理由同上。", [])
    db.session.rollback()
    assert count(Appeal) == 1


def test_the_issuer_cannot_decide_the_appeal_another_officer_can(world, frozen):
    sanction = sanctions.suspend(world.shop, world.staff, reason(), date(2026, 6, 1), False)
    db.session.commit()
    appeal = appeals.submit_appeal(sanction, world.owner, "已全部下架并退款，请求撤销暂停。", [])
    db.session.commit()
    assert not appeals.can_decide(appeal, world.staff) and appeals.can_decide(appeal, world.staff2)
    with pytest.raises(NotPermitted):
        appeals.decide_appeal(appeal, world.staff, True, "同意")
    with pytest.raises(NotPermitted):
        appeals.decide_appeal(appeal, world.staff_elsewhere, True, "同意")
    with pytest.raises(DomainError) as refused:
        appeals.decide_appeal(appeal, world.staff2, True, " ")
    assert refused.value.field == "note"
    db.session.rollback()
    assert db.session.get(Appeal, appeal.id).status == "pending"

    frozen.advance(days=2)
    appeals.decide_appeal(db.session.get(Appeal, appeal.id), world.staff2, True, "经复核，证据不足以认定售假。")
    db.session.commit()
    appeal = db.session.get(Appeal, appeal.id)
    sanction = db.session.get(Sanction, sanction.id)
    assert (appeal.status, appeal.decided_by_id) == (APPEAL_GRANTED, world.staff2.id)
    assert (sanction.status, sanction.end_reason, sanction.visible_until) == (ENDED, "appeal_granted", frozen.now)
    shop = fresh(world.shop)
    assert (shop.standing, shop.standing_reason) == ("active", None)
    assert shop_standing(shop, utcnow()).marks == []  # a granted appeal hides the mark
    assert audit_actions(appeal) == ["appeal.submitted", "appeal.granted"]
    assert "申诉成立" in messages_to(shop.contact_phone)[-1]
    with pytest.raises(Conflict):
        appeals.decide_appeal(appeal, world.admin, False, "维持")


def test_an_upheld_appeal_leaves_the_sanction_and_the_approver_cannot_decide(world):
    proposal = sanctions.propose_revocation(world.shop, world.staff, reason())
    sanctions.approve_revocation(proposal, world.staff2)
    db.session.commit()
    appeal = appeals.submit_appeal(proposal, world.owner, "我们不同意撤销，请重新调查。", [])
    db.session.commit()
    with pytest.raises(NotPermitted):
        appeals.decide_appeal(appeal, world.staff2, False, "维持")  # the approver
    db.session.rollback()
    appeals.decide_appeal(db.session.get(Appeal, appeal.id), world.admin, False, "证据确凿，维持撤销决定。")
    db.session.commit()
    assert db.session.get(Appeal, appeal.id).status == APPEAL_UPHELD
    assert db.session.get(Sanction, proposal.id).status == ACTIVE and fresh(world.shop).standing == "revoked"
    assert "维持原决定" in messages_to(world.shop.contact_phone)[-1]


def test_a_granted_revocation_appeal_restores_the_shop(world):
    proposal = sanctions.propose_revocation(world.shop, world.staff, reason())
    sanctions.approve_revocation(proposal, world.staff2)
    appeal = appeals.submit_appeal(proposal, world.owner, "撤销所依据的投诉已被消费者撤回。", [])
    appeals.decide_appeal(appeal, world.admin, True, "投诉已撤回，撤销决定不成立。")
    db.session.commit()
    assert fresh(world.shop).standing == "active"


def test_only_sanctions_in_force_can_be_appealed(world):
    proposal = sanctions.propose_revocation(world.shop, world.staff, reason())
    db.session.commit()
    assert not appeals.can_appeal(proposal)
    with pytest.raises(InvalidTransition):
        appeals.submit_appeal(proposal, world.owner, "还没有生效的提议也想申诉。", [])


def test_when_one_of_two_warnings_is_lifted_the_other_explains_the_standing(world):
    first = sanctions.issue_warning(world.shop, world.staff, reason(text="第一次：价签不符。"))
    sanctions.issue_warning(world.shop, world.staff, reason(text="第二次：缺斤少两。"))
    db.session.commit()
    assert fresh(world.shop).standing_reason == "第二次：缺斤少两。"
    second = db.session.scalar(select(Sanction).where(Sanction.public_reason == "第二次：缺斤少两。"))
    appeal = appeals.submit_appeal(second, world.owner, "第二次警示所说的情况经复秤不属实。", [])
    appeals.decide_appeal(appeal, world.staff2, True, "复秤无误，撤销第二次警示。")
    db.session.commit()
    shop = fresh(world.shop)
    assert (shop.standing, shop.standing_reason) == ("warned", "第一次：价签不符。")
    assert db.session.get(Sanction, first.id).status == ACTIVE
