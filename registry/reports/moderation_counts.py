"""The yearly moderation figures of /stats (reports.figures' docstring, "Moderation"): flags, misuse
reports, sanctions by kind, appeals and credit repairs — counts only, never who reported or complained."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from registry.extensions import db
from registry.moderation.models import (ACTIVE, APPEAL_GRANTED, APPEAL_PENDING, ENDED, FLAG_DISMISSED, FLAG_KINDS,
                                        REPAIR_GRANTED, SANCTION_KINDS, Appeal, CreditRepair, Flag, Sanction)
from registry.reports.counting import for_district, grouped, within


def moderation_figures(lower: datetime, upper: datetime, district: str | None) -> dict:
    """The moderation counts of [lower, upper) as Report fields (definitions in the module docstring)."""
    flags = grouped(for_district(select(Flag.kind, func.count()), Flag.merchant_id, district)
                     .where(within(Flag.raised_at, lower, upper)).group_by(Flag.kind))
    dismissed = db.session.scalar(for_district(select(func.count(Flag.id)), Flag.merchant_id, district).where(
        Flag.status == FLAG_DISMISSED, within(Flag.resolved_at, lower, upper)))
    took_effect = func.coalesce(Sanction.approved_at, Sanction.issued_at)
    sanctions = grouped(for_district(select(Sanction.kind, func.count()), Sanction.merchant_id, district)
                         .where(Sanction.status.in_((ACTIVE, ENDED)), within(took_effect, lower, upper))
                         .group_by(Sanction.kind))
    appeals = grouped(for_district(select(Appeal.status, func.count()), Appeal.merchant_id, district)
                       .where(Appeal.status != APPEAL_PENDING, within(Appeal.decided_at, lower, upper))
                       .group_by(Appeal.status))
    repairs = db.session.scalar(for_district(select(func.count(CreditRepair.id)), CreditRepair.merchant_id, district)
                                .where(CreditRepair.status == REPAIR_GRANTED, within(CreditRepair.decided_at, lower, upper)))
    return {
        "flags_by_kind": {kind: flags.get(kind, 0) for kind in FLAG_KINDS},
        "flags_dismissed": int(dismissed or 0),
        "sanctions_by_kind": {kind: sanctions.get(kind, 0) for kind in SANCTION_KINDS},
        "appeals_decided": sum(appeals.values()),
        "appeals_granted": appeals.get(APPEAL_GRANTED, 0),
        "repairs_granted": int(repairs or 0),
    }
