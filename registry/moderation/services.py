"""Moderation rules: flags (raised by rules, by consumers and by staff), sanctions with the two-person
rule for revocations, appeals, and what all of them mean for a shop's standing.

Services flush and never commit. Every staff action and every standing change is written to the audit
chain; every sanction in force is told to the shop by SMS (and shown on its page in the owner area).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from registry.auth.access import require_district
from registry.audit import services as audit
from registry.auth.models import User
from registry.complaints import states as complaint_states
from registry.uploads import ProcessedImage, evidence_directory, store_image
from registry.complaints.models import CLAUSE_KINDS, Complaint
from registry.complaints.timeline import complaint_changed
from registry.clock import utcnow
from registry.errors import Conflict, DomainError, InvalidTransition, NotFound, NotPermitted
from registry.extensions import db
from registry.phones import mask_mobile
from registry.merchants.labels import STANDING_LABELS
from registry.merchants.models import Merchant, Standing
from registry.merchants.services import lock_shop, require_owner
from registry.messaging.outbox import queue_sms
from registry.moderation.models import (ACTIVE, APPEAL_GRANTED, APPEAL_PENDING, APPEAL_UPHELD, END_APPEAL_GRANTED,
                                        END_EXPIRED, END_REINSTATED, ENDED, FLAG_ACTIONED, FLAG_DISMISSED,
                                        FLAG_MISUSED_BADGE, FLAG_OPEN, FLAG_RULE, FLAG_STAFF, NEGATIVE_KINDS,
                                        PROPOSED, REINSTATEMENT, REJECTED, REVOCATION, RULE_ACCEPTED_IN_WINDOW,
                                        RULE_BURST_SAME_PHONE, RULE_CODES, RULE_COUNTERFEIT_ACCEPTED, SUSPENSION,
                                        WARNING, Appeal, AppealPhoto, Flag, FlagRule, Sanction)
from registry.pledges import services as pledges
from registry.clock import CHINA, add_months, china_date, end_of_china_day

log = logging.getLogger(__name__)
# How long a negative mark stays on the public page. A warning (and the 警示 standing it gives) lasts
# 12 months from issue and is then no longer shown; a suspension or revocation stays listed for
# 36 months after it ends, so consumers can see a shop's recent history but an old mistake does not
# follow a shop for ever (信用修复). A mark lifted on appeal is hidden at once.
WARNING_SHOWN_MONTHS = 12
MARK_SHOWN_AFTER_END_MONTHS = 36
# A fixed suspension ends within this many days; longer ones are "until rectified" or a revocation.
MAX_SUSPENSION_DAYS = 3 * 365

MAX_PUBLIC_REASON = 200
MAX_NOTE = 2000
MAX_REPORT_NOTE = 200
MIN_APPEAL_TEXT = 10
MAX_APPEAL_PHOTOS = 3
# A consumer report adds to the shop's open misused-badge flag; the newest reports are kept.
MAX_REPORTS_KEPT = 20
SMS_PURPOSE = "moderation"

# (threshold, window in days) of each rule when the administrator has not changed it.
DEFAULT_RULES = {
    RULE_ACCEPTED_IN_WINDOW: (3, 90),
    RULE_COUNTERFEIT_ACCEPTED: (1, 365),
    RULE_BURST_SAME_PHONE: (3, 7),
}
MAX_THRESHOLD = 1000
MAX_WINDOW_DAYS = 3650

# The standing each negative kind gives a shop, strongest first.
_STANDING_OF_KIND = {REVOCATION: Standing.REVOKED.value, SUSPENSION: Standing.SUSPENDED.value,
                     WARNING: Standing.WARNED.value}
_KIND_OF_STANDING = {standing: kind for kind, standing in _STANDING_OF_KIND.items()}


# --- Time -------------------------------------------------------------------------------------------

# --- Scope ------------------------------------------------------------------------------------------

def require_scope(merchant: Merchant, staff: User) -> None:
    """Staff act on shops in their district only (staff without a district cover the whole area)."""
    require_district(staff, merchant.district, _("这家店铺不在您负责的区县。"))


# --- Standing ---------------------------------------------------------------------------------------

class _StandingAsIf:
    """The shop as pledges.effective_standing should judge it once a sanction has stopped."""

    def __init__(self, merchant: Merchant, standing: str):
        self._merchant = merchant
        self.standing = standing

    def __getattr__(self, name):
        return getattr(self._merchant, name)


def _standing_from(sanctions: list[Sanction], now: datetime) -> str:
    """The standing the sanctions in force give: the strongest one, else active."""
    kinds = {s.kind for s in sanctions if s.in_force_at(now)}
    for kind, standing in _STANDING_OF_KIND.items():
        if kind in kinds:
            return standing
    return Standing.ACTIVE.value


def _lifts_current(stored: str, sanctions: list[Sanction], lifted: set[int]) -> bool:
    """Whether a sanction of the kind behind the stored standing is among those that stop."""
    kind = _KIND_OF_STANDING.get(stored)
    return kind is not None and any(s.id in lifted and s.kind == kind for s in sanctions)


def standing_once_lifted(stored: str, sanctions: list[Sanction], lifted: set[int], now: datetime) -> str:
    """The standing after the sanctions in `lifted` stop (ran out, or granted on appeal).

    Only a sanction of the kind behind the stored standing can relax it: a suspension that ends
    changes a suspended shop, a warning that ends does not; a standing no sanction explains is kept.
    """
    if not _lifts_current(stored, sanctions, lifted):
        return stored
    return _standing_from([s for s in sanctions if s.id not in lifted], now)


def _due(sanctions: list[Sanction], now: datetime) -> set[int]:
    return {s.id for s in sanctions if s.status == ACTIVE and s.ends_at is not None and s.ends_at <= now}


def sanctions_in_effect(merchant_ids: list[int]) -> dict[int, list[Sanction]]:
    """Each shop's negative sanctions with status active (some may have run out), in one query."""
    grouped: dict[int, list[Sanction]] = {i: [] for i in merchant_ids}
    if merchant_ids:
        for sanction in db.session.scalars(
            select(Sanction).where(Sanction.merchant_id.in_(merchant_ids), Sanction.status == ACTIVE,
                                   Sanction.kind.in_(NEGATIVE_KINDS)).order_by(Sanction.issued_at, Sanction.id)
        ):
            grouped[sanction.merchant_id].append(sanction)
    return grouped


def standing_and_lapse(merchant: Merchant, signature, now: datetime | None = None,
                       sanctions: list[Sanction] | None = None, current=pledges.LOOK_UP):
    """The standing a consumer is shown right now, and for a lapsed shop why (pledges.Lapse).

    Wraps pledges.standing_and_lapse (an expired or un-renewed signature shows as lapsed at once)
    and adds the same promise for sanctions: a suspension or warning whose end has passed is not
    shown, even before the daily `flask moderation expire` job writes the change down.
    """
    now = now or utcnow()
    if merchant.standing in _KIND_OF_STANDING:
        if sanctions is None:
            sanctions = sanctions_in_effect([merchant.id])[merchant.id]
        standing = standing_once_lifted(merchant.standing, sanctions, _due(sanctions, now), now)
        if standing != merchant.standing:
            return pledges.standing_and_lapse(_StandingAsIf(merchant, standing), signature, now, current)
    return pledges.standing_and_lapse(merchant, signature, now, current)


def effective_standing(merchant: Merchant, signature, now: datetime | None = None,
                       sanctions: list[Sanction] | None = None) -> str:
    """The standing a consumer is shown right now (see standing_and_lapse)."""
    return standing_and_lapse(merchant, signature, now, sanctions)[0]


def effective_standings(merchants: list[Merchant], signatures: dict, now: datetime | None = None) -> dict[int, str]:
    """effective_standing for a list of shops, with one query for their sanctions."""
    now = now or utcnow()
    sanctioned = [m.id for m in merchants if m.standing in _KIND_OF_STANDING]
    sanctions = sanctions_in_effect(sanctioned)
    return {m.id: effective_standing(m, signatures.get(m.id), now, sanctions.get(m.id, [])) for m in merchants}


def standing_sanction(sanctions: list[Sanction], standing: str, now: datetime) -> Sanction | None:
    """The newest sanction in force that explains `standing` (for its reason and dates)."""
    kind = _KIND_OF_STANDING.get(standing)
    matching = [s for s in sanctions if s.kind == kind and s.in_force_at(now)]
    return max(matching, key=lambda s: (s.starts_at or s.issued_at, s.id)) if matching else None


def _set_standing(merchant: Merchant, new: str, reason: str | None, actor: User | None, why: str,
                  now: datetime) -> None:
    """Write the shop's standing (the shop row is locked by the caller) and record the change."""
    old = merchant.standing
    merchant.standing = new
    merchant.standing_reason = reason
    merchant.standing_changed_at = now
    if old != new:
        audit.record("merchant.standing_changed", merchant, actor, old=old, new=new, reason=why)


def _settle_standing(merchant: Merchant, sanctions: list[Sanction], lifted: set[int], actor: User | None, why: str,
                     now: datetime, notify: bool = True) -> None:
    """After the sanctions in `lifted` stop (`sanctions`: the shop's sanctions in effect before that),
    write down the standing that follows, judged against the signature as pledges would judge it."""
    if not _lifts_current(merchant.standing, sanctions, lifted):
        return
    remaining = [s for s in sanctions if s.id not in lifted]
    standing = _standing_from(remaining, now)
    final = pledges.effective_standing(_StandingAsIf(merchant, standing), pledges.latest_signature(merchant), now)
    explaining = standing_sanction(remaining, final, now)
    if final == merchant.standing:
        # Another sanction of the same kind is still in force: it explains the standing now.
        merchant.standing_reason = explaining.public_reason if explaining else merchant.standing_reason
        return
    _set_standing(merchant, final, explaining.public_reason if explaining else None, actor, why, now)
    if notify:
        _tell_shop(merchant, "lifted_lapsed" if final == Standing.LAPSED.value else "lifted")


def _end(sanction: Sanction, at: datetime, reason: str, actor: User | None, now: datetime) -> None:
    sanction.status = ENDED
    sanction.ended_at = at
    sanction.end_reason = reason
    if reason == END_APPEAL_GRANTED:
        sanction.visible_until = now  # a mark overturned on appeal is not shown any longer
    elif sanction.kind in (SUSPENSION, REVOCATION):
        sanction.visible_until = add_months(at, MARK_SHOWN_AFTER_END_MONTHS)
    audit.record("sanction.ended", sanction, actor, merchant_id=sanction.merchant_id, kind=sanction.kind,
                 reason=reason)


def _expire_due(merchant: Merchant, now: datetime) -> int:
    """End the shop's sanctions whose time is up and write down the standing that follows."""
    sanctions = sanctions_in_effect([merchant.id])[merchant.id]
    due = _due(sanctions, now)
    if not due:
        return 0
    for sanction in sanctions:
        if sanction.id in due:
            _end(sanction, sanction.ends_at, END_EXPIRED, None, now)
    db.session.flush()
    _settle_standing(merchant, sanctions, due, None, "sanction ended", now)
    return len(due)


@dataclass(frozen=True)
class ExpiryReport:
    sanctions_ended: int
    shops: int


def expire_sanctions(now: datetime | None = None) -> ExpiryReport:
    """The daily job: end suspensions and warnings whose end has passed, and restore the shops.

    A shop goes back to active when its signature is still valid, else to lapsed. Marks past their
    visible_until need no work: the public page only ever lists marks still visible.
    """
    now = now or utcnow()
    merchant_ids = list(db.session.scalars(
        select(Sanction.merchant_id).where(Sanction.status == ACTIVE, Sanction.ends_at <= now)
        .group_by(Sanction.merchant_id).order_by(Sanction.merchant_id)
    ))
    ended = 0
    for merchant_id in merchant_ids:
        merchant = db.session.get(Merchant, merchant_id)
        lock_shop(merchant)
        ended += _expire_due(merchant, now)
    db.session.flush()
    return ExpiryReport(ended, len(merchant_ids))


# --- Telling the shop -------------------------------------------------------------------------------

def _sms_body(merchant: Merchant, event: str, sanction: Sanction | None = None, appeal: Appeal | None = None) -> str:
    # Texts to shops are in Chinese whatever language the officer's screen is in.
    with force_locale("zh"):
        shop = merchant.name
        if event == WARNING:
            text = _("您的店铺“%(shop)s”被公开警示，原因：%(reason)s。请登录诚信码查看详情，如有异议可在线申诉一次。",
                     shop=shop, reason=sanction.public_reason)
        elif event == SUSPENSION and sanction.until_rectified:
            text = _("您的店铺“%(shop)s”的诚信码已被暂停，整改后恢复，原因：%(reason)s。请登录诚信码查看详情，如有异议可在线申诉一次。",
                     shop=shop, reason=sanction.public_reason)
        elif event == SUSPENSION:
            text = _("您的店铺“%(shop)s”的诚信码已被暂停至 %(date)s，原因：%(reason)s。请登录诚信码查看详情，如有异议可在线申诉一次。",
                     shop=shop, date=sanction.last_day.isoformat(), reason=sanction.public_reason)
        elif event == REVOCATION:
            text = _("您的店铺“%(shop)s”的诚信承诺已被撤销，原因：%(reason)s。请登录诚信码查看详情，如有异议可在线申诉一次。",
                     shop=shop, reason=sanction.public_reason)
        elif event == REINSTATEMENT:
            text = _("您的店铺“%(shop)s”已整改恢复。请登录诚信码重新签署现行诚信经营倡议书，签署后诚信码即恢复有效。", shop=shop)
        elif event == "lifted_lapsed":
            text = _("您的店铺“%(shop)s”的处理期限已结束。承诺已过期，请登录诚信码重新签署倡议书。", shop=shop)
        elif event == "lifted":
            text = _("您的店铺“%(shop)s”的处理期限已结束，诚信码已恢复。", shop=shop)
        elif event == APPEAL_GRANTED:
            text = _("您对店铺“%(shop)s”处理决定的申诉成立，该处理已撤销。说明：%(note)s", shop=shop,
                     note=appeal.decision_note)
        else:
            text = _("您对店铺“%(shop)s”处理决定的申诉未获支持，维持原决定。说明：%(note)s", shop=shop,
                     note=appeal.decision_note)
        return _("【诚信码】") + text


def _tell_shop(merchant: Merchant, event: str, sanction: Sanction | None = None, appeal: Appeal | None = None) -> None:
    """Text the shop's contact phone once the decision is committed. A failed SMS never undoes the
    decision: the owner also sees it on the shop's page; `flask messaging deliver` tries again."""
    queue_sms(merchant.contact_phone, _sms_body(merchant, event, sanction, appeal), SMS_PURPOSE)


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
        Complaint.decided_at <= until, Complaint.status != complaint_states.REFUSED)
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


@complaint_changed.connect
def _evaluate_rules(complaint: Complaint, action: str, actor: User | None = None, **_extra) -> None:
    """Complaints announce every change; filing and acceptance may raise a flag."""
    if action == "file":
        _check_burst(complaint)
    elif action == "accept":
        _check_accepted_rules(complaint)


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


def _clean_text(value: str | None, field: str, required_message: str | None, limit: int) -> str:
    text = (value or "").strip()
    if required_message and not text:
        raise DomainError(required_message, field=field)
    if len(text) > limit:
        raise DomainError(_("最多 %(count)d 个字。", count=limit), field=field)
    return text


def raise_staff_flag(merchant: Merchant, staff: User, reason: str) -> Flag:
    """Staff mark a shop for a closer look by hand."""
    require_scope(merchant, staff)
    reason = _clean_text(reason, "reason", _("请写明需要关注的原因。"), MAX_PUBLIC_REASON)
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
    note = _clean_text(note, "note", _("请说明为什么不需要处理。"), MAX_NOTE)
    _lock_flag(flag, staff)
    flag.status, flag.resolved_at, flag.resolved_by_id, flag.resolution_note = FLAG_DISMISSED, utcnow(), staff.id, note
    db.session.flush()
    audit.record("flag.dismissed", flag, staff, merchant_id=flag.merchant_id, note=note)


def _action_flag(flag: Flag | None, merchant: Merchant, staff: User, sanction: Sanction, now: datetime) -> None:
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


# --- Sanctions --------------------------------------------------------------------------------------

@dataclass
class SanctionInput:
    """What the officer typed on a sanction form."""

    clause_kind: str
    public_reason: str
    internal_note: str = ""


def _clean_reason(public_reason: str | None) -> str:
    reason = " ".join((public_reason or "").split())
    if not reason:
        raise DomainError(_("请填写公开说明：消费者在公示页上会看到它。"), field="public_reason")
    if len(reason) > MAX_PUBLIC_REASON:
        raise DomainError(_("公开说明最多 %(count)d 个字。", count=MAX_PUBLIC_REASON), field="public_reason")
    return reason


def _clean_sanction(data: SanctionInput) -> SanctionInput:
    if data.clause_kind not in CLAUSE_KINDS:
        raise DomainError(_("请选择违反的承诺条款。"), field="clause_kind")
    reason = _clean_reason(data.public_reason)
    return SanctionInput(data.clause_kind, reason, _clean_text(data.internal_note, "internal_note", None, MAX_NOTE))


def _begin(merchant: Merchant, staff: User, now: datetime) -> None:
    """Common start of every sanction: scope, the shop row locked, sanctions that ran out ended."""
    require_scope(merchant, staff)
    lock_shop(merchant)
    _expire_due(merchant, now)
    if merchant.standing == Standing.PENDING.value:
        raise InvalidTransition(_("这家店铺尚未签署承诺，不在公示范围内，无需处理。"))


def _new_sanction(merchant: Merchant, staff: User, kind: str, data: SanctionInput, status: str,
                  now: datetime, **fields) -> Sanction:
    sanction = Sanction(merchant_id=merchant.id, kind=kind, clause_kind=data.clause_kind or None,
                        public_reason=data.public_reason, internal_note=data.internal_note or None, status=status,
                        issued_by_id=staff.id, issued_at=now, previous_standing=merchant.standing, **fields)
    db.session.add(sanction)
    db.session.flush()
    return sanction


def issue_warning(merchant: Merchant, staff: User, data: SanctionInput, flag: Flag | None = None) -> Sanction:
    """A published warning (警示): the badge stays valid; shown for 12 months."""
    data = _clean_sanction(data)
    now = utcnow()
    _begin(merchant, staff, now)
    if merchant.standing not in (Standing.ACTIVE.value, Standing.WARNED.value):
        raise InvalidTransition(_("只能警示承诺有效的店铺（这家店铺当前为“%(standing)s”）。",
                                  standing=_standing_label(merchant.standing)))
    ends_at = add_months(now, WARNING_SHOWN_MONTHS)
    sanction = _new_sanction(merchant, staff, WARNING, data, ACTIVE, now, starts_at=now, ends_at=ends_at,
                             visible_until=ends_at)
    audit.record("sanction.warning_issued", sanction, staff, merchant_id=merchant.id, clause=data.clause_kind,
                 reason=data.public_reason, ends_at=ends_at)
    _set_standing(merchant, Standing.WARNED.value, data.public_reason, staff, "warning issued", now)
    _action_flag(flag, merchant, staff, sanction, now)
    _tell_shop(merchant, WARNING, sanction)
    return sanction


def suspend(merchant: Merchant, staff: User, data: SanctionInput, until: date | None, until_rectified: bool,
            flag: Flag | None = None) -> Sanction:
    """Suspend the badge until a date (ends by itself) or until the shop has put things right."""
    data = _clean_sanction(data)
    now = utcnow()
    today = china_date(now)
    if until_rectified:
        until = None
    elif until is None:
        raise DomainError(_("请填写暂停截止日期，或选择“整改后恢复”。"), field="until")
    elif until <= today:
        raise DomainError(_("暂停截止日期必须晚于今天。"), field="until")
    elif until > today + timedelta(days=MAX_SUSPENSION_DAYS):
        raise DomainError(_("暂停最长 3 年。更长时间请选择“整改后恢复”或撤销承诺。"), field="until")
    _begin(merchant, staff, now)
    if merchant.standing == Standing.SUSPENDED.value:
        raise Conflict(_("这家店铺已在暂停中。如需改变期限，请先恢复再重新暂停。"))
    if merchant.standing == Standing.REVOKED.value:
        raise InvalidTransition(_("这家店铺的承诺已被撤销，不能再暂停。"))
    ends_at = end_of_china_day(until) if until else None
    sanction = _new_sanction(merchant, staff, SUSPENSION, data, ACTIVE, now, starts_at=now, ends_at=ends_at,
                             until_rectified=until is None,
                             visible_until=add_months(ends_at, MARK_SHOWN_AFTER_END_MONTHS) if ends_at else None)
    audit.record("sanction.suspended", sanction, staff, merchant_id=merchant.id, clause=data.clause_kind,
                 reason=data.public_reason, until=until.isoformat() if until else None,
                 until_rectified=until is None)
    _set_standing(merchant, Standing.SUSPENDED.value, data.public_reason, staff, "suspended", now)
    _action_flag(flag, merchant, staff, sanction, now)
    _tell_shop(merchant, SUSPENSION, sanction)
    return sanction


def propose_revocation(merchant: Merchant, staff: User, data: SanctionInput, flag: Flag | None = None) -> Sanction:
    """Propose revoking the shop's pledge; it takes effect only when another officer approves."""
    data = _clean_sanction(data)
    now = utcnow()
    _begin(merchant, staff, now)
    if merchant.standing == Standing.REVOKED.value:
        raise InvalidTransition(_("这家店铺的承诺已被撤销。"))
    if db.session.scalar(select(Sanction.id).where(Sanction.merchant_id == merchant.id, Sanction.kind == REVOCATION,
                                                   Sanction.status == PROPOSED)) is not None:
        raise Conflict(_("这家店铺已有一项撤销提议在等待审批。"))
    sanction = _new_sanction(merchant, staff, REVOCATION, data, PROPOSED, now)
    audit.record("sanction.revocation_proposed", sanction, staff, merchant_id=merchant.id, clause=data.clause_kind,
                 reason=data.public_reason)
    _action_flag(flag, merchant, staff, sanction, now)
    return sanction


# Lifting a revocation needs the same two officers as imposing it: otherwise one officer could undo
# alone what two decided. Lifting a suspension (or a warning's effects) stays one officer's decision.
_PROPOSAL_KINDS = (REVOCATION, REINSTATEMENT)


def _lock_proposal(sanction: Sanction, staff: User, now: datetime) -> Merchant:
    merchant = sanction.merchant
    require_scope(merchant, staff)
    lock_shop(merchant)
    db.session.refresh(sanction)
    if sanction.status != PROPOSED:
        if sanction.kind == REINSTATEMENT:
            raise Conflict(_("这项恢复提议刚刚已被处理，请刷新页面查看。"))
        raise Conflict(_("这项撤销提议刚刚已被处理，请刷新页面查看。"))
    _expire_due(merchant, now)
    return merchant


def approve_proposal(sanction: Sanction, staff: User) -> None:
    """The second officer approves a proposed revocation or reinstatement; it is in force at once.

    Nobody approves their own proposal.
    """
    if sanction.kind not in _PROPOSAL_KINDS:
        raise InvalidTransition(_("只有撤销及撤销后的恢复需要审批。"))
    if sanction.issued_by_id == staff.id:
        if sanction.kind == REINSTATEMENT:
            raise NotPermitted(_("不能批准自己提出的恢复，须由另一位工作人员审批。"))
        raise NotPermitted(_("不能批准自己提出的撤销，须由另一位工作人员审批。"))
    now = utcnow()
    merchant = _lock_proposal(sanction, staff, now)
    if sanction.kind == REINSTATEMENT:
        _approve_reinstatement(sanction, merchant, staff, now)
        return
    if merchant.standing == Standing.REVOKED.value:
        raise InvalidTransition(_("这家店铺的承诺已被撤销。"))
    sanction.status, sanction.approved_by_id, sanction.approved_at = ACTIVE, staff.id, now
    sanction.starts_at, sanction.previous_standing = now, merchant.standing
    db.session.flush()
    audit.record("sanction.revocation_approved", sanction, staff, merchant_id=merchant.id,
                 proposed_by=sanction.issued_by_id, reason=sanction.public_reason)
    _set_standing(merchant, Standing.REVOKED.value, sanction.public_reason, staff, "revoked", now)
    _tell_shop(merchant, REVOCATION, sanction)


def approve_revocation(sanction: Sanction, staff: User) -> None:
    """The second officer approves a proposed revocation (see approve_proposal)."""
    if sanction.kind != REVOCATION:
        raise InvalidTransition(_("只有撤销需要审批。"))
    approve_proposal(sanction, staff)


def reject_proposal(sanction: Sanction, staff: User, note: str) -> None:
    """Turn a proposed revocation or reinstatement down (or, by its proposer, withdraw it); the shop
    is not affected."""
    if sanction.kind not in _PROPOSAL_KINDS:
        raise InvalidTransition(_("只有撤销及撤销后的恢复需要审批。"))
    note = _clean_text(note, "note", _("请说明不批准的理由。"), MAX_NOTE)
    now = utcnow()
    _lock_proposal(sanction, staff, now)
    sanction.status, sanction.rejection_note = REJECTED, note
    sanction.rejected_by_id, sanction.rejected_at = staff.id, now
    db.session.flush()
    audit.record(f"sanction.{sanction.kind}_rejected", sanction, staff, merchant_id=sanction.merchant_id, note=note)


def reject_revocation(sanction: Sanction, staff: User, note: str) -> None:
    """Turn a proposed revocation down (see reject_proposal)."""
    if sanction.kind != REVOCATION:
        raise InvalidTransition(_("只有撤销需要审批。"))
    reject_proposal(sanction, staff, note)


def reinstate(merchant: Merchant, staff: User, public_reason: str, internal_note: str = "") -> Sanction:
    """Lift a suspension or revocation after rectification (信用修复).

    A suspended shop is reinstated at once. A revoked shop's reinstatement is only proposed (status
    proposed): like the revocation, it takes effect when another officer approves it.
    Once in force the shop is lapsed: it must sign the current pledge again, and signing makes it active.
    """
    data = SanctionInput("", _clean_reason(public_reason), _clean_text(internal_note, "internal_note", None, MAX_NOTE))
    now = utcnow()
    _begin(merchant, staff, now)
    if merchant.standing not in (Standing.SUSPENDED.value, Standing.REVOKED.value):
        raise InvalidTransition(_("只有被暂停或撤销的店铺需要恢复（这家店铺当前为“%(standing)s”）。",
                                  standing=_standing_label(merchant.standing)))
    if merchant.standing == Standing.REVOKED.value:
        return _propose_reinstatement(merchant, staff, data, now)
    record = _new_sanction(merchant, staff, REINSTATEMENT, data, ACTIVE, now)
    lifted = _lift_all(merchant, record, staff, now)
    audit.record("sanction.reinstated", record, staff, merchant_id=merchant.id, reason=data.public_reason,
                 lifted=lifted)
    _finish_reinstatement(merchant, record, staff, now)
    return record


def _propose_reinstatement(merchant: Merchant, staff: User, data: SanctionInput, now: datetime) -> Sanction:
    if db.session.scalar(select(Sanction.id).where(Sanction.merchant_id == merchant.id,
                                                   Sanction.kind == REINSTATEMENT,
                                                   Sanction.status == PROPOSED)) is not None:
        raise Conflict(_("这家店铺已有一项恢复提议在等待审批。"))
    proposal = _new_sanction(merchant, staff, REINSTATEMENT, data, PROPOSED, now)
    audit.record("sanction.reinstatement_proposed", proposal, staff, merchant_id=merchant.id,
                 reason=data.public_reason)
    return proposal


def _approve_reinstatement(proposal: Sanction, merchant: Merchant, staff: User, now: datetime) -> None:
    if merchant.standing != Standing.REVOKED.value:
        # E.g. the revocation was lifted on appeal while the proposal waited.
        raise InvalidTransition(_("这家店铺已不是“已撤销”状态，这项恢复提议无需批准，请不予批准。"))
    proposal.status, proposal.approved_by_id, proposal.approved_at = ACTIVE, staff.id, now
    proposal.previous_standing = merchant.standing
    lifted = _lift_all(merchant, proposal, staff, now)
    audit.record("sanction.reinstatement_approved", proposal, staff, merchant_id=merchant.id,
                 proposed_by=proposal.issued_by_id, reason=proposal.public_reason, lifted=lifted)
    _finish_reinstatement(merchant, proposal, staff, now)


def _lift_all(merchant: Merchant, record: Sanction, staff: User, now: datetime) -> list[int]:
    """End every sanction in force on the shop (a reinstatement lifts them all); returns their ids."""
    lifted = sanctions_in_effect([merchant.id])[merchant.id]
    for sanction in lifted:
        _end(sanction, now, END_REINSTATED, staff, now)
    record.starts_at, record.visible_until = now, add_months(now, MARK_SHOWN_AFTER_END_MONTHS)
    db.session.flush()
    return [s.id for s in lifted]


def _finish_reinstatement(merchant: Merchant, record: Sanction, staff: User, now: datetime) -> None:
    _set_standing(merchant, Standing.LAPSED.value, record.public_reason, staff, "reinstated; must sign again", now)
    _tell_shop(merchant, REINSTATEMENT, record)


def _standing_label(standing: str) -> str:
    return str(STANDING_LABELS[standing])


# --- Appeals ----------------------------------------------------------------------------------------

def appeal_directory() -> Path:
    """APPEAL_EVIDENCE_DIR if set, else an `appeals` folder next to the complaint evidence."""
    configured = current_app.config.get("APPEAL_EVIDENCE_DIR")
    return Path(configured) if configured else evidence_directory() / "appeals"


def can_appeal(sanction: Sanction) -> bool:
    """A sanction in force can be appealed once."""
    return sanction.is_negative and sanction.status == ACTIVE and sanction.appeal is None


def submit_appeal(sanction: Sanction, owner: User, text: str, photos: list[ProcessedImage]) -> Appeal:
    """The shop appeals a sanction once, with its account and up to 3 photos."""
    merchant = sanction.merchant
    require_owner(merchant, owner)
    text = (text or "").strip()
    if len(text) < MIN_APPEAL_TEXT:
        raise DomainError(_("请用至少 %(count)d 个字说明申诉理由。", count=MIN_APPEAL_TEXT), field="text")
    if len(text) > MAX_NOTE:
        raise DomainError(_("申诉理由最多 %(count)d 个字。", count=MAX_NOTE), field="text")
    if len(photos) > MAX_APPEAL_PHOTOS:
        raise DomainError(_("最多上传 %(count)d 张照片。", count=MAX_APPEAL_PHOTOS), field="photos")
    lock_shop(merchant)
    db.session.refresh(sanction)
    if db.session.scalar(select(Appeal.id).where(Appeal.sanction_id == sanction.id)) is not None:
        raise Conflict(_("每项处理决定只能申诉一次，您已经提交过申诉。"))
    if not sanction.is_negative or sanction.status != ACTIVE:
        raise InvalidTransition(_("这项处理决定已不在生效中，无需申诉。"))
    now = utcnow()
    appeal = Appeal(sanction_id=sanction.id, merchant_id=merchant.id, submitted_by_id=owner.id, submitted_at=now,
                    text=text, status=APPEAL_PENDING)
    try:
        with db.session.begin_nested():
            db.session.add(appeal)
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(_("每项处理决定只能申诉一次，您已经提交过申诉。")) from error
    directory = appeal_directory()
    for image in photos:
        db.session.add(AppealPhoto(
            appeal_id=appeal.id, stored_name=store_image(image, directory), original_filename=image.original_filename,
            content_type=image.content_type, width=image.width, height=image.height, size_bytes=len(image.data),
            sha256=image.sha256, created_at=now))
    db.session.flush()
    audit.record("appeal.submitted", appeal, owner, merchant_id=merchant.id, sanction_id=sanction.id,
                 photos=len(photos))
    return appeal


def can_decide(appeal: Appeal, staff: User) -> bool:
    """Whether `staff` may decide: not the officer who issued (or approved) the sanction."""
    sanction = appeal.sanction
    return appeal.status == APPEAL_PENDING and staff.id not in (sanction.issued_by_id, sanction.approved_by_id)


def decide_appeal(appeal: Appeal, staff: User, grant: bool, note: str) -> None:
    """Another officer decides: upheld (the sanction stays) or granted (ended, standing restored)."""
    sanction = appeal.sanction
    merchant = appeal.merchant
    require_scope(merchant, staff)
    if staff.id in (sanction.issued_by_id, sanction.approved_by_id):
        raise NotPermitted(_("申诉须由作出该处理决定以外的工作人员审理。"))
    note = _clean_text(note, "note", _("请填写处理说明，商家会看到它。"), MAX_NOTE)
    lock_shop(merchant)
    db.session.refresh(appeal)
    db.session.refresh(sanction)
    if appeal.status != APPEAL_PENDING:
        raise Conflict(_("这件申诉刚刚已被处理，请刷新页面查看。"))
    now = utcnow()
    _expire_due(merchant, now)
    in_effect = sanctions_in_effect([merchant.id])[merchant.id]
    appeal.status = APPEAL_GRANTED if grant else APPEAL_UPHELD
    appeal.decided_by_id, appeal.decided_at, appeal.decision_note = staff.id, now, note
    db.session.flush()
    audit.record(f"appeal.{appeal.status}", appeal, staff, merchant_id=merchant.id, sanction_id=sanction.id, note=note)
    if grant:
        if sanction.status == ACTIVE:
            _end(sanction, now, END_APPEAL_GRANTED, staff, now)
            db.session.flush()
            _settle_standing(merchant, in_effect, {sanction.id}, staff, "appeal granted", now, notify=False)
        else:
            # It ran out while the appeal waited: only its mark is left, and that goes.
            sanction.end_reason, sanction.visible_until = END_APPEAL_GRANTED, now
            db.session.flush()
    _tell_shop(merchant, appeal.status, sanction, appeal)
