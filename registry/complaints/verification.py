"""One SMS verification, one complaint: what the consumer's session holds after confirming a code,
and the server-side count that spends it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, or_, update

from registry.errors import DomainError
from registry.extensions import db
from registry.messaging.verification import PhoneVerification

# A consumer confirms their phone by SMS code once and may then file ONE complaint within
# VERIFIED_FOR. A consumer who has several to make (another shop, another purchase) may go on with
# the same verification on purpose: each filing hands the browser the right to file the next one
# within MORE_COMPLAINTS_WITHIN, up to MAX_COMPLAINTS_PER_VERIFICATION in all; after that, or later,
# a new code. The count lives on the server (PhoneVerification.uses): the session cookie is signed
# but kept by the client, so a cookie copied before a filing still says "verified", and only the
# server can tell that its use was spent. The per-phone limit of complaints a day still applies.
VERIFIED_FOR = timedelta(minutes=30)
MORE_COMPLAINTS_WITHIN = timedelta(minutes=10)
MAX_COMPLAINTS_PER_VERIFICATION = 3
VERIFICATION_PURPOSE = "complaint"


@dataclass(frozen=True)
class VerifiedPhone:
    """What the consumer's session holds after confirming a code: the phone, the verification, how many
    complaints it had filed when the session got it (a use the server must still find unspent), and
    until when the next complaint may be filed with it."""

    phone: str
    verification_id: int
    uses: int
    until: datetime

    def to_session(self) -> dict:
        return {"phone": self.phone, "verification": self.verification_id, "uses": self.uses,
                "until": self.until.isoformat()}

    @classmethod
    def from_session(cls, value, now: datetime) -> VerifiedPhone | None:
        """The session's verified phone, or None when absent, malformed (e.g. an older format) or past."""
        try:
            verified = cls(str(value["phone"]), int(value["verification"]), int(value["uses"]),
                           datetime.fromisoformat(value["until"]))
        except (TypeError, KeyError, ValueError):
            return None
        return verified if now < verified.until else None

    @property
    def left(self) -> int:
        """Complaints this verification may still file."""
        return MAX_COMPLAINTS_PER_VERIFICATION - self.uses


class VerificationSpent(DomainError):
    """The session's verification was used already (e.g. a replayed cookie), ran out or timed out."""

    status_code = 409


def verified_phone(verification: PhoneVerification) -> VerifiedPhone:
    """The session's record for a code just confirmed (verification.confirm_code's result)."""
    return VerifiedPhone(verification.phone, verification.id, verification.uses,
                         verification.consumed_at + VERIFIED_FOR)


def spend_verification(verified: VerifiedPhone, now: datetime) -> VerifiedPhone | None:
    """Count one complaint against the verification, atomically, and return what the session may keep for
    the next one (None when it may not file another). Raises VerificationSpent when the use the session
    names is gone: filed already (a replayed cookie), too late, or the last one allowed."""
    table = PhoneVerification
    spent = db.session.execute(
        update(table).where(
            table.id == verified.verification_id, table.phone == verified.phone,
            table.purpose == VERIFICATION_PURPOSE, table.consumed_at.is_not(None),
            # Compared and incremented in one statement, so two requests with one cookie cannot both pass.
            table.uses == verified.uses, table.uses < MAX_COMPLAINTS_PER_VERIFICATION,
            or_(and_(table.uses == 0, table.consumed_at > now - VERIFIED_FOR),
                and_(table.uses > 0, table.last_used_at > now - MORE_COMPLAINTS_WITHIN)),
        ).values(uses=table.uses + 1, last_used_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:
        raise VerificationSpent(_("这次短信验证已经用过或已过期。请重新获取验证码后再提交投诉。"))
    uses = verified.uses + 1
    if uses >= MAX_COMPLAINTS_PER_VERIFICATION:
        return None
    return VerifiedPhone(verified.phone, verified.verification_id, uses, now + MORE_COMPLAINTS_WITHIN)
