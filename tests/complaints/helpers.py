"""Shared pieces of the complaint-cycle suites: seeded personal data that must never leak, a
frozen clock, and helpers that file a complaint and walk it to any status through the real services."""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from PIL import Image
from sqlalchemy import func, select

from registry.clock import today_in_china
from registry.audit.models import AuditEntry
from registry.complaints import filing, handling
from registry.complaints.models import Complaint, ComplaintEvent
from registry.extensions import db
from registry.pledges.defaults import DEFAULT_CLAUSES

DISTRICT, OTHER_DISTRICT = "西湖区", "滨江区"
# Distinctive on purpose: a leak is found by grepping for them.
PHONE = "13867452301"
MASKED_PHONE = "138****2301"
NAME = "欧阳锋锐"
MASKED_NAME = "欧***"
DESCRIPTION = "货架标价 9.90 元的洗衣液，结账时按 19.90 元收费，店员拒绝退还差价。"
SUMMARY = "消费者反映洗衣液标价与结账价格不一致，商家拒绝退还差价。"
REPLY = "已核实收银系统价格未及时更新，同意退还差价并赔礼道歉。"
OFFER = "退还差价 10 元并赔礼道歉"
OFFER_CENTS = 1000
# Each kind's clause number in the default pledge, the one test shops sign.
CLAUSE_OF = {clause["kind"]: number for number, clause in enumerate(DEFAULT_CLAUSES, start=1)}


@dataclass
class World:
    shop: object
    owner: object
    other_owner: object
    staff: object
    staff_elsewhere: object
    admin: object


def china(year, month, day, hour=10, minute=0) -> datetime:
    """An aware UTC datetime for a wall-clock time in Beijing."""
    return datetime(year, month, day, hour, minute, tzinfo=timezone(timedelta(hours=8))).astimezone(timezone.utc)


def complaint_input(**overrides) -> filing.ComplaintInput:
    values = dict(clause=CLAUSE_OF["price_fraud"], description=DESCRIPTION,
                  purchase_date=today_china() - timedelta(days=2), amount_cents=1990,
                  demands=["refund", "apology"], consumer_name=NAME, consumer_phone=PHONE,
                  privacy_consent=True, share_phone_consent=False)
    values.update(overrides)
    return filing.ComplaintInput(**values)


def file(shop, *, key: str | None = None, verified: str | None = None, photos=(), commit: bool = True,
         **fields) -> tuple[Complaint, str]:
    """File a complaint through the service (phone verified unless told otherwise)."""
    data = complaint_input(**fields)
    complaint, token = filing.file_complaint(shop, data, list(photos),
                                               data.consumer_phone if verified is None else verified,
                                               key or secrets.token_urlsafe(24))
    if commit:
        db.session.commit()
    return complaint, token


# 09:00 on the suite's frozen day (2025-09-30, Beijing): the meeting has happened when outcomes are recorded.
MEDIATION_WHEN = datetime(2025, 9, 30, 1, 0, tzinfo=timezone.utc)


def do(action: str, complaint: Complaint, w: World, actor=None) -> None:
    """Take `action` through its service with valid arguments, as its rightful actor unless `actor` is given."""
    staff = actor or w.staff
    if action == "accept":
        handling.accept_complaint(complaint, staff, complaint.version, SUMMARY)
    elif action == "refuse":
        handling.refuse_complaint(complaint, staff, complaint.version, "no_evidence", "请补充购物小票后再投诉。")
    elif action == "merchant_reply":
        handling.merchant_reply(complaint, actor or w.owner, REPLY, OFFER, OFFER_CENTS)
    elif action == "accept_offer":
        handling.respond_to_offer(complaint, True, "同意")
    elif action == "reject_offer":
        handling.respond_to_offer(complaint, False, "只退差价不够")
    elif action == "schedule_mediation":
        handling.schedule_mediation(complaint, staff, complaint.version, MEDIATION_WHEN, "西湖区消保委调解室", "")
    elif action == "record_mediated":
        handling.record_mediation(complaint, staff, complaint.version, True, 2000, "商家退还货款 20 元。")
    elif action == "record_failed":
        handling.record_mediation(complaint, staff, complaint.version, False, None, "双方未能达成一致。")
    elif action == "withdraw":
        handling.withdraw_complaint(complaint, "已和商家协商好了")
    elif action == "add_information":
        handling.add_information(complaint, "补充：小票编号 0042，收银员工号 7。")
    elif action == "staff_note":
        handling.add_staff_note(complaint, staff, "已电话联系商家店长。")
    elif action == "followup":
        handling.answer_followup(complaint, True, 5, "满意")
    elif action == "reply_overdue":
        handling.escalate_overdue(complaint)
    elif action == "callback":
        handling.record_callback(complaint, staff, True, True, 4, "已电话回访")
    elif action == "mark_duplicate":
        # The case that carries on: the oldest other complaint that can (filed here only when the move is
    # allowed, so a refused move changes nothing).
        original = db.session.scalar(select(Complaint).where(
            Complaint.id != complaint.id, Complaint.status.not_in(("duplicate", "refused"))).order_by(Complaint.id))
        if original is None and complaint.status in ("filed", "accepted"):
            original, _token = file(w.shop)
        handling.mark_duplicate(complaint, staff, complaint.version,
                                original.tracking_number if original else "TS20000101-0001", "同一消费者先来电又网上投诉")
    else:  # pragma: no cover - a new action must be added here
        raise AssertionError(f"unknown action {action}")


# How to reach each status (and each way of closing) through the services, from "filed".
PATHS = {
    "filed": [],
    "accepted": ["accept"],
    "replied": ["accept", "merchant_reply"],
    "disputed": ["accept", "merchant_reply", "reject_offer"],
    "mediating": ["accept", "schedule_mediation"],
    "closed_agreed": ["accept", "merchant_reply", "accept_offer"],
    "closed_mediated": ["accept", "schedule_mediation", "record_mediated"],
    "closed_failed": ["accept", "schedule_mediation", "record_failed"],
    "refused": ["refuse"],
    "withdrawn_before_acceptance": ["withdraw"],
    "withdrawn_after_acceptance": ["accept", "withdraw"],
    "duplicate": ["mark_duplicate"],
}


def status_of(variant: str) -> str:
    return variant.split("_")[0] if variant.startswith(("closed", "withdrawn")) else variant


def walk(complaint: Complaint, w: World, variant: str) -> Complaint:
    for action in PATHS[variant]:
        do(action, complaint, w)
        db.session.commit()
    assert complaint.status == status_of(variant)
    return complaint


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events_of(complaint: Complaint) -> list[tuple]:
    """The complaint's timeline as stored, one tuple per event."""
    return list(db.session.execute(
        select(ComplaintEvent.id, ComplaintEvent.kind, ComplaintEvent.actor_role, ComplaintEvent.actor_id,
               ComplaintEvent.body, ComplaintEvent.data, ComplaintEvent.is_public, ComplaintEvent.created_at)
        .where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)
    ).all())


def audit_rows(complaint: Complaint | None = None) -> list[AuditEntry]:
    statement = select(AuditEntry).order_by(AuditEntry.id)
    if complaint is not None:
        statement = statement.where(AuditEntry.subject_type == "complaint", AuditEntry.subject_id == complaint.id)
    return list(db.session.scalars(statement))


def snapshot(complaint: Complaint) -> dict:
    """Everything an action could change, read back from the database."""
    db.session.expire_all()
    row = db.session.get(Complaint, complaint.id)
    columns = {c.key: getattr(row, c.key) for c in Complaint.__mapper__.column_attrs}
    return {"row": columns, "events": events_of(row), "audit": count(AuditEntry),
            "photos": len(row.photos)}


def jpeg_bytes(size=(64, 48), colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=85)
    return out.getvalue()


def hidden_value(html: str, name: str) -> str:
    """The value of a hidden input in a rendered form."""
    for tag in re.findall(r"<input[^>]*>", html):
        if re.search(rf'name="{re.escape(name)}"', tag):
            match = re.search(r'value="([^"]*)"', tag)
            return match.group(1) if match else ""
    raise AssertionError(f"no input named {name!r} in the page")


def flashes(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'<div class="flash[^"]*" role="status">(.*?)</div>',
                                                                   html, re.S)]


def complaint_form(**overrides) -> dict:
    """The details form as a consumer fills it in (purchase date two days ago, China time)."""
    data = {
        "clause": str(CLAUSE_OF["price_fraud"]),
        "description": DESCRIPTION,
        "purchase_date": (today_china() - timedelta(days=2)).isoformat(),
        "amount": "19.90",
        "demands": ["refund", "apology"],
        "consumer_name": NAME,
        "privacy_consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def today_china() -> date:
    """Today in Beijing, by the workdays module's clock (the one `frozen` stops)."""
    return today_in_china()
