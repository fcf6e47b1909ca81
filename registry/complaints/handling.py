"""Handling a filed complaint: the staff decisions (within their district), the shop's reply, the
consumer's answers, mediation and closing.

Every status change goes through `_apply` and the table in complaints.states; services flush and
never commit; staff decisions are written to the audit chain with the acting officer.
"""

from __future__ import annotations

import json
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from registry.audit import services as audit
from registry.auth.access import require_district
from registry.auth.models import User
from registry.clock import china_date, utcnow
from registry.complaints import figures, states
from registry.complaints.deadlines import MEDIATION_WORKING_DAYS, REPLY_WORKING_DAYS
from registry.complaints.filing import MAX_AMOUNT_CENTS, MAX_DESCRIPTION
from registry.complaints.labels import ACTION_LABELS, STATUS_LABELS
from registry.complaints.models import REFUSAL_GROUNDS, CallBack, Complaint, ComplaintEvent
from registry.complaints.replies import screen_reply
from registry.complaints.timeline import add_event, complaint_changed, latest_offer, scheduled_mediation
from registry.errors import Conflict, DomainError, InvalidTransition, NotPermitted
from registry.extensions import db
from registry.personal_data import refuse_personal_data
from registry.workdays.calendar import deadline


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
    """Staff limited to a district act only on complaints against shops (or businesses not in the
    registry) in that district."""
    require_district(staff, complaint.district, _("这件投诉不在您负责的区县。"))


def _staff_action(complaint: Complaint, staff: User, action: str, expected_version: int | None) -> str:
    require_staff_scope(complaint, staff)
    return _apply(complaint, action, "staff", expected_version)


def _finish(complaint: Complaint, action: str, actor: User | None, old_status: str, **audit_data) -> None:
    _flush_or_conflict(complaint)
    # The QR page's stored 12-month figures follow every move of a case (complaints.figures).
    if complaint.merchant_id is not None:
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
    refuse_personal_data(summary, "public_summary")
    old = _staff_action(complaint, staff, "accept", expected_version)
    now = utcnow()
    complaint.decided_at = now
    complaint.public_summary = summary
    _set_clock(complaint, now, REPLY_WORKING_DAYS)
    add_event(complaint, "accepted", "staff", staff, None, public=True)
    if complaint.merchant_id is not None:
        # A business not in the registry has no account to forward to: staff contact it themselves.
        add_event(complaint, "forwarded", "system", None, None, public=False, reply_due=complaint.due_date)
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
    add_event(complaint, "refused", "staff", staff, explanation, public=False, ground=ground)
    _finish(complaint, "refuse", staff, old, ground=ground)


def merchant_reply(complaint: Complaint, owner: User, body: str, offer: str | None,
                   offer_amount_cents: int | None) -> ComplaintEvent:
    """The shop answers publicly and may offer a resolution the consumer can accept or reject; returns
    the reply (held for staff when personal data was found in it)."""
    if complaint.merchant is None or complaint.merchant.owner_id != owner.id:
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
    # Personal data in it: stored masked and public only once staff approve (complaints.replies).
    body, offer, held = screen_reply(body, offer)
    event = add_event(complaint, "merchant_replied", "merchant", owner, body, public=not held, offer=offer,
                      offer_amount_cents=offer_amount_cents)
    event.held_for_review = held
    _finish(complaint, "merchant_reply", owner, old)
    return event


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
        add_event(complaint, "consumer_accepted", "consumer", None, comment or None, public=True)
        add_event(complaint, "closed", "system", None, None, public=True, outcome=states.AGREED)
    else:
        _set_clock(complaint, complaint.decided_at or now, MEDIATION_WORKING_DAYS)
        add_event(complaint, "consumer_rejected", "consumer", None, comment or None, public=False)
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
    add_event(complaint, "mediation_scheduled", "staff", staff, (note or "").strip() or None, public=False,
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
    meeting = scheduled_mediation(complaint)
    if meeting is not None and china_date(now) < meeting.date():
        # An outcome before the meeting is a slip of the wrong case or the wrong button.
        raise DomainError(_("调解定于 %(when)s 进行，在这一天之前不能记录调解结果。如调解已提前进行，请先把调解时间改为实际日期。",
                            when=meeting.strftime("%Y-%m-%d %H:%M")))
    complaint.outcome = states.MEDIATED if succeeded else states.FAILED
    complaint.amount_recovered_cents = amount_recovered_cents if succeeded else 0
    complaint.closed_at = now
    _set_clock(complaint, now, None)
    add_event(complaint, "mediated" if succeeded else "mediation_failed", "staff", staff, terms, public=False,
               amount_recovered_cents=complaint.amount_recovered_cents)
    add_event(complaint, "closed", "system", None, None, public=True, outcome=complaint.outcome)
    _finish(complaint, action, staff, old, outcome=complaint.outcome,
            amount_recovered_cents=complaint.amount_recovered_cents)


def escalate_overdue(complaint: Complaint) -> None:
    """The shop let its reply deadline pass: the case goes to staff (disputed: mediation's clock runs),
    the timeline says why, and moderation's reply-overdue rule looks at the shop (complaint_changed)."""
    old = _apply(complaint, "reply_overdue", "system", None)
    missed = complaint.due_date
    now = utcnow()
    _set_clock(complaint, complaint.decided_at or now, MEDIATION_WORKING_DAYS)
    # The timeline reads "逾期未回复，转由工作人员处理" (labels.EVENT_LABELS) with the deadline missed.
    add_event(complaint, "reply_overdue", "system", None, None, public=False, reply_due=missed)
    _finish(complaint, "reply_overdue", None, old)
    audit.record("complaint.reply_overdue", complaint, None, tracking_number=complaint.tracking_number,
                 old=old, new=complaint.status)


def add_information(complaint: Complaint, body: str) -> None:
    """The consumer adds facts or corrects the complaint; the original text is never edited."""
    body = (body or "").strip()
    if not body:
        raise DomainError(_("请填写补充内容。"), field="body")
    if len(body) > MAX_DESCRIPTION:
        raise DomainError(_("补充内容最多 %(count)d 个字。", count=MAX_DESCRIPTION), field="body")
    old = _apply(complaint, "add_information", "consumer", None)
    add_event(complaint, "consumer_added", "consumer", None, body, public=False)
    _finish(complaint, "add_information", None, old)


def withdraw_complaint(complaint: Complaint, reason: str) -> None:
    old = _apply(complaint, "withdraw", "consumer", None)
    now = utcnow()
    complaint.closed_at = now
    _set_clock(complaint, now, None)
    add_event(complaint, "withdrawn", "consumer", None, (reason or "").strip()[:MAX_DESCRIPTION] or None,
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
    add_event(complaint, "followup", "consumer", None, (comment or "").strip()[:MAX_DESCRIPTION] or None,
               public=False, resolved=resolved, satisfaction=satisfaction)
    _finish(complaint, "followup", None, old)


MAX_CALLBACK_REMARKS = 500


def record_callback(complaint: Complaint, staff: User, reached: bool | None, resolved: bool | None,
                    satisfaction: int | None, remarks: str, expected_version: int | None = None) -> CallBack:
    """Staff record one 回访 call on a concluded case: not reached, or reached with whether the problem
    was solved and how satisfied the consumer is (1–5). The remarks stay internal: they are kept on the
    call-back row only, never in the timeline or the audit chain. The case's version moves with every
    call, so a form posted twice (or by two officers from one page) records one call."""
    if reached is None:
        raise DomainError(_("请选择是否联系上消费者。"), field="reached")
    if reached:
        if resolved is None:
            raise DomainError(_("请选择问题是否已经解决。"), field="resolved")
        if satisfaction is None or not 1 <= satisfaction <= 5:
            raise DomainError(_("请选择消费者的满意程度（1–5 分）。"), field="satisfaction")
    elif resolved is not None or satisfaction is not None:
        raise DomainError(_("未联系上消费者时，不填写是否解决和满意度。"), field="reached")
    remarks = (remarks or "").strip()
    if len(remarks) > MAX_CALLBACK_REMARKS:
        raise DomainError(_("回访备注最多 %(count)d 个字。", count=MAX_CALLBACK_REMARKS), field="remarks")
    old = _staff_action(complaint, staff, "callback", expected_version)
    flag_modified(complaint, "status")  # an UPDATE, so the version check holds (nothing else changes)
    callback = CallBack(complaint_id=complaint.id, staff_id=staff.id, called_at=utcnow(), reached=reached,
                        resolved=resolved, satisfaction=satisfaction, remarks=remarks or None)
    db.session.add(callback)
    add_event(complaint, "callback", "staff", staff, None, public=False, reached=reached, resolved=resolved,
              satisfaction=satisfaction)
    _finish(complaint, "callback", staff, old, reached=reached, resolved=resolved, satisfaction=satisfaction)
    return callback


def add_staff_note(complaint: Complaint, staff: User, body: str) -> None:
    body = (body or "").strip()
    if not body:
        raise DomainError(_("请填写备注内容。"), field="body")
    old = _staff_action(complaint, staff, "staff_note", None)
    add_event(complaint, "staff_note", "staff", staff, body, public=False)
    _finish(complaint, "staff_note", staff, old)


def mark_duplicate(complaint: Complaint, staff: User, expected_version: int | None, original_number: str,
                   note: str) -> Complaint:
    """The same case reached the association twice (often by two channels): this one leaves the workload
    and every count, and its consumer is told which case carries on. The two may name different
    shops (a phone call may name a business the online form found in the registry); the officer
    judges, within their district. Returns the case that carries on."""
    require_staff_scope(complaint, staff)
    if expected_version is not None and complaint.version != expected_version or \
            states.next_status("mark_duplicate", complaint.status, "staff") is None:
        _apply(complaint, "mark_duplicate", "staff", expected_version)  # raises the usual refusal
    number = "".join((original_number or "").split()).upper()
    if not number:
        raise DomainError(_("请填写继续办理的那件投诉的编号。"), field="original")
    original = db.session.scalar(select(Complaint).where(Complaint.tracking_number == number))
    if original is None:
        raise DomainError(_("没有编号为 %(number)s 的投诉。", number=number[:24]), field="original")
    if original.id == complaint.id:
        raise DomainError(_("不能把投诉标为它自己的重复。"), field="original")
    if original.status == states.DUPLICATE:
        raise DomainError(_("%(number)s 本身已是重复投诉，请填写继续办理的 %(other)s。", number=original.tracking_number,
                            other=original.duplicate_of.tracking_number), field="original")
    if original.status == states.REFUSED:
        raise DomainError(_("%(number)s 已不予受理，不能作为继续办理的投诉。", number=original.tracking_number),
                          field="original")
    require_district(staff, original.district, _("那件投诉不在您负责的区县。"))
    old = _staff_action(complaint, staff, "mark_duplicate", expected_version)
    now = utcnow()
    complaint.duplicate_of_id = original.id
    complaint.closed_at = now
    _set_clock(complaint, now, None)
    # The consumer's page names the case that carries on by its number only.
    add_event(complaint, "marked_duplicate", "staff", staff, (note or "").strip()[:MAX_DESCRIPTION] or None,
              public=False, original=original.tracking_number)
    add_event(original, "duplicate_linked", "staff", staff, None, public=False, duplicate=complaint.tracking_number)
    _finish(complaint, "mark_duplicate", staff, old, original=original.tracking_number)
    return original


def can_act(complaint: Complaint, action: str, actor_role: str) -> bool:
    """Whether the page should offer this action now."""
    return states.next_status(action, complaint.status, actor_role) is not None
