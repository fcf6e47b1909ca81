"""Helpers of the moderation suites: the world, a frozen clock, and complaints filed and accepted
through the real services."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from PIL import Image
from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.extensions import db

DISTRICT, OTHER_DISTRICT = "西湖区", "滨江区"
PHONE = "13867452301"
SUMMARY = "消费者反映商品与宣传不符，商家拒绝退换。"


@dataclass
class World:
    shop: object
    owner: object
    other_owner: object
    other_shop: object
    staff: object
    staff2: object
    staff_elsewhere: object
    admin: object


def china_today() -> date:
    from registry.clock import today_in_china

    return today_in_china()


def file(shop, phone: str = PHONE, clause_kind: str = "false_advertising", commit: bool = True):
    """File a complaint against `shop` through the service, as a consumer with a verified phone."""
    from registry.complaints.filing import ComplaintInput, file_complaint
    from tests.complaints.helpers import CLAUSE_OF

    complaint, _token = file_complaint(shop, ComplaintInput(
        clause=CLAUSE_OF[clause_kind], description="宣传说是纯羊毛，到手发现是化纤，商家拒绝退货。",
        purchase_date=china_today() - timedelta(days=1), amount_cents=29900, demands=["refund"],
        consumer_name="欧阳锋锐", consumer_phone=phone, privacy_consent=True, share_phone_consent=False,
    ), [], phone, secrets.token_urlsafe(24))
    if commit:
        db.session.commit()
    return complaint


def accept(complaint, staff):
    from registry.complaints.handling import accept_complaint

    accept_complaint(complaint, staff, complaint.version, SUMMARY)
    db.session.commit()
    return complaint


def refuse(complaint, staff):
    from registry.complaints.handling import refuse_complaint

    refuse_complaint(complaint, staff, complaint.version, "no_evidence", "请补充购物小票。")
    db.session.commit()
    return complaint


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audit_actions(subject=None) -> list[str]:
    statement = select(AuditEntry.action).order_by(AuditEntry.id)
    if subject is not None:
        statement = statement.where(AuditEntry.subject_type == type(subject).__name__.lower(),
                                    AuditEntry.subject_id == subject.id)
    return list(db.session.scalars(statement))


def jpeg_bytes(size=(64, 48), colour=(30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=85)
    return out.getvalue()


def messages_to(phone: str) -> list[str]:
    from registry.messaging.models import OutboxMessage

    return list(db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.phone == phone)
                                   .order_by(OutboxMessage.id)))


def text(response) -> str:
    return response.get_data(as_text=True)


def plain(html: str) -> str:
    """The page as a reader sees it: tags removed, whitespace collapsed."""
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def flashes(html: str) -> list[str]:
    import re

    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m)).strip()
            for m in re.findall(r'<div class="flash[^"]*" role="status">(.*?)</div>', html, re.S)]


REASON = "经查实销售假冒品牌羊毛衫。"


def reason(kind="counterfeit", text=REASON, note="现场检查记录 2026-03-01"):
    """What an officer types on a sanction form."""
    from registry.moderation.sanctions import SanctionInput

    return SanctionInput(kind, text, note)


def flags(merchant, rule_code=None, status=None) -> list:
    """The shop's flags, oldest first (optionally of one rule, in one status)."""
    from registry.moderation.models import Flag

    statement = select(Flag).where(Flag.merchant_id == merchant.id).order_by(Flag.id)
    if rule_code is not None:
        statement = statement.where(Flag.rule_code == rule_code)
    if status is not None:
        statement = statement.where(Flag.status == status)
    return list(db.session.scalars(statement))


def fresh(merchant):
    """The shop as the database has it now."""
    from registry.merchants.models import Merchant

    db.session.expire_all()
    return db.session.get(Merchant, merchant.id)


def standing_now(merchant) -> str:
    """The standing consumers are shown now."""
    from registry.clock import utcnow
    from registry.moderation.standings import shop_standing

    return shop_standing(fresh(merchant), utcnow()).standing


def qr_page(client, shop) -> str:
    """The shop's QR page as a fresh anonymous visitor reads it."""
    client.get("/")
    response = client.get(f"/m/{shop.public_code}")
    assert response.status_code == 200
    return text(response)
