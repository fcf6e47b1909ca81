"""回访 figures (reports.figures' docstring): finished complaints followed up by a reached staff call-back
or the consumer's own survey, and one satisfaction score per complaint (the survey first)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from registry.complaints.models import CallBack, Complaint
from registry.extensions import db
from registry.reports.counting import FINISHED_OUTCOMES, counted_complaints, grouped, within

def followed_up(district: str | None, closed) -> int:
    """Finished complaints closed in the period with a reached call-back or a survey (each once)."""
    reached = select(CallBack.id).where(CallBack.complaint_id == Complaint.id, CallBack.reached.is_(True)).exists()
    return int(db.session.scalar(counted_complaints(district, func.count()).where(
        closed, Complaint.outcome.in_(FINISHED_OUTCOMES), Complaint.followup_at.is_not(None) | reached)) or 0)


def satisfaction_scores(district: str | None, lower: datetime, upper: datetime) -> dict[int, int]:
    """Score → complaints, one score per complaint: its survey, else its last reached call-back."""
    counts = grouped(counted_complaints(district, Complaint.followup_satisfaction, func.count())
                      .where(within(Complaint.followup_at, lower, upper), Complaint.followup_satisfaction.is_not(None))
                      .group_by(Complaint.followup_satisfaction))
    last_call = (select(func.max(CallBack.id).label("id"))
                 .where(CallBack.reached.is_(True), CallBack.satisfaction.is_not(None))
                 .group_by(CallBack.complaint_id).subquery())
    for score, count in db.session.execute(
            counted_complaints(district, CallBack.satisfaction, func.count())
            .join(CallBack, CallBack.complaint_id == Complaint.id).join(last_call, last_call.c.id == CallBack.id)
            .where(Complaint.followup_at.is_(None), within(CallBack.called_at, lower, upper))
            .group_by(CallBack.satisfaction)):
        counts[int(score)] = counts.get(int(score), 0) + int(count)
    return counts
