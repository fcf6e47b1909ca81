"""Flags: shops marked for a closer look by the automatic rules (tuned by administrators), by
consumers who report a misused badge, and by staff. A flag is dismissed, or actioned by a sanction."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from registry.audit import services as audit
from registry.auth.models import User
from registry.clock import CHINA, utcnow
from registry.complaints import states as complaint_states
from registry.complaints.models import Complaint, ComplaintEvent
from registry.complaints.timeline import complaint_changed
from registry.errors import Conflict, DomainError, NotFound, NotPermitted
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.merchants.services import lock_shop
from registry.moderation.checks import MAX_NOTE, MAX_PUBLIC_REASON, clean_text, require_scope
from registry.moderation.models import (FLAG_ACTIONED, FLAG_DISMISSED, FLAG_MISUSED_BADGE, FLAG_OPEN, FLAG_RULE,
                                        FLAG_STAFF, RULE_ACCEPTED_IN_WINDOW, RULE_BURST_SAME_PHONE, RULE_CODES,
                                        RULE_COUNTERFEIT_ACCEPTED, RULE_REPLY_OVERDUE, Flag, FlagRule, Sanction)
from registry.phones import mask_mobile

MAX_REPORT_NOTE = 200
# A consumer report adds to the shop's open misused-badge flag; the newest reports are kept.
MAX_REPORTS_KEPT = 20

# (threshold, window in days) of each rule when the administrator has not changed it.
DEFAULT_RULES = {
    RULE_ACCEPTED_IN_WINDOW: (3, 90),
    RULE_COUNTERFEIT_ACCEPTED: (1, 365),
    RULE_BURST_SAME_PHONE: (3, 7),
    RULE_REPLY_OVERDUE: (1, 365),
}
MAX_THRESHOLD = 1000
MAX_WINDOW_DAYS = 3650


# --- Flag rules -------------------------------------------------------------------------------------

def rule_settings(code: str) -> FlagRule:
    """The rule's stored settings, or its defaults (an unsaved object) when an admin never changed it."""
    if code not in DEFAULT_RULES:
        raise NotFound(_("没有这条标记规则。"))
    rule = db.session.scalar(select(FlagRule).where(FlagRule.code == code))
    if rule is None:
        threshold, window_days = DEFAULT_RULES[code]
        rule = FlagRule(code=code, enabled=True, threshold=threshold, window_days=window_days)
    return rule


def all_rules() -> list[FlagRule]:
    return [rule_settings(code) for code in RULE_CODES]


def seed_rules() -> int:
    """Store the default settings of every rule that has no row yet; returns how many were added."""
    added = 0
    for code in RULE_CODES:
        rule = rule_settings(code)
        if rule.id is None:
            db.session.add(rule)
            added += 1
    db.session.flush()
    return added


def update_rule(code: str, admin: User, enabled: bool, threshold: int | None, window_days: int | None) -> FlagRule:
    """An administrator switches a rule on or off or changes its threshold and window."""
    if not admin.is_admin:
        raise NotPermitted(_("只有管理员可以调整标记规则。"))
    if threshold is None or not 1 <= threshold <= MAX_THRESHOLD:
        raise DomainError(_("请填写 1 到 %(max)d 之间的整数。", max=MAX_THRESHOLD), field="threshold")
    if window_days is None or not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise DomainError(_("请填写 1 到 %(max)d 之间的天数。", max=MAX_WINDOW_DAYS), field="window_days")
    rule = rule_settings(code)
    changes = {name: [getattr(rule, name), value] for name, value in
               (("enabled", bool(enabled)), ("threshold", threshold), ("window_days", window_days))
               if rule.id is None or getattr(rule, name) != value}
    if rule.id is not None and not changes:
        return rule
    rule.enabled, rule.threshold, rule.window_days = bool(enabled), threshold, window_days
    rule.updated_at, rule.updated_by_id = utcnow(), admin.id
    db.session.add(rule)
    db.session.flush()
    audit.record("flag_rule.updated", rule, admin, code=code, changes=changes)
    return rule


# --- Flags ------------------------------------------------------------------------------------------

def _open_rule_flag(merchant_id: int, rule_code: str) -> Flag | None:
    return db.session.scalar(select(Flag).where(Flag.merchant_id == merchant_id, Flag.rule_code == rule_code,
                                                Flag.status == FLAG_OPEN))


def _raise(merchant: Merchant, kind: str, reason: str, actor: User | None, rule_code: str | None = None,
           source: dict | None = None, now: datetime | None = None) -> Flag | None:
    """Add a flag; None when the same rule's open flag was created by a concurrent request."""
    flag = Flag(merchant_id=merchant.id, kind=kind, rule_code=rule_code, reason=reason[:500],
                source_data=json.dumps(source or {}, ensure_ascii=False, sort_keys=True, default=str),
                status=FLAG_OPEN, raised_at=now or utcnow(), raised_by_id=actor.id if actor else None)
    try:
        # Added inside the savepoint, so a duplicate fails alone and the complaint is still saved.
        with db.session.begin_nested():
            db.session.add(flag)
            db.session.flush()
    except IntegrityError:
        return None
    audit.record("flag.raised", flag, actor, merchant_id=merchant.id, kind=kind, rule=rule_code)
    return flag


def _accepted(merchant_id: int, since: datetime, until: datetime, clause_kind: str | None = None):
    """Complaints against the shop accepted (published) between `since` and `until`."""
    statement = select(Complaint.tracking_number).where(
        Complaint.merchant_id == merchant_id, Complaint.decided_at.is_not(None), Complaint.decided_at >= since,
        Complaint.decided_at <= until, Complaint.status.not_in(complaint_states.UNCOUNTED_STATUSES))
    if clause_kind is not None:
        statement = statement.where(Complaint.clause_kind == clause_kind)
    return list(db.session.scalars(statement.order_by(Complaint.decided_at.desc(), Complaint.id.desc())))


def _check_accepted_rules(complaint: Complaint) -> None:
    now = complaint.decided_at or utcnow()
    rule = rule_settings(RULE_ACCEPTED_IN_WINDOW)
    if rule.enabled and _open_rule_flag(complaint.merchant_id, rule.code) is None:
        found = _accepted(complaint.merchant_id, now - timedelta(days=rule.window_days), now)
        if len(found) >= rule.threshold:
            with force_locale("zh"):
                reason = _("%(days)d 天内受理投诉 %(count)d 件（达到 %(threshold)d 件即标记）。",
                           days=rule.window_days, count=len(found), threshold=rule.threshold)
            _raise(complaint.merchant, FLAG_RULE, reason, None, rule.code, now=now, source={
                "count": len(found), "threshold": rule.threshold, "window_days": rule.window_days,
                "tracking_numbers": found[:20]})
    rule = rule_settings(RULE_COUNTERFEIT_ACCEPTED)
    if complaint.clause_kind == "counterfeit" and rule.enabled \
            and _open_rule_flag(complaint.merchant_id, rule.code) is None:
        found = _accepted(complaint.merchant_id, now - timedelta(days=rule.window_days), now, "counterfeit")
        if len(found) >= rule.threshold:
            with force_locale("zh"):
                reason = _("%(days)d 天内受理“制假售假”投诉 %(count)d 件，最近一件：%(tracking)s。",
                           days=rule.window_days, count=len(found), tracking=complaint.tracking_number)
            _raise(complaint.merchant, FLAG_RULE, reason, None, rule.code, now=now, source={
                "count": len(found), "threshold": rule.threshold, "window_days": rule.window_days,
                "tracking_numbers": found[:20]})


def _check_burst(complaint: Complaint) -> None:
    rule = rule_settings(RULE_BURST_SAME_PHONE)
    if not rule.enabled or not complaint.consumer_phone or _open_rule_flag(complaint.merchant_id, rule.code):
        return
    now = complaint.filed_at or utcnow()
    found = list(db.session.scalars(
        select(Complaint.tracking_number).where(
            Complaint.merchant_id == complaint.merchant_id, Complaint.consumer_phone == complaint.consumer_phone,
            Complaint.filed_at >= now - timedelta(days=rule.window_days), Complaint.filed_at <= now)
        .order_by(Complaint.filed_at.desc(), Complaint.id.desc())
    ))
    if len(found) < rule.threshold:
        return
    # The flag keeps the number masked: it outlives the complaint's retention of the full number.
    phone = mask_mobile(complaint.consumer_phone)
    with force_locale("zh"):
        reason = _("同一手机号（%(phone)s）%(days)d 天内对本店提交投诉 %(count)d 件。提交时即计数，可能是竞争对手恶意投诉，请核实。",
                   phone=phone, days=rule.window_days, count=len(found))
    _raise(complaint.merchant, FLAG_RULE, reason, None, rule.code, now=now, source={
        "count": len(found), "threshold": rule.threshold, "window_days": rule.window_days, "phone": phone,
        "tracking_numbers": found[:20]})


def _check_overdue(complaint: Complaint) -> None:
    rule = rule_settings(RULE_REPLY_OVERDUE)
    if complaint.merchant_id is None or not rule.enabled or _open_rule_flag(complaint.merchant_id, rule.code) is not None:
        return
    now = utcnow()
    found = list(db.session.scalars(
        select(Complaint.tracking_number).join(ComplaintEvent, ComplaintEvent.complaint_id == Complaint.id)
        .where(Complaint.merchant_id == complaint.merchant_id, ComplaintEvent.kind == "reply_overdue",
               ComplaintEvent.created_at >= now - timedelta(days=rule.window_days))
        .order_by(ComplaintEvent.created_at.desc(), ComplaintEvent.id.desc())
    ))
    if len(found) < rule.threshold:
        return
    with force_locale("zh"):
        reason = _("%(days)d 天内 %(count)d 件投诉逾期未回复，已转由工作人员处理，最近一件：%(tracking)s。",
                   days=rule.window_days, count=len(found), tracking=complaint.tracking_number)
    _raise(complaint.merchant, FLAG_RULE, reason, None, rule.code, now=now, source={
        "count": len(found), "threshold": rule.threshold, "window_days": rule.window_days,
        "tracking_numbers": found[:20]})


@complaint_changed.connect
def _evaluate_rules(complaint: Complaint, action: str, actor: User | None = None, **_extra) -> None:
    """Complaints announce every change; filing, acceptance and a missed reply deadline may raise a flag
    (a shop's flag: a complaint against a business not in the registry has no shop to flag)."""
    if complaint.merchant_id is None:
        return
    if action == "file":
        _check_burst(complaint)
    elif action == "accept":
        _check_accepted_rules(complaint)
    elif action == "reply_overdue":
        _check_overdue(complaint)


_SERIAL = re.compile(r"[A-Za-z0-9-]{1,24}")


def report_misused_badge(merchant: Merchant, note: str, scanned_serial: str | None) -> Flag:
    """A consumer says the QR they scanned is not the shop they are in (a copied or misused badge).

    Reports add to the shop's open misused-badge flag, so a wave of reports makes one flag to check.
    """
    note = " ".join((note or "").split())
    if len(note) > MAX_REPORT_NOTE:
        raise DomainError(_("补充说明最多 %(count)d 个字。", count=MAX_REPORT_NOTE), field="note")
    serial = scanned_serial if scanned_serial and _SERIAL.fullmatch(scanned_serial) else None
    lock_shop(merchant)
    now = utcnow()
    # Kept in Beijing time: it is only ever shown to staff.
    report = {"at": now.astimezone(CHINA).isoformat(timespec="seconds"), "note": note or None, "serial": serial}
    flag = db.session.scalar(select(Flag).where(Flag.merchant_id == merchant.id, Flag.kind == FLAG_MISUSED_BADGE,
                                                Flag.status == FLAG_OPEN).order_by(Flag.id).limit(1))
    if flag is not None:
        source = flag.source
        source["count"] = source.get("count", 0) + 1
        source["reports"] = (source.get("reports", []) + [report])[-MAX_REPORTS_KEPT:]
        flag.source_data = json.dumps(source, ensure_ascii=False, sort_keys=True)
        db.session.flush()
        return flag
    with force_locale("zh"):
        reason = _("消费者报告：扫码显示的店铺与其所在的店铺不符，诚信码可能被翻拍或冒用。")
    return _raise(merchant, FLAG_MISUSED_BADGE, reason, None, source={"count": 1, "reports": [report]}, now=now)


def raise_staff_flag(merchant: Merchant, staff: User, reason: str) -> Flag:
    """Staff mark a shop for a closer look by hand."""
    require_scope(merchant, staff)
    reason = clean_text(reason, "reason", _("请写明需要关注的原因。"), MAX_PUBLIC_REASON)
    lock_shop(merchant)
    return _raise(merchant, FLAG_STAFF, reason, staff)


def _lock_flag(flag: Flag, staff: User) -> None:
    require_scope(flag.merchant, staff)
    lock_shop(flag.merchant)
    db.session.refresh(flag)
    if flag.status != FLAG_OPEN:
        raise Conflict(_("这条标记刚刚已被处理，请刷新页面查看。"))


def dismiss_flag(flag: Flag, staff: User, note: str) -> None:
    """Staff looked and found nothing to act on; the note says why."""
    note = clean_text(note, "note", _("请说明为什么不需要处理。"), MAX_NOTE)
    _lock_flag(flag, staff)
    flag.status, flag.resolved_at, flag.resolved_by_id, flag.resolution_note = FLAG_DISMISSED, utcnow(), staff.id, note
    db.session.flush()
    audit.record("flag.dismissed", flag, staff, merchant_id=flag.merchant_id, note=note)


def action_flag(flag: Flag | None, merchant: Merchant, staff: User, sanction: Sanction, now: datetime) -> None:
    if flag is None:
        return
    if flag.merchant_id != merchant.id:
        raise DomainError(_("这条标记不属于这家店铺。"))
    db.session.refresh(flag)
    if flag.status != FLAG_OPEN:
        raise Conflict(_("这条标记刚刚已被处理，请刷新页面查看。"))
    flag.status, flag.resolved_at, flag.resolved_by_id, flag.sanction_id = FLAG_ACTIONED, now, staff.id, sanction.id
    db.session.flush()
    audit.record("flag.actioned", flag, staff, merchant_id=merchant.id, sanction_id=sanction.id)
