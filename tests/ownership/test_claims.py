"""Ownership claims without HTTP: filing (licence photo, phone confirmed by code), the one-pending rule,
and the decision: a transfer moves the shop, re-issues its badge and tells the previous owner."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.badges.models import Badge
from registry.badges.services import current_badge
from registry.errors import Conflict, DomainError, InvalidTransition, NotPermitted
from registry.extensions import db
from registry.issuer import issuing_body
from registry.merchants.models import Merchant
from registry.messaging.verification import send_code
from registry.ownership import claims
from registry.ownership.models import OwnershipClaim
from registry.uploads import process_image

from .conftest import REAL_PHONE, jpeg_bytes, last_code, messages_to

pytestmark = pytest.mark.usefixtures("fresh_request_globals")

STATEMENT = "这家面馆是我 2019 年开的，营业执照在我名下，从未委托他人登记。"


def licence():
    return process_image(io.BytesIO(jpeg_bytes()), "营业执照.jpg")


def code_for(phone: str = REAL_PHONE) -> str:
    send_code(phone, claims.VERIFICATION_PURPOSE)
    db.session.commit()
    return last_code(phone)


def file(dispute, phone=REAL_PHONE, claimant=None, code=None):
    claim = claims.file_claim(claimant or dispute.owner, dispute.shop.credit_code, "陈真", phone,
                              code or code_for(phone), STATEMENT, licence())
    db.session.commit()
    return claim


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_claim_is_filed_with_a_licence_photo_and_a_confirmed_phone(dispute, claim_dir):
    claim = file(dispute)
    assert (claim.status, claim.merchant_id, claim.claimant_id, claim.phone) == (
        "pending", dispute.shop.id, dispute.owner.id, REAL_PHONE)
    assert (claim_dir / claim.stored_name).is_file()
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.subject_type == "ownershipclaim")) \
        == "ownership.claim_filed"
    # Nothing about the shop changed yet.
    assert db.session.get(Merchant, dispute.shop.id).owner_id == dispute.squatter.id


@pytest.mark.parametrize("field,kwargs", [
    ("credit_code", {"credit_code": "91330106MA2XXXXX0X"}),
    ("credit_code", {"credit_code": "913301067XXXXXXXXA"}),
    ("name", {"name": " "}),
    ("phone", {"phone": "12345"}),
    ("statement", {"statement": "是我的"}),
    ("licence", {"licence": None}),
    ("code", {"code": "000000"}),
])
def test_bad_claims_are_refused_on_the_field_and_nothing_is_saved(dispute, field, kwargs):
    code = code_for()
    values = dict(credit_code=dispute.shop.credit_code, name="陈真", phone=REAL_PHONE, code=code,
                  statement=STATEMENT, licence=licence())
    values.update(kwargs)
    if field == "code" and values["code"] == code:
        values["code"] = "111111"
    with pytest.raises(DomainError) as refused:
        claims.file_claim(dispute.owner, **values)
    assert refused.value.field == field
    db.session.rollback()
    assert count(OwnershipClaim) == 0


def test_an_unregistered_code_is_sent_to_registration(dispute):
    from tests.conftest import valid_credit_code

    with pytest.raises(DomainError) as refused:
        claims.file_claim(dispute.owner, valid_credit_code(), "陈真", REAL_PHONE, "123456", STATEMENT, licence())
    assert refused.value.field == "credit_code" and "直接登记" in refused.value.message


def test_one_pending_claim_per_shop_and_phone_or_account(dispute, make_user):
    file(dispute)
    with pytest.raises(Conflict):
        claims.file_claim(make_user(), dispute.shop.credit_code, "陈真", REAL_PHONE, "123456", STATEMENT, licence())
    db.session.rollback()
    with pytest.raises(Conflict):
        claims.file_claim(dispute.owner, dispute.shop.credit_code, "陈真", "13912340000", "123456", STATEMENT,
                          licence())
    db.session.rollback()
    assert count(OwnershipClaim) == 1
    # The owner of record cannot claim their own shop.
    with pytest.raises(InvalidTransition):
        claims.file_claim(dispute.squatter, dispute.shop.credit_code, "抢注人", "13912340001", "123456", STATEMENT,
                          licence())
    db.session.rollback()


def test_a_transfer_moves_the_shop_reissues_the_badge_and_tells_the_previous_owner(dispute):
    old_phone = dispute.shop.contact_phone
    old_badge = current_badge(dispute.shop)
    claim = file(dispute)
    new_badge = claims.transfer_shop(claim, dispute.staff, claim.version, "执照原件已核对")
    db.session.commit()
    shop = db.session.get(Merchant, dispute.shop.id)
    assert (shop.owner_id, shop.owner_name, shop.contact_phone) == (dispute.owner.id, "陈真", REAL_PHONE)
    assert (claim.status, claim.previous_owner_id, claim.decided_by_id) == (
        "transferred", dispute.squatter.id, dispute.staff.id)
    assert db.session.get(Badge, old_badge.id).voided_at is not None
    assert new_badge is not None and current_badge(shop).id == new_badge.id != old_badge.id
    assert "已作废" in messages_to(old_phone)[-1] and issuing_body().phone in messages_to(old_phone)[-1]
    assert "已转到您的账户" in messages_to(REAL_PHONE)[-1]
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-4:] == ["ownership.transferred", "merchant.updated", "badge.voided", "badge.issued"]


def test_a_rejection_tells_the_claimant_why(dispute, clock):
    claim = file(dispute)
    with pytest.raises(DomainError) as bare:
        claims.reject_claim(claim, dispute.staff, "", claim.version)
    assert bare.value.field == "reason"
    db.session.rollback()
    claims.reject_claim(claim, dispute.staff, "执照上的名称与登记的店铺不一致。", claim.version)
    db.session.commit()
    assert claim.status == "rejected" and db.session.get(Merchant, dispute.shop.id).owner_id == dispute.squatter.id
    assert "名称与登记的店铺不一致" in messages_to(REAL_PHONE)[-1]
    # A new claim may follow a rejected one (with a new code, a minute later).
    clock.advance(seconds=61)
    assert file(dispute).status == "pending"


def test_only_staff_of_the_shops_district_decide(dispute):
    claim = file(dispute)
    with pytest.raises(NotPermitted):
        claims.transfer_shop(claim, dispute.staff_elsewhere, claim.version)
    db.session.rollback()
    assert db.session.get(OwnershipClaim, claim.id).status == "pending"


def test_two_officers_deciding_at_once_one_wins(dispute):
    claim = file(dispute)
    version = claim.version  # both officers opened the claim at this version
    claims.transfer_shop(claim, dispute.staff, version)
    db.session.commit()
    with pytest.raises(Conflict):
        claims.reject_claim(db.session.get(OwnershipClaim, claim.id), dispute.staff2, "不予通过。", version)
    db.session.rollback()
    assert db.session.get(OwnershipClaim, claim.id).status == "transferred"


def test_sweep_uploads_deletes_orphaned_licence_photos_and_keeps_recorded_ones(dispute, claim_dir, runner):
    import os
    import time

    claim = file(dispute)
    kept = claim_dir / claim.stored_name
    orphan = claim_dir / ("a" * 32 + ".jpg")  # a killed request's photo: no claim names it
    orphan.write_bytes(b"x")
    then = time.time() - 7200
    for path in (kept, orphan):
        os.utime(path, (then, then))
    result = runner.invoke(args=["sweep-uploads"])
    assert result.exit_code == 0, result.output
    assert "1 orphaned upload file(s) deleted." in result.output
    assert kept.exists() and not orphan.exists()
