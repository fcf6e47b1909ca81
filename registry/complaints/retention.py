"""Keeping personal data no longer than the purpose needs: complainants' phone numbers and postal
addresses after their case ended, one-time codes and sent SMS after a week."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from registry.clock import utcnow
from registry.complaints import states
from registry.complaints.models import Complaint
from registry.complaints.timeline import add_event
from registry.extensions import db
from registry.messaging.models import OutboxMessage
from registry.messaging.verification import PhoneVerification

# Verification codes and sent SMS are kept a week (to answer "I never got the code"), then deleted.
SMS_RECORD_RETENTION_DAYS = 7


def purge_expired_contact_details(now: datetime | None = None) -> int:
    """Delete complainants' phone numbers and postal addresses N months after their case ended (the
    complaint text stays).

    Personal data is kept no longer than the purpose needs (PIPL art. 19); the notice on the
    complaint form promises this period.
    """
    now = now or utcnow()
    months = current_app.config["COMPLAINANT_PHONE_RETENTION_MONTHS"]
    cutoff = now - timedelta(days=round(months * 30.44))
    expired = list(db.session.scalars(
        select(Complaint).where(Complaint.status.in_(states.FINAL_STATUSES), Complaint.closed_at < cutoff,
                                (Complaint.consumer_phone.is_not(None)) | (Complaint.consumer_address.is_not(None)))
    ))
    for complaint in expired:
        complaint.consumer_phone = complaint.consumer_address = None
        add_event(complaint, "contact_purged", "system", None, None, public=False)
    # One-time codes and the SMS outbox hold phone numbers too; they are only needed for minutes.
    message_cutoff = now - timedelta(days=SMS_RECORD_RETENTION_DAYS)
    db.session.execute(delete(PhoneVerification).where(PhoneVerification.created_at < message_cutoff))
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.created_at < message_cutoff))
    db.session.flush()
    return len(expired)
