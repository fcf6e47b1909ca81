"""Filing a complaint: what the consumer typed, the clause of the signed pledge it cites, the
tracking number, the secret case link and one complaint per form (and per SMS verification)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from registry.audit import services as audit
from registry.clock import china_date, utcnow
from registry.complaints import states
from registry.complaints.models import DEMANDS, Complaint, EvidencePhoto
from registry.complaints.timeline import add_event, complaint_changed
from registry.complaints.verification import VerificationSpent, VerifiedPhone, spend_verification
from registry.errors import DomainError, InvalidFields, NotPermitted
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.phones import InvalidIdentifier, validate_mobile
from registry.pledges.models import OTHER_CLAUSE, PledgeClause, PledgeVersion
from registry.pledges.signing import latest_signature
from registry.pledges.versions import current_version
from registry.uploads import ProcessedImage
from registry.workdays.calendar import deadline
from registry.web import public_base_url

DECISION_WORKING_DAYS = 7
MAX_DESCRIPTION = 2000
MIN_DESCRIPTION = 10
MAX_AMOUNT_CENTS = 100_000_000 * 100
# Purchases older than this are outside what the association handles online.
MAX_PURCHASE_AGE_DAYS = 3 * 365


@dataclass
class ComplaintInput:
    """What the consumer typed; validated by file_complaint.

    `clause` is the number of the clause cited in the pledge the shop signed (see pledge_cited), or
    OTHER_CLAUSE for a problem none of its clauses covers.
    """

    clause: int | str
    description: str
    purchase_date: date | None
    amount_cents: int | None
    demands: list[str]
    consumer_name: str
    consumer_phone: str
    privacy_consent: bool
    share_phone_consent: bool


def pledge_cited(merchant: Merchant) -> PledgeVersion | None:
    """The pledge a complaint against `merchant` cites: the version it signed last, or the current
    version when it has signed none (None when nothing was ever published)."""
    signature = latest_signature(merchant)
    return signature.pledge_version if signature is not None else current_version()


def _cited_clause(version: PledgeVersion | None, clause: int | str) -> PledgeClause | None:
    """The clause `clause` names in `version`, None for OTHER_CLAUSE; refuses a clause not in it."""
    if clause == OTHER_CLAUSE:
        return None
    number = str(clause)
    for candidate in version.clauses if version is not None else ():
        if number == str(candidate.number):
            return candidate
    raise DomainError(_("请选择商家违反了哪一条承诺。"), field="clause")


def case_token(submission_key: str) -> str:
    """The secret in the consumer's case link, derived from the form's one-time key.

    Deriving it (instead of storing it) lets a double-submitted form show the same link twice
    while the database keeps only its hash.
    """
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"complaint-link:" + submission_key.encode(), hashlib.sha256).hexdigest()[:32]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def case_token_of(complaint: Complaint) -> str | None:
    """The secret of the consumer's case link, derived again from the complaint's submission key;
    None when the case's link was not made that way (its secret is then not known here)."""
    if not complaint.submission_key:
        return None
    token = case_token(complaint.submission_key)
    return token if token_hash(token) == complaint.access_token_hash else None


def case_link(complaint: Complaint) -> str | None:
    """The full case link, for the texts sent to the complaint's own phone (complaints/notices.py).

    Never stored, logged or shown to anyone but the person holding that phone (the text, and the
    "我的投诉" page after an SMS code to it).
    """
    token = case_token_of(complaint)
    return f"{public_base_url()}/c/{token}" if token else None


def complaint_by_token(token: str) -> Complaint | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Complaint).where(Complaint.access_token_hash == token_hash(token)))


def complaint_by_submission_key(key: str) -> Complaint | None:
    return db.session.scalar(select(Complaint).where(Complaint.submission_key == key))


def next_tracking_number(now: datetime) -> str:
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


def fact_problems(description: str | None, purchase_date: date | None, amount_cents: int | None,
                  demands: list[str], now: datetime) -> tuple[str, list[str], dict[str, str]]:
    """The facts every complaint must state, whoever typed them (online form or staff intake): the cleaned
    description and demands, and every problem at once, {field: message}."""
    problems: dict[str, str] = {}
    description = (description or "").strip()
    if len(description) < MIN_DESCRIPTION:
        problems["description"] = _("请用至少 %(count)d 个字说明发生了什么。", count=MIN_DESCRIPTION)
    elif len(description) > MAX_DESCRIPTION:
        problems["description"] = _("情况说明最多 %(count)d 个字。", count=MAX_DESCRIPTION)
    today = china_date(now)
    if purchase_date is None:
        problems["purchase_date"] = _("请填写购买或消费日期。")
    elif purchase_date > today:
        problems["purchase_date"] = _("购买日期不能晚于今天。")
    elif purchase_date < today - timedelta(days=MAX_PURCHASE_AGE_DAYS):
        problems["purchase_date"] = _("购买日期距今超过三年，请拨打 12315 咨询。")
    if amount_cents is None or amount_cents < 0 or amount_cents > MAX_AMOUNT_CENTS:
        problems["amount"] = _("请填写涉及金额（元），没有可填 0。")
    demands = [d for d in demands if d in DEMANDS]
    if not demands:
        problems["demands"] = _("请至少选择一项诉求。")
    return description, demands, problems


def validate_facts(description: str | None, purchase_date: date | None, amount_cents: int | None,
                   demands: list[str], now: datetime) -> tuple[str, list[str]]:
    """fact_problems, raising InvalidFields (every field at fault) when there are any."""
    description, demands, problems = fact_problems(description, purchase_date, amount_cents, demands, now)
    if problems:
        raise InvalidFields(problems)
    return description, demands


def _person_problems(data: ComplaintInput) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not " ".join((data.consumer_name or "").split()):
        problems["consumer_name"] = _("请填写您的姓名。")
    try:
        validate_mobile(data.consumer_phone)
    except InvalidIdentifier as error:
        problems["consumer_phone"] = error.message
    if not data.privacy_consent:
        problems["privacy_consent"] = _("请阅读个人信息处理说明并勾选同意，否则无法提交投诉。")
    return problems


def complaint_problems(merchant: Merchant, data: ComplaintInput, now: datetime) -> dict[str, str]:
    """Everything wrong with a consumer's complaint at once, {field: message} (empty when it may be filed):
    the form shows them all after one submit."""
    problems: dict[str, str] = {}
    try:
        _cited_clause(pledge_cited(merchant), data.clause if data.clause is not None else "")
    except DomainError as error:
        problems[error.field] = error.message
    problems.update(fact_problems(data.description, data.purchase_date, data.amount_cents, data.demands, now)[2])
    problems.update(_person_problems(data))
    return problems


def _validate(merchant: Merchant, data: ComplaintInput, now: datetime) -> ComplaintInput:
    """The complaint as stored (cleaned), or InvalidFields naming every field at fault."""
    problems = complaint_problems(merchant, data, now)
    if problems:
        raise InvalidFields(problems)
    description, demands, _none = fact_problems(data.description, data.purchase_date, data.amount_cents,
                                                data.demands, now)
    return ComplaintInput(data.clause, description, data.purchase_date, data.amount_cents, demands,
                          " ".join(data.consumer_name.split())[:64], validate_mobile(data.consumer_phone), True,
                          bool(data.share_phone_consent))


def store_photos(complaint: Complaint, photos: list[ProcessedImage]) -> None:
    """Keep checked evidence photos (or a scanned letter) of a flushed complaint, privately."""
    directory = Path(current_app.config["EVIDENCE_DIR"])
    for image in photos:
        db.session.add(EvidencePhoto.keep(image, directory, complaint_id=complaint.id))


def add_complaint(complaint: Complaint, submission_key: str) -> Complaint | None:
    """Insert a new complaint; None when the same form was posted twice at the same moment and the other
    request created it (then the caller answers with complaint_by_submission_key)."""
    try:
        # Added inside the savepoint: begin_nested() flushes what is pending *before* the SAVEPOINT,
        # so a complaint added earlier would fail outside it and leave the session unusable.
        with db.session.begin_nested():
            db.session.add(complaint)
            db.session.flush()
    except IntegrityError:
        if complaint_by_submission_key(submission_key) is None:
            raise
        return None
    return complaint


def file_complaint(merchant: Merchant, data: ComplaintInput, photos: list[ProcessedImage], verified_phone: str | None,
                   submission_key: str) -> tuple[Complaint, str]:
    """File a complaint against a public shop; returns it and the secret for the case link.

    Submitting the same form twice (same submission key) returns the first complaint unchanged.
    """
    if not submission_key or len(submission_key) > 64:
        raise DomainError(_("表单已失效，请刷新页面后重新填写。"))
    existing = complaint_by_submission_key(submission_key)
    if existing is not None:
        return existing, case_token(submission_key)
    if not merchant.is_public:
        raise NotPermitted(_("这家店铺尚未公示，不能在线投诉。"))
    now = utcnow()
    data = _validate(merchant, data, now)
    version = pledge_cited(merchant)
    clause = _cited_clause(version, data.clause)
    if verified_phone != data.consumer_phone:
        raise DomainError(_("请先用短信验证码确认这个手机号。"), field="consumer_phone")
    if len(photos) > 6:
        raise DomainError(_("最多上传 6 张照片。"), field="photos")

    token = case_token(submission_key)
    clock = deadline(now, DECISION_WORKING_DAYS)
    complaint = Complaint(
        tracking_number=next_tracking_number(now), merchant_id=merchant.id,
        pledge_version_id=version.id if version is not None else None,
        clause_number=clause.number if clause is not None else None,
        clause_kind=clause.kind if clause is not None else OTHER_CLAUSE,
        description=data.description, purchase_date=data.purchase_date, amount_cents=data.amount_cents,
        demands=",".join(data.demands), consumer_name=data.consumer_name, consumer_phone=data.consumer_phone,
        privacy_consent_at=now, share_phone_consent_at=now if data.share_phone_consent else None,
        access_token_hash=token_hash(token), submission_key=submission_key, status=states.FILED, filed_at=now,
        received_on=china_date(now), channel="online", consent_kind="online", due_date=clock.due, due_uses_fallback=clock.uses_fallback,
    )
    if add_complaint(complaint, submission_key) is None:
        # The same form arrived twice at the same moment; the other request created it.
        return complaint_by_submission_key(submission_key), token
    store_photos(complaint, photos)
    add_event(complaint, "filed", "consumer", None, None, public=False,
               consents={"privacy": True, "share_phone": data.share_phone_consent}, photos=len(photos))
    db.session.flush()
    audit.record("complaint.filed", complaint, None, tracking_number=complaint.tracking_number,
                 merchant_id=merchant.id, clause=complaint.clause_kind)
    complaint_changed.send(complaint, action="file", actor=None)
    return complaint, token


def file_verified_complaint(merchant: Merchant, data: ComplaintInput, photos: list[ProcessedImage],
                            verified: VerifiedPhone, submission_key: str
                            ) -> tuple[Complaint, str, VerifiedPhone | None]:
    """file_complaint for a consumer whose session holds a verified phone: spends one use of the
    verification (see spend_verification). Returns the complaint, its case-link secret and what the
    session keeps for another complaint (None: a new code is needed)."""
    existing = complaint_by_submission_key(submission_key) if submission_key else None
    if existing is not None:
        # The same form twice (a double click): the first filing spent the use; this one files nothing.
        return existing, case_token(submission_key), None
    try:
        following = spend_verification(verified, utcnow())
    except VerificationSpent:
        # Two posts of one form at once: the other request spent the use (the update waited for it)
        # and filed the complaint; answer with that complaint, as file_complaint does.
        existing = complaint_by_submission_key(submission_key) if submission_key else None
        if existing is None:
            raise
        return existing, case_token(submission_key), None
    complaint, token = file_complaint(merchant, data, photos, verified.phone, submission_key)
    return complaint, token, following
