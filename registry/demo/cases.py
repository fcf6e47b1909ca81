"""The demo's complaints: this month's cases at every stage, played at the moments they happened
(registry/demo/timeline.py), and two years of past cases and consultations for the yearly report and
/stats. Every complaint is about something a shop of its trade sells (registry/demo/vocabulary.py),
filed after the shop signed, and its reply matches how it ended."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from registry.clock import CHINA
from registry.demo.vocabulary import DISTRICT, GIVEN, SURNAMES, TOWNSHIPS, TRADES
from registry.extensions import db

# This month's cases: (how far the case has gone, days since it was filed, the promise it is about when
# the shop's trade has such a complaint). The first two need the demo owner's reply (美好生活超市 and its
# sister shop).
CURRENT_CASES = [
    ("accepted", 4, "price_fraud"), ("replied", 9, "inferior"),
    ("filed", 1, "counterfeit"), ("filed", 2, "price_fraud"), ("refused", 10, "after_sales"),
    ("withdrawn", 14, "false_advertising"), ("disputed", 12, "forced_sale"), ("mediating", 20, "inferior"),
    ("agreed", 24, "price_fraud"), ("mediated", 33, "counterfeit"), ("failed", 38, "after_sales"),
]
# The cases that led to each sanction the demo issues (registry/demo/standings.py), days before today.
SANCTION_CASES = {"suspended": (("mediated", 80), ("failed", 60)), "revoked": (("agreed", 230), ("failed", 200)),
                  "revocation_proposed": (("mediated", 120), ("agreed", 25))}
MEDIATION_ROOM = "西湖区消费者协会调解室"
# How past cases ended, with weights: most are settled, some mediated, a few fail, are refused or withdrawn.
HISTORY_STAGES = (("agreed", 40), ("mediated", 30), ("failed", 10), ("refused", 12), ("withdrawn", 8))
CONSULTATION_SUMMARIES = {
    "预付卡退费": "询问预付卡余额退费的途径，已告知与经营者协商并保留凭证。",
    "商品质量": "咨询商品质量问题的处理方式，已解释三包规定。",
    "售后服务": "咨询售后维修期限，已说明相关规定。",
    "价格问题": "反映标价与结算价不一致，已告知可投诉并保留小票。",
    "食品安全": "咨询过期食品的处理，已告知向市场监管部门举报的途径。",
    "网络购物": "咨询网购七日无理由退货，已解释适用范围。",
    "虚假宣传": "反映广告宣传与实际不符，已告知投诉所需材料。",
}


def clause_cited(shop, kind: str) -> int | str:
    """The number of the clause of `kind` in the pledge the shop signed ("other" when it has none)."""
    from registry.complaints.filing import pledge_cited
    from registry.pledges.models import OTHER_CLAUSE

    version = pledge_cited(shop)
    clauses = version.clauses if version is not None else []
    return next((c.number for c in clauses if c.kind == kind and kind != OTHER_CLAUSE), OTHER_CLAUSE)


def complaint_for(world, trade: str, clause: str | None):
    """One of the trade's complaints, of `clause` when it has one: (clause, text, amount, demands, summary)."""
    choices = TRADES[trade].complaints
    fitting = [c for c in choices if c[0] == clause] or list(choices)
    return world.rng.choice(fitting)


def reply_words(settles: bool, amount: int, demands) -> tuple[str, str, int | None]:
    """The shop's reply, its offer and the refund it offers: in full when the case settles on it, half
    when the consumer goes on to mediation."""
    if "refund" not in demands and "compensation" not in demands:
        if settles:
            return "经核实情况属实，向您致歉，同意为您更换新品。", "更换同款新品", None
        return "已派人检查，认为属于正常使用损耗，愿意免费维修一次。", "免费维修一次", None
    if settles:
        return "经核实情况属实，向您致歉，同意全额退款。", f"全额退款 {amount} 元", amount * 100
    return "已与店员核实，情况与消费者所述有出入，愿意退还一半费用协商解决。", "退还一半费用", amount * 100 // 2


MEDIATION_NOTES = {True: "经调解，商家同意全额退款并赔礼道歉，双方达成一致。",
                   False: "双方对退赔金额分歧较大，调解未能达成一致，已告知消费者可向人民法院起诉或申请仲裁。"}


def _file(world, shop, trade: str, clause: str | None, purchase_days: int):
    from registry.clock import today_in_china
    from registry.complaints.filing import ComplaintInput, file_complaint

    rng = world.rng
    kind, text, amount, demands, summary = complaint_for(world, trade, clause)
    phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
    complaint, _token = file_complaint(shop, ComplaintInput(
        clause=clause_cited(shop, kind), description=text, purchase_date=today_in_china() - timedelta(days=purchase_days),
        amount_cents=amount * 100, demands=list(demands), consumer_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
        consumer_phone=phone, privacy_consent=True, share_phone_consent=rng.random() < 0.3,
    ), [], phone, secrets.token_urlsafe(24))
    return complaint, amount, demands, summary


def case_story(world, plan, stage: str, days_ago: int, clause: str):
    """One case from its filing to `stage`, each step a working day or a few after the one before."""
    from registry.complaints import handling as complaints

    staff, rng = world.staff, world.rng
    filed = world.now - timedelta(days=days_ago, hours=rng.randint(1, 8))
    yield filed
    complaint, amount, demands, summary = _file(world, plan.shop, plan.trade, clause, rng.randint(1, 5))
    if stage == "filed":
        return
    yield filed + timedelta(days=1, hours=2)
    if stage == "refused":
        complaints.refuse_complaint(complaint, staff, None, "no_evidence", "缺少购买凭证，无法核实。建议保留证据后拨打 12315。")
        return
    if stage == "withdrawn":
        complaints.withdraw_complaint(complaint, "商家已当面解释清楚，不再投诉。")
        return
    complaints.accept_complaint(complaint, staff, None, summary)
    if stage == "accepted":
        return
    settles = stage in ("replied", "agreed")
    yield filed + timedelta(days=3, hours=5)
    complaints.merchant_reply(complaint, plan.shop.owner, *reply_words(settles, amount, demands))
    if stage == "replied":
        return
    yield filed + timedelta(days=4, hours=1)
    if stage == "agreed":
        complaints.respond_to_offer(complaint, True, "同意，谢谢。")
        yield filed + timedelta(days=6)
        complaints.answer_followup(complaint, True, 5, "处理很快。")
        return
    complaints.respond_to_offer(complaint, False, "只退一半不能接受。")
    if stage == "disputed":
        return
    yield filed + timedelta(days=5, hours=3)
    meeting = world.now + timedelta(days=2) if stage == "mediating" else filed + timedelta(days=12)
    complaints.schedule_mediation(complaint, staff, None, meeting.replace(minute=0, second=0, microsecond=0),
                                  MEDIATION_ROOM, "")
    if stage == "mediating":
        return
    yield meeting + timedelta(hours=2)
    succeeded = stage == "mediated"
    complaints.record_mediation(complaint, staff, None, succeeded, amount * 100 if succeeded else None,
                                MEDIATION_NOTES[succeeded])


def current_case_stories(world) -> list:
    """This month's cases, on shops in good standing: the owner's first, then from the end of the list;
    and the cases that led to the demo's sanctions."""
    regular = [p for p in world.plans if p.part == "regular"]
    if not regular:
        return []
    owned = [p for p in regular if p.index < 2]
    others = [p for p in reversed(regular) if p.index >= 2] or owned
    stories = []
    for number, (stage, days_ago, clause) in enumerate(CURRENT_CASES):
        plan = owned[number] if number < len(owned) else others[(number - len(owned)) % len(others)]
        stories.append(case_story(world, plan, stage, days_ago, clause))
    from registry.demo.standings import gravest_clause

    for plan in world.plans:
        for stage, days_ago in SANCTION_CASES.get(plan.part, ()):
            stories.append(case_story(world, plan, stage, days_ago, gravest_clause(plan.trade)))
    return stories


def load_demo_history(world) -> tuple[int, int]:
    """A year and a bit of past work, so the yearly report and /stats show real-looking figures:
    consultations logged by staff, and complaints walked to their end through the real services,
    then moved back to the dates they happened (from 1 January last year to about six weeks ago), each
    about a shop that had signed by then and was still in good standing when the case closed.

    Flag rules are muted while these are loaded: they judge cases as they arrive, not a year later.
    The audit log keeps the time the demo was loaded (it is append-only). Returns (consultations, complaints).
    """
    from registry.complaints import handling as complaints
    from registry.complaints.filing import next_tracking_number
    from registry.complaints.models import ComplaintEvent
    from registry.complaints.timeline import complaint_changed
    from registry.consultations.services import ConsultationInput, record_consultation

    rng, staff, now = world.rng, world.staff, world.now
    first = world.history_from
    last = now - timedelta(days=40)  # every past case has closed by now
    span_days = (last - first).days
    consultations = 0
    channels = ["phone"] * 5 + ["visit"] * 3 + ["online"] * 2 + ["letter"]
    logged_days = (now - first).days  # consultations run up to yesterday
    for _index in range(logged_days):
        topic = rng.choice(list(CONSULTATION_SUMMARIES))
        received = first + timedelta(days=rng.randrange(logged_days), minutes=rng.randrange(8 * 60))
        record_consultation(staff, ConsultationInput(
            channel=rng.choice(channels), topic=topic, district=DISTRICT, township=rng.choice(TOWNSHIPS),
            summary=CONSULTATION_SUMMARIES[topic], outcome=rng.choice(["answered", "answered", "referred", "complaint"]),
            received_at=received), now=now)
        consultations += 1

    stages = [stage for stage, weight in HISTORY_STAGES for _ in range(weight)]
    cases = 0
    with complaint_changed.muted():
        for _index in range(span_days // 5):
            stage = rng.choice(stages)
            filed = first + timedelta(days=rng.randrange(span_days), minutes=rng.randrange(8 * 60))
            decided = filed + timedelta(days=rng.choice([0, 0, 1, 1, 2, 3, 5]), hours=2)
            replied = decided + timedelta(days=rng.randint(1, 6))
            closed = replied + timedelta(days=rng.randint(1, 25))
            # Filed today and moved back: only shops that still take complaints today.
            eligible = [p for p in world.plans if p.part in ("regular", "revocation_proposed") and p.shop is not None
                        and p.public_between(filed, closed)]
            if not eligible:
                continue
            plan = rng.choice(eligible)
            shop = plan.shop
            # A shop warned for a promise was mostly complained about for breaking that one.
            clause = world.warned_for.get(shop.id) if rng.random() < 0.7 else None
            complaint, amount, demands, summary = _file(world, shop, plan.trade, clause, 0)
            complaint.purchase_date = filed.astimezone(CHINA).date() - timedelta(days=2)
            times = {"filed": filed, "accepted": decided, "forwarded": decided, "refused": decided,
                     "merchant_replied": replied, "consumer_accepted": closed, "consumer_rejected": replied,
                     "mediation_scheduled": replied + timedelta(days=1), "mediated": closed,
                     "mediation_failed": closed, "closed": closed, "withdrawn": decided,
                     "followup": closed + timedelta(days=3)}
            if stage == "refused":
                complaints.refuse_complaint(complaint, staff, None, rng.choice(["no_evidence", "no_jurisdiction",
                                                                                "not_consumer_dispute"]),
                                            "不属于本会受理范围，已告知其他途径。")
            elif stage == "withdrawn":
                complaints.withdraw_complaint(complaint, "已与商家自行协商解决。")
            else:
                complaints.accept_complaint(complaint, staff, None, summary)
                complaints.merchant_reply(complaint, shop.owner, *reply_words(stage == "agreed", amount, demands))
                complaints.respond_to_offer(complaint, stage == "agreed", "")
                if stage != "agreed":
                    complaints.schedule_mediation(complaint, staff, None, replied + timedelta(days=2), MEDIATION_ROOM, "")
                    succeeded = stage == "mediated"
                    complaints.record_mediation(complaint, staff, None, succeeded, amount * 100 if succeeded else None,
                                                MEDIATION_NOTES[succeeded])
                if stage != "failed" and rng.random() < 0.6:
                    complaints.answer_followup(complaint, True, rng.choice([3, 4, 4, 5, 5, 5]), "")
            # Back to the day it happened (tracking numbers carry the filing date).
            complaint.tracking_number = next_tracking_number(filed)
            complaint.filed_at, complaint.privacy_consent_at = filed, filed
            complaint.received_on = filed.astimezone(CHINA).date()
            complaint.decided_at = decided if complaint.decided_at else None
            complaint.first_reply_at = replied if complaint.first_reply_at else None
            complaint.mediation_started_at = times["mediation_scheduled"] if complaint.mediation_started_at else None
            complaint.closed_at = (decided if stage in ("refused", "withdrawn") else closed)
            complaint.followup_at = times["followup"] if complaint.followup_at else None
            complaint.due_date = None
            for event in db.session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)):
                event.created_at = times.get(event.kind, closed)
            db.session.flush()
            cases += 1
    return consultations, cases

