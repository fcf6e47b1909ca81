"""Staff register a complaint on a consumer's behalf: received by phone (来电), letter (来信), visit (来访)
or another platform (网络), against a registered shop or a business not in the registry.

The complaint enters the same state machine and legal clocks as one filed online (status "filed", the
7-working-day decision clock), and sends the same `complaint_changed` signal with action "file", so
everything listening for a new complaint (moderation's rules, the consumer's SMS) hears both paths. It
needs no SMS verification: the officer vouches for the consumer, records how consent was given (verbally
or in writing) and is named on the timeline and in the audit chain.

The received date may be the letter's date (or the day of the call or visit) when it is registered
later: not in the future, and not more than MAX_RECEIVED_AGE_DAYS before today. The decision clock
starts from it, so registering a letter late cannot give the association more time than the law does;
a month covers postal delay and a holiday backlog, while older dates would mostly be typing mistakes
(a wrong year) that would make the case overdue at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select

from registry.areas import services as areas
from registry.audit import services as audit
from registry.auth.access import in_district, require_district
from registry.auth.models import User
from registry.clock import china_date, utcnow
from registry.complaints import figures, states
from registry.complaints.filing import (DECISION_WORKING_DAYS, add_complaint, case_token,
                                        complaint_by_submission_key, next_tracking_number, pledge_cited,
                                        store_photos, token_hash, validate_facts)
from registry.complaints.models import CLAUSE_KINDS, CONSENT_KINDS, STAFF_CHANNELS, Complaint, UnlistedBusiness
from registry.complaints.timeline import add_event, complaint_changed
from registry.consultations.models import Consultation
from registry.consultations.services import consultation_for
from registry.errors import DomainError, NotPermitted
from registry.extensions import db
from registry.merchants.identifiers import normalize_credit_code
from registry.merchants.models import Merchant
from registry.phones import InvalidIdentifier, validate_mobile
from registry.pledges.models import OTHER_CLAUSE
from registry.pledges.signing import latest_signature
from registry.uploads import ProcessedImage
from registry.workdays.calendar import deadline

MAX_RECEIVED_AGE_DAYS = 30
MAX_PHOTOS = 6
# The consultation's channel as a complaint's: its "online" (网络) is another platform, not the QR form.
CONSULTATION_CHANNEL = {"visit": "visit", "phone": "phone", "letter": "letter", "online": "network"}


@dataclass
class BusinessInput:
    """A business not in the registry, as far as the consumer could tell."""

    name: str
    address: str
    credit_code: str
    district: str
    township: str


@dataclass
class IntakeInput:
    """What the officer typed; checked by register_complaint. `shop` names a registered shop (its credit
    code, the code on its QR badge, or its exact name); with `business` given, the complaint is about
    that business not in the registry instead."""

    channel: str
    received_on: date | None
    consumer_name: str
    consumer_phone: str
    consumer_address: str
    consent_kind: str
    shop: str
    business: BusinessInput | None
    clause_kind: str
    description: str
    purchase_date: date | None
    amount_cents: int | None
    demands: list[str]


def _words(value: str | None) -> str:
    return " ".join((value or "").split())


def find_shop(text: str, staff: User) -> Merchant:
    """The registered shop `text` names within the officer's district: credit code, badge code or exact name."""
    text = _words(text)
    if not text:
        raise DomainError(_("请填写被投诉商家的名称、统一社会信用代码或二维码编号。"), field="shop")
    code = normalize_credit_code(text)
    statement = in_district(select(Merchant).where(or_(
        Merchant.credit_code == code, Merchant.public_code == text, Merchant.name == text)), staff, Merchant.district)
    found = list(db.session.scalars(statement.order_by(Merchant.id).limit(3)))
    if not found:
        raise DomainError(_("名录中没有找到“%(shop)s”（只查您负责的区县）。如果这家经营者不在名录中，请选择“不在名录中的经营者”"
                            "并填写名称和地址。", shop=text[:40]), field="shop")
    if len(found) > 1:
        raise DomainError(_("有多家商家叫“%(shop)s”，请改填统一社会信用代码。", shop=text[:40]), field="shop")
    return found[0]


def _checked_business(data: BusinessInput | None, staff: User) -> BusinessInput:
    if data is None or not _words(data.name):
        raise DomainError(_("请填写被投诉经营者的名称。"), field="business_name")
    name, address = _words(data.name), _words(data.address)
    if len(name) > 100:
        raise DomainError(_("名称最多 %(count)d 个字。", count=100), field="business_name")
    if len(address) > 200:
        raise DomainError(_("地址最多 %(count)d 个字。", count=200), field="business_address")
    credit_code = normalize_credit_code(data.credit_code)
    if credit_code and len(credit_code) != 18:
        raise DomainError(_("统一社会信用代码应为 18 位；不知道可以不填。"), field="business_credit_code")
    if credit_code and db.session.scalar(select(Merchant.id).where(Merchant.credit_code == credit_code)):
        raise DomainError(_("这个统一社会信用代码的商家已在名录中，请在“名录中的商家”里选择它。"),
                          field="business_credit_code")
    area_list = areas.load_areas()
    try:
        # Staff limited to a district register for that district, whatever the form says.
        district = area_list.named(staff.district) if staff.district else area_list.find_district(data.district)
        if district is None:
            raise DomainError(_("您负责的区县不在区县名单中，请联系管理员。"), field="district")
        township = area_list.find_township(district, data.township).name if _words(data.township) else ""
    except DomainError as error:
        # The areas list names its fields "district"/"township"; on this form they are the business's.
        raise DomainError(error.message, field=f"business_{error.field}") from error
    return BusinessInput(name, address, credit_code, district.name, township)


def _received_on(received_on: date | None, purchase_date: date | None, now: datetime) -> date:
    today = china_date(now)
    received_on = received_on or today
    if received_on > today:
        raise DomainError(_("收到日期不能晚于今天。"), field="received_on")
    if received_on < today - timedelta(days=MAX_RECEIVED_AGE_DAYS):
        raise DomainError(_("收到日期最早只能是 %(days)d 天前（%(date)s）；更早收到的投诉请按今天登记，并在情况说明里写明。",
                            days=MAX_RECEIVED_AGE_DAYS, date=(today - timedelta(days=MAX_RECEIVED_AGE_DAYS)).isoformat()),
                          field="received_on")
    if purchase_date is not None and received_on < purchase_date:
        raise DomainError(_("收到日期不能早于购买日期。"), field="received_on")
    return received_on


def _contact(data: IntakeInput) -> tuple[str | None, str | None, str | None]:
    name, address = _words(data.consumer_name)[:64] or None, _words(data.consumer_address) or None
    phone = None
    if _words(data.consumer_phone):
        try:
            phone = validate_mobile(data.consumer_phone)
        except InvalidIdentifier as error:
            raise DomainError(error.message, field="consumer_phone") from error
    if address and len(address) > 200:
        raise DomainError(_("地址最多 %(count)d 个字。", count=200), field="consumer_address")
    if phone is None and address is None:
        raise DomainError(_("请至少留下消费者的手机号或通信地址，以便告知处理进展和结果。"), field="consumer_phone")
    return name, phone, address


def _clause(merchant: Merchant | None, kind: str):
    """(pledge version, clause) a complaint against `merchant` cites for a problem of `kind`: a clause
    of the version the shop signed, or "other" (no clause) when it signed none or is not registered."""
    if kind not in CLAUSE_KINDS:
        raise DomainError(_("请选择商家违反了哪一条承诺。"), field="clause")
    if merchant is None:
        return None, None
    signature = latest_signature(merchant)
    if signature is None or kind == OTHER_CLAUSE:
        return pledge_cited(merchant), None
    version = signature.pledge_version
    clause = next((c for c in version.clauses if c.kind == kind), None)
    if clause is None:
        raise DomainError(_("这家商家签署的承诺里没有这一条，请选择“其他问题”。"), field="clause")
    return version, clause


def register_complaint(staff: User, data: IntakeInput, photos: list[ProcessedImage], submission_key: str,
                       consultation: Consultation | None = None) -> tuple[Complaint, str]:
    """Register a complaint received by phone, letter, visit or another platform; returns it and the
    secret of the consumer's case link (the same form posted twice registers one complaint)."""
    if not staff.is_staff:
        raise NotPermitted(_("只有工作人员可以代为登记投诉。"))
    if not submission_key or len(submission_key) > 64:
        raise DomainError(_("表单已失效，请刷新页面后重新填写。"))
    existing = complaint_by_submission_key(submission_key)
    if existing is not None:
        return existing, case_token(submission_key)
    now = utcnow()
    if data.channel not in STAFF_CHANNELS:
        raise DomainError(_("请选择投诉是怎么收到的（来电、来信、来访或网络）。"), field="channel")
    if data.consent_kind not in CONSENT_KINDS[1:]:
        raise DomainError(_("请记录消费者同意处理其个人信息的方式（口头或书面）；没有同意不能登记。"), field="consent_kind")
    merchant = business = None
    if data.business is None:
        merchant = find_shop(data.shop, staff)
        require_district(staff, merchant.district, _("这家商家不在您负责的区县。"))
    else:
        checked = _checked_business(data.business, staff)
        require_district(staff, checked.district, _("这家经营者不在您负责的区县。"))
    version, clause = _clause(merchant, data.clause_kind)
    description, demands = validate_facts(data.description, data.purchase_date, data.amount_cents, data.demands, now)
    received_on = _received_on(data.received_on, data.purchase_date, now)
    name, phone, address = _contact(data)
    if len(photos) > MAX_PHOTOS:
        raise DomainError(_("最多上传 %(count)d 张照片或扫描件。", count=MAX_PHOTOS), field="photos")
    if consultation is not None and consultation.complaint_id is not None:
        raise DomainError(_("这条咨询已经转为投诉了。"))
    if merchant is None:
        business = UnlistedBusiness(name=checked.name, address=checked.address, credit_code=checked.credit_code or None,
                                    district=checked.district, township=checked.township or None,
                                    created_by_id=staff.id, created_at=now)
        db.session.add(business)
        db.session.flush()

    token = case_token(submission_key)
    clock = deadline(received_on, DECISION_WORKING_DAYS)
    complaint = Complaint(
        tracking_number=next_tracking_number(now), merchant_id=merchant.id if merchant else None,
        business_id=business.id if business else None, pledge_version_id=version.id if version is not None else None,
        clause_number=clause.number if clause is not None else None,
        clause_kind=clause.kind if clause is not None else OTHER_CLAUSE, description=description,
        purchase_date=data.purchase_date, amount_cents=data.amount_cents, demands=",".join(demands),
        consumer_name=name, consumer_phone=phone, consumer_address=address, channel=data.channel,
        received_on=received_on, registered_by_id=staff.id, consent_kind=data.consent_kind,
        consent_recorded_by_id=staff.id, privacy_consent_at=now, share_phone_consent_at=None,
        access_token_hash=token_hash(token), submission_key=submission_key, status=states.FILED, filed_at=now,
        due_date=clock.due, due_uses_fallback=clock.uses_fallback,
    )
    if add_complaint(complaint, submission_key) is None:
        return complaint_by_submission_key(submission_key), token
    store_photos(complaint, photos)
    add_event(complaint, "registered", "staff", staff, None, public=False, channel=data.channel,
              received_on=received_on.isoformat(), consent=data.consent_kind, photos=len(photos),
              consultation=consultation.id if consultation is not None else None)
    if consultation is not None:
        consultation.complaint_id = complaint.id
    db.session.flush()
    audit.record("complaint.registered", complaint, staff, tracking_number=complaint.tracking_number,
                 channel=data.channel, received_on=received_on.isoformat(), consent=data.consent_kind,
                 merchant_id=complaint.merchant_id, business_id=complaint.business_id, clause=complaint.clause_kind,
                 consultation_id=consultation.id if consultation is not None else None)
    # The same signal as an online filing: whatever follows a new complaint (the consumer's SMS
    # with the case link included) hears both paths.
    complaint_changed.send(complaint, action="file", actor=staff)
    return complaint, token


def consultation_to_convert(consultation_id: int, staff: User) -> Consultation:
    """A consultation in the officer's district that may be turned into a complaint."""
    consultation = consultation_for(consultation_id, staff)
    if consultation.complaint_id is not None:
        raise DomainError(_("这条咨询已经转为投诉了。"))
    return consultation


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def link_business(business: UnlistedBusiness, shop_text: str, staff: User) -> Merchant:
    """Staff found the business in the registry: its complaints move to that shop (audited, on each
    timeline), and the business keeps the link for the record."""
    require_district(staff, business.district, _("这家经营者不在您负责的区县。"))
    if business.linked_merchant_id is not None:
        raise DomainError(_("这家经营者已经关联到名录中的商家了。"), field="shop")
    merchant = find_shop(shop_text, staff)
    require_district(staff, merchant.district, _("这家商家不在您负责的区县。"))
    now = utcnow()
    business.linked_merchant_id, business.linked_by_id, business.linked_at = merchant.id, staff.id, now
    moved = list(db.session.scalars(select(Complaint).where(Complaint.business_id == business.id,
                                                            Complaint.merchant_id.is_(None)).order_by(Complaint.id)))
    for complaint in moved:
        complaint.merchant_id = merchant.id
        add_event(complaint, "business_linked", "staff", staff, None, public=False, merchant_id=merchant.id,
                  business=business.name)
    db.session.flush()
    figures.refresh([merchant.id], now)
    audit.record("complaint.business_linked", business, staff, merchant_id=merchant.id, business=business.name,
                 complaints=[c.tracking_number for c in moved])
    return merchant


def complaints_from_consultations(complaint_ids: list[int]) -> dict[int, int]:
    """{complaint id: consultation id} for complaints turned from a consultation."""
    if not complaint_ids:
        return {}
    return dict(db.session.execute(select(Consultation.complaint_id, Consultation.id)
                                   .where(Consultation.complaint_id.in_(complaint_ids))).all())

