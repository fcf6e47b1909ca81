"""Read-only queries for the ownership pages, scoped to the officer's district."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from registry.auth.access import in_district
from registry.auth.models import User
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.ownership.models import CLAIM_PENDING, CLAIM_STATUSES, CLAIM_TRANSFERRED, OwnershipClaim

# A previous owner's area says that a shop moved away this long after the transfer.
MOVED_AWAY_SHOWN_DAYS = 90


def _scoped(statement, staff: User):
    return in_district(statement.join(Merchant, OwnershipClaim.merchant_id == Merchant.id), staff, Merchant.district)


def claims_page(staff: User, status: str, page: int, per_page: int = 30):
    status = status if status in CLAIM_STATUSES else CLAIM_PENDING
    statement = _scoped(select(OwnershipClaim), staff).where(OwnershipClaim.status == status)
    order = ((OwnershipClaim.filed_at, OwnershipClaim.id) if status == CLAIM_PENDING
             else (OwnershipClaim.decided_at.desc(), OwnershipClaim.id.desc()))
    return db.paginate(statement.order_by(*order), page=page, per_page=per_page, error_out=False)


def claim_counts(staff: User) -> dict[str, int]:
    statement = _scoped(select(OwnershipClaim.status, func.count()), staff).group_by(OwnershipClaim.status)
    counts = dict(db.session.execute(statement).all())
    return {status: counts.get(status, 0) for status in CLAIM_STATUSES}


def other_claims(claim: OwnershipClaim) -> list[OwnershipClaim]:
    """The other claims on the same shop, newest first (staff compare them)."""
    return list(db.session.scalars(select(OwnershipClaim).where(OwnershipClaim.merchant_id == claim.merchant_id,
                                                                OwnershipClaim.id != claim.id)
                                   .order_by(OwnershipClaim.filed_at.desc())))


def claims_of(user: User) -> list[OwnershipClaim]:
    """The claims `user` filed, newest first."""
    return list(db.session.scalars(select(OwnershipClaim).where(OwnershipClaim.claimant_id == user.id)
                                   .order_by(OwnershipClaim.filed_at.desc(), OwnershipClaim.id.desc())))


def moved_away(user: User, now: datetime) -> list[OwnershipClaim]:
    """Shops taken from `user` by an upheld claim lately (their owner area says so)."""
    return list(db.session.scalars(select(OwnershipClaim).where(
        OwnershipClaim.previous_owner_id == user.id, OwnershipClaim.status == CLAIM_TRANSFERRED,
        OwnershipClaim.decided_at > now - timedelta(days=MOVED_AWAY_SHOWN_DAYS))
        .order_by(OwnershipClaim.decided_at.desc())))
