"""Complaint rules: filing, the staff decisions, the shop's reply and the consumer's answers.

Every status change goes through `_apply` and the table in complaints.states; services flush and
never commit; staff decisions are written to the audit chain with the acting officer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from registry.auth.access import require_district
from registry.audit import services as audit
from registry.auth.models import User
from registry.complaints import figures, states
from registry.complaints.labels import ACTION_LABELS, CLAUSE_LABELS, STATUS_LABELS
from registry.uploads import ProcessedImage, store_image
from registry.complaints.models import CLAUSE_KINDS, DEMANDS, REFUSAL_GROUNDS, Complaint, ComplaintEvent, EvidencePhoto
from registry.messaging.verification import PhoneVerification
from registry.clock import utcnow
from registry.errors import Conflict, DomainError, InvalidTransition, NotPermitted
from registry.extensions import db
from registry.phones import InvalidIdentifier, validate_mobile
from registry.merchants.models import Merchant
from registry.messaging.models import OutboxMessage
from registry.clock import china_date
from registry.workdays.services import deadline

DECISION_WORKING_DAYS = 7
REPLY_WORKING_DAYS = 10
MEDIATION_WORKING_DAYS = 45
MAX_DESCRIPTION = 2000
MIN_DESCRIPTION = 10
MAX_AMOUNT_CENTS = 100_000_000 * 100
# Purchases older than this are outside what the association handles online.
MAX_PURCHASE_AGE_DAYS = 3 * 365
# Verification codes and sent SMS are kept a week (to answer "I never got the code"), then deleted.
SMS_RECORD_RETENTION_DAYS = 7

_signals = Namespace()
# Sent after every status change, sender=complaint, action=..., actor=...; moderation (flags)
# listens, so complaints never import it.
complaint_changed = _signals.signal("complaint-changed")


@dataclass
class ComplaintInput:
    """What the consumer typed; validated by file_complaint."""

    clause_kind: str
    description: str
    purchase_date: date | None
    amount_cents: int | None
    demands: list[str]
    consumer_name: str
    consumer_phone: str
    privacy_consent: bool
    share_phone_consent: bool


def _case_token(submission_key: str) -> str:
    """The secret in the consumer's case link, derived from the form's one-time key.

    Deriving it (instead of storing it) lets a double-submitted form show the same link twice
    while the database keeps only its hash.
    """
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"complaint-link:" + submission_key.encode(), hashlib.sha256).hexdigest()[:32]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def complaint_by_token(token: str) -> Complaint | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Complaint).where(Complaint.access_token_hash == _token_hash(token)))


def complaint_by_submission_key(key: str) -> Complaint | None:
    return db.session.scalar(select(Complaint).where(Complaint.submission_key == key))


def _next_tracking_number(now: datetime) -> str:
    """TS + China date + per-day sequence, e.g. TS20261128-0042."""
    prefix = f"TS{china_date(now):%Y%m%d}-"
    if db.session.get_bind().dialect.name == "postgresql":
        # Two filings at once would read the same last number; the lock orders them.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int(prefix[2:10])})
    # The longest, then the greatest: as text, "-9999" sorts after "-10000".
    last = db.session.scalar(
        # A range on the unique index ("-" < "."), not LIKE: SQLite cannot use an index for
        # LIKE ? || '%' and would scan every complaint while holding the write lock.
        select(Complaint.tracking_number)
        .where(Complaint.tracking_number >= prefix, Complaint.tracking_number < prefix[:-1] + ".")
        .order_by(func.length(Complaint.tracking_number).desc(), Complaint.tracking_number.desc()).limit(1)
    )
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


def _validate(data: ComplaintInput, now: datetime) -> ComplaintInput:
    if data.clause_kind not in CLAUSE_KINDS:
        raise DomainError(_("请选择商家违反了哪一条承诺。"), field="clause_kind")
    description = (data.description or "").strip()
    if len(description) < MIN_DESCRIPTION:
        raise DomainError(_("请用至少 %(count)d 个字说明发生了什么。", count=MIN_DESCRIPTION), field="description")
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(_("情况说明最多 %(count)d 个字。", count=MAX_DESCRIPTION), field="description")
    today = china_date(now)
    if data.purchase_date is None:
        raise DomainError(_("请填写购买或消费日期。"), field="purchase_date")
    if data.purchase_date > today:
        raise DomainError(_("购买日期不能晚于今天。"), field="purchase_date")
    if data.purchase_date < today - timedelta(days=MAX_PURCHASE_AGE_DAYS):
        raise DomainError(_("购买日期距今超过三年，请拨打 12315 咨询。"), field="purchase_date")
    if data.amount_cents is None or data.amount_cents < 0 or data.amount_cents > MAX_AMOUNT_CENTS:
        raise DomainError(_("请填写涉及金额（元），没有可填 0。"), field="amount")
    demands = [d for d in data.demands if d in DEMANDS]
    if not demands:
        raise DomainError(_("请至少选择一项诉求。"), field="demands")
    name = " ".join((data.consumer_name or "").split())
    if not name:
        raise DomainError(_("请填写您的姓名。"), field="consumer_name")
    try:
        phone = validate_mobile(data.consumer_phone)
    except InvalidIdentifier as error:
        raise DomainError(error.message, field="consumer_phone") from error
    if not data.privacy_consent:
        raise DomainError(_("请阅读个人信息处理说明并勾选同意，否则无法提交投诉。"), field="privacy_consent")
    return ComplaintInput(data.clause_kind, description, data.purchase_date, data.amount_cents, demands, name[:64],
                          phone, True, bool(data.share_phone_consent))


def file_complaint(merchant: Merchant, data: ComplaintInput, photos: list[ProcessedImage], verified_phone: str | None,
                   submission_key: str) -> tuple[Complaint, str]:
    """File a complaint against a public shop; returns it and the secret for the case link.

    Submitting the same form twice (same submission key) returns the first complaint unchanged.
    """
    if not submission_key or len(submission_key) > 64:
        raise DomainError(_("表单已失效，请刷新页面后重新填写。"))
    existing = complaint_by_submission_key(submission_key)
    if existing is not None:
        return existing, _case_token(submission_key)
    if not merchant.is_public:
        raise NotPermitted(_("这家店铺尚未公示，不能在线投诉。"))
    now = utcnow()
    data = _validate(data, now)
    if verified_phone != data.consumer_phone:
        raise DomainError(_("请先用短信验证码确认这个手机号。"), field="consumer_phone")
    if len(photos) > 6:
        raise DomainError(_("最多上传 6 张照片。"), field="photos")

    token = _case_token(submission_key)
    clock = deadline(now, DECISION_WORKING_DAYS)
    complaint = Complaint(
        tracking_number=_next_tracking_number(now), merchant_id=merchant.id, clause_kind=data.clause_kind,
        description=data.description, purchase_date=data.purchase_date, amount_cents=data.amount_cents,
        demands=",".join(data.demands), consumer_name=data.consumer_name, consumer_phone=data.consumer_phone,
        privacy_consent_at=now, share_phone_consent_at=now if data.share_phone_consent else None,
        access_token_hash=_token_hash(token), submission_key=submission_key, status=states.FILED, filed_at=now,
        due_date=clock.due, due_uses_fallback=clock.uses_fallback,
    )
    try:
        # Added inside the savepoint: begin_nested() flushes what is pending *before* the SAVEPOINT,
        # so a complaint added earlier would fail outside it and leave the session unusable.
        with db.session.begin_nested():
            db.session.add(complaint)
            db.session.flush()
    except IntegrityError:
        # The same form arrived twice at the same moment; the other request created it.
        existing = complaint_by_submission_key(submission_key)
        if existing is None:
            raise
        return existing, token
    directory = Path(current_app.config["EVIDENCE_DIR"])
    for image in photos:
        db.session.add(EvidencePhoto(
            complaint_id=complaint.id, stored_name=store_image(image, directory),
            original_filename=image.original_filename, content_type=image.content_type, width=image.width,
            height=image.height, size_bytes=len(image.data), sha256=image.sha256,
        ))
    _add_event(complaint, "filed", "consumer", None, None, public=False,
               consents={"privacy": True, "share_phone": data.share_phone_consent}, photos=len(photos))
    db.session.flush()
    audit.record("complaint.filed", complaint, None, tracking_number=complaint.tracking_number,
                 merchant_id=merchant.id, clause=data.clause_kind)
    complaint_changed.send(complaint, action="file", actor=None)
    return complaint, token


# --- One SMS verification, one complaint ------------------------------------------------------------
#
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


def file_verified_complaint(merchant: Merchant, data: ComplaintInput, photos: list[ProcessedImage],
                            verified: VerifiedPhone, submission_key: str
                            ) -> tuple[Complaint, str, VerifiedPhone | None]:
    """file_complaint for a consumer whose session holds a verified phone: spends one use of the
    verification (see spend_verification). Returns the complaint, its case-link secret and what the
    session keeps for another complaint (None: a new code is needed)."""
    existing = complaint_by_submission_key(submission_key) if submission_key else None
    if existing is not None:
        # The same form twice (a double click): the first filing spent the use; this one files nothing.
        return existing, _case_token(submission_key), None
    try:
        following = spend_verification(verified, utcnow())
    except VerificationSpent:
        # Two posts of one form at once: the other request spent the use (the update waited for it)
        # and filed the complaint; answer with that complaint, as file_complaint does.
        existing = complaint_by_submission_key(submission_key) if submission_key else None
        if existing is None:
            raise
        return existing, _case_token(submission_key), None
    complaint, token = file_complaint(merchant, data, photos, verified.phone, submission_key)
    return complaint, token, following


def _add_event(complaint: Complaint, kind: str, actor_role: str, actor: User | None, body: str | None,
               public: bool, **data) -> ComplaintEvent:
    event = ComplaintEvent(complaint=complaint, kind=kind, actor_role=actor_role,
                           actor_id=actor.id if actor is not None else None, body=body,
                           data=json.dumps(data, ensure_ascii=False, sort_keys=True, default=str), is_public=public)
    db.session.add(event)
    return event




def _apply(complaint: Complaint, action: str, actor_role: str, expected_version: int | None) -> str:
    """Check the transition (and the form's version) and move the complaint; returns the old status."""
    if expected_version is not None and complaint.version != expected_version:
        raise Conflict(_("这件投诉刚刚已被他人处理（%(tracking)s），请刷新页面查看最新进展。",
                         tracking=complaint.tracking_number))
    new_status = states.next_status(action, complaint.status, actor_role)
    if new_status is None:
        raise InvalidTransition(_("投诉当前状态（%(status)s）下不能执行“%(action)s”。",
                                  status=STATUS_LABELS[complaint.status], action=ACTION_LABELS[action]))
    old_status = complaint.status
    complaint.status = new_status
    return old_status


def _flush_or_conflict(complaint: Complaint) -> None:
    # Read before flushing: after a failed flush the session refuses to load anything until rolled back.
    tracking_number = complaint.tracking_number
    try:
        with db.session.begin_nested():
            db.session.flush()
    except StaleDataError as error:
        raise Conflict(_("这件投诉刚刚已被他人处理（%(tracking)s），请刷新页面查看最新进展。",
                         tracking=tracking_number)) from error


def _set_clock(complaint: Complaint, start: datetime, working_days: int | None) -> None:
    if working_days is None:
        complaint.due_date, complaint.due_uses_fallback = None, False
        return
    # Reading the calendar must not autoflush the half-made change: a concurrent update would then
    # raise StaleDataError here, outside _flush_or_conflict, and reach the user as a 500.
    with db.session.no_autoflush:
        clock = deadline(start, working_days)
    complaint.due_date, complaint.due_uses_fallback = clock.due, clock.uses_fallback


def require_staff_scope(complaint: Complaint, staff: User) -> None:
    """Staff limited to a district act only on complaints against shops in that district."""
    require_district(staff, complaint.merchant.district, _("这件投诉不在您负责的区县。"))


def _staff_action(complaint: Complaint, staff: User, action: str, expected_version: int | None) -> str:
    require_staff_scope(complaint, staff)
    return _apply(complaint, action, "staff", expected_version)


def _finish(complaint: Complaint, action: str, actor: User | None, old_status: str, **audit_data) -> None:
    _flush_or_conflict(complaint)
    # The QR page's stored 12-month figures follow every move of a case (complaints.figures).
    figures.refresh([complaint.merchant_id], utcnow())
    if actor is not None and actor.is_staff:
        audit.record(f"complaint.{action}", complaint, actor, tracking_number=complaint.tracking_number,
                     old=old_status, new=complaint.status, **audit_data)
    complaint_changed.send(complaint, action=action, actor=actor)


def accept_complaint(complaint: Complaint, staff: User, expected_version: int | None, public_summary: str) -> None:
    """Accept and forward to the shop, which then has 10 working days to reply; the case becomes public."""
    summary = " ".join((public_summary or "").split())
    if not summary:
        raise DomainError(_("请填写公开摘要（不含消费者姓名、电话等个人信息）。"), field="public_summary")
    if len(summary) > 200:
        raise DomainError(_("公开摘要最多 200 个字。"), field="public_summary")
    old = _staff_action(complaint, staff, "accept", expected_version)
    now = utcnow()
    complaint.decided_at = now
    complaint.public_summary = summary
    _set_clock(complaint, now, REPLY_WORKING_DAYS)
    _add_event(complaint, "accepted", "staff", staff, None, public=True)
    _add_event(complaint, "forwarded", "system", None, None, public=False, reply_due=complaint.due_date)
    _finish(complaint, "accept", staff, old)


def refuse_complaint(complaint: Complaint, staff: User, expected_version: int | None, ground: str,
                     explanation: str) -> None:
    """Decline with one of the statutory grounds; the consumer is shown where to turn instead."""
    if ground not in REFUSAL_GROUNDS:
        raise DomainError(_("请选择不予受理的依据。"), field="ground")
    explanation = (explanation or "").strip()
    if not explanation:
        raise DomainError(_("请向消费者说明不予受理的原因。"), field="explanation")
    old = _staff_action(complaint, staff, "refuse", expected_version)
    now = utcnow()
    complaint.decided_at = complaint.closed_at = now
    complaint.refusal_ground = ground
    _set_clock(complaint, now, None)
    _add_event(complaint, "refused", "staff", staff, explanation, public=False, ground=ground)
    _finish(complaint, "refuse", staff, old, ground=ground)


def merchant_reply(complaint: Complaint, owner: User, body: str, offer: str | None,
                   offer_amount_cents: int | None) -> None:
    """The shop answers publicly and may offer a resolution the consumer can accept or reject."""
    if complaint.merchant.owner_id != owner.id:
        raise NotPermitted(_("这不是针对您店铺的投诉。"))
    body = (body or "").strip()
    if len(body) < 5:
        raise DomainError(_("请填写回复内容（至少 5 个字）。"), field="body")
    if len(body) > MAX_DESCRIPTION:
        raise DomainError(_("回复最多 %(count)d 个字。", count=MAX_DESCRIPTION), field="body")
    if offer_amount_cents is not None and not 0 <= offer_amount_cents <= MAX_AMOUNT_CENTS:
        raise DomainError(_("金额不正确。"), field="offer_amount")
    old = _apply(complaint, "merchant_reply", "merchant", None)
    now = utcnow()
    if complaint.first_reply_at is None:
        complaint.first_reply_at = now
    if complaint.status == states.REPLIED:
        # Waiting for the consumer; the overall mediation window keeps running.
        _set_clock(complaint, complaint.decided_at or now, MEDIATION_WORKING_DAYS)
    offer = (offer or "").strip() or None
    _add_event(complaint, "merchant_replied", "merchant", owner, body, public=True, offer=offer,
               offer_amount_cents=offer_amount_cents)
    _finish(complaint, "merchant_reply", owner, old)


def latest_offer(complaint: Complaint) -> ComplaintEvent | None:
    for event in reversed(complaint.events):
        if event.kind == "merchant_replied":
            return event
    return None


def respond_to_offer(complaint: Complaint, accept: bool, comment: str) -> None:
    """The consumer accepts the shop's answer (case closed by agreement) or asks for mediation."""
    comment = (comment or "").strip()[:MAX_DESCRIPTION]
    old = _apply(complaint, "accept_offer" if accept else "reject_offer", "consumer", None)
    now = utcnow()
    if accept:
        offer = latest_offer(complaint)
        amount = json.loads(offer.data).get("offer_amount_cents") if offer else None
        complaint.outcome = states.AGREED
        complaint.amount_recovered_cents = amount or 0
        complaint.closed_at = now
        _set_clock(complaint, now, None)
        _add_event(complaint, "consumer_accepted", "consumer", None, comment or None, public=True)
        _add_event(complaint, "closed", "system", None, None, public=True, outcome=states.AGREED)
    else:
        _set_clock(complaint, complaint.decided_at or now, MEDIATION_WORKING_DAYS)
        _add_event(complaint, "consumer_rejected", "consumer", None, comment or None, public=False)
    _finish(complaint, "accept_offer" if accept else "reject_offer", None, old)


def schedule_mediation(complaint: Complaint, staff: User, expected_version: int | None, when: datetime | None,
                       place: str, note: str) -> None:
    """Staff arrange mediation; it must end within 45 working days of acceptance."""
    if when is None:
        raise DomainError(_("请填写调解时间。"), field="when")
    place = (place or "").strip()
    if not place:
        raise DomainError(_("请填写调解地点或方式（如：电话调解）。"), field="place")
    old = _staff_action(complaint, staff, "schedule_mediation", expected_version)
    now = utcnow()
    complaint.mediation_started_at = complaint.mediation_started_at or now
    _set_clock(complaint, complaint.decided_at or now, MEDIATION_WORKING_DAYS)
    _add_event(complaint, "mediation_scheduled", "staff", staff, (note or "").strip() or None, public=False,
               when=when.isoformat(), place=place)
    _finish(complaint, "schedule_mediation", staff, old, when=when.isoformat())


def record_mediation(complaint: Complaint, staff: User, expected_version: int | None, succeeded: bool,
                     amount_recovered_cents: int | None, terms: str) -> None:
    """Close a mediation: agreement with the amount recovered, or failure with the paths onward."""
    terms = (terms or "").strip()
    if not terms:
        raise DomainError(_("请填写调解结果说明。"), field="terms")
    if succeeded and (amount_recovered_cents is None or not 0 <= amount_recovered_cents <= MAX_AMOUNT_CENTS):
        raise DomainError(_("请填写为消费者挽回的经济损失（元），没有可填 0。"), field="amount_recovered")
    action = "record_mediated" if succeeded else "record_failed"
    old = _staff_action(complaint, staff, action, expected_version)
    now = utcnow()
    complaint.outcome = states.MEDIATED if succeeded else states.FAILED
    complaint.amount_recovered_cents = amount_recovered_cents if succeeded else 0
    complaint.closed_at = now
    _set_clock(complaint, now, None)
    _add_event(complaint, "mediated" if succeeded else "mediation_failed", "staff", staff, terms, public=False,
               amount_recovered_cents=complaint.amount_recovered_cents)
    _add_event(complaint, "closed", "system", None, None, public=True, outcome=complaint.outcome)
    _finish(complaint, action, staff, old, outcome=complaint.outcome,
            amount_recovered_cents=complaint.amount_recovered_cents)


def add_information(complaint: Complaint, body: str) -> None:
    """The consumer adds facts or corrects the complaint; the original text is never edited."""
    body = (body or "").strip()
    if not body:
        raise DomainError(_("请填写补充内容。"), field="body")
    if len(body) > MAX_DESCRIPTION:
        raise DomainError(_("补充内容最多 %(count)d 个字。", count=MAX_DESCRIPTION), field="body")
    old = _apply(complaint, "add_information", "consumer", None)
    _add_event(complaint, "consumer_added", "consumer", None, body, public=False)
    _finish(complaint, "add_information", None, old)


def withdraw_complaint(complaint: Complaint, reason: str) -> None:
    old = _apply(complaint, "withdraw", "consumer", None)
    now = utcnow()
    complaint.closed_at = now
    _set_clock(complaint, now, None)
    _add_event(complaint, "withdrawn", "consumer", None, (reason or "").strip()[:MAX_DESCRIPTION] or None,
               public=complaint.is_public)
    _finish(complaint, "withdraw", None, old)


def answer_followup(complaint: Complaint, resolved: bool | None, satisfaction: int | None, comment: str) -> None:
    """The 回访 survey after closing: once per complaint."""
    if complaint.followup_at is not None:
        raise Conflict(_("您已经填写过回访，感谢反馈。"))
    if resolved is None:
        raise DomainError(_("请选择问题是否已经解决。"), field="resolved")
    if satisfaction is None or not 1 <= satisfaction <= 5:
        raise DomainError(_("请选择满意程度。"), field="satisfaction")
    old = _apply(complaint, "followup", "consumer", None)
    complaint.followup_resolved = resolved
    complaint.followup_satisfaction = satisfaction
    complaint.followup_at = utcnow()
    _add_event(complaint, "followup", "consumer", None, (comment or "").strip()[:MAX_DESCRIPTION] or None,
               public=False, resolved=resolved, satisfaction=satisfaction)
    _finish(complaint, "followup", None, old)


def add_staff_note(complaint: Complaint, staff: User, body: str) -> None:
    body = (body or "").strip()
    if not body:
        raise DomainError(_("请填写备注内容。"), field="body")
    old = _staff_action(complaint, staff, "staff_note", None)
    _add_event(complaint, "staff_note", "staff", staff, body, public=False)
    _finish(complaint, "staff_note", staff, old)


def can_act(complaint: Complaint, action: str, actor_role: str) -> bool:
    """Whether the page should offer this action now."""
    return states.next_status(action, complaint.status, actor_role) is not None


def suggested_summary(complaint: Complaint) -> str:
    """A starting point for the public summary: the clause and the first words of the account.

    Staff edit it before accepting; it must not carry the consumer's identity.
    """
    text = " ".join(complaint.description.split())
    return f"{CLAUSE_LABELS[complaint.clause_kind]}：{text[:60]}{'…' if len(text) > 60 else ''}"


# Non-public events a party still needs to see: the shop must know of a mediation meeting and
# that the consumer turned its offer down; internal staff notes are for staff only.
_MERCHANT_ALSO_SEES = {"mediation_scheduled", "consumer_rejected", "forwarded"}


def visible_events(complaint: Complaint, audience: str) -> list[ComplaintEvent]:
    """The timeline as `audience` (consumer, merchant or staff) may see it."""
    if audience == "staff":
        return list(complaint.events)
    if audience == "consumer":
        return [e for e in complaint.events if e.kind != "staff_note"]
    return [e for e in complaint.events if e.is_public or e.kind in _MERCHANT_ALSO_SEES]


def purge_expired_contact_details(now: datetime | None = None) -> int:
    """Delete complainants' phone numbers N months after their case ended (the complaint text stays).

    Personal data is kept no longer than the purpose needs (PIPL art. 19); the notice on the
    complaint form promises this period.
    """
    now = now or utcnow()
    months = current_app.config["COMPLAINANT_PHONE_RETENTION_MONTHS"]
    cutoff = now - timedelta(days=round(months * 30.44))
    expired = list(db.session.scalars(
        select(Complaint).where(Complaint.status.in_(states.FINAL_STATUSES), Complaint.closed_at < cutoff,
                                Complaint.consumer_phone.is_not(None))
    ))
    for complaint in expired:
        complaint.consumer_phone = None
        _add_event(complaint, "contact_purged", "system", None, None, public=False)
    # One-time codes and the SMS outbox hold phone numbers too; they are only needed for minutes.
    message_cutoff = now - timedelta(days=SMS_RECORD_RETENTION_DAYS)
    db.session.execute(delete(PhoneVerification).where(PhoneVerification.created_at < message_cutoff))
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.created_at < message_cutoff))
    db.session.flush()
    return len(expired)
