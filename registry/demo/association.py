"""Demo data for what the association's staff do besides handling online complaints: the texts the
timers send, call-backs (回访), door-to-door signatures, licence checks, and the complaints staff
registered from calls, letters, visits and other platforms. Called by registry.demo.load_demo once the
shops and cases exist; all of it happens today (the past is played in registry/demo/standings.py and
cases.py)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from registry.auth.services import user_by_login
from registry.demo import demo_credit_code
from registry.demo.cases import clause_cited
from registry.demo.vocabulary import CITY_DISTRICTS, DISTRICT, TOWNSHIP_STREETS, trade_of
from registry.extensions import db
from registry.merchants.services import ShopDetails


def load_demo_notices() -> int:
    """The texts the daily timers add to those the demo's cases already sent (notices at every step):
    the reply reminder of the case waiting for the shop, as on the morning two working days before its
    deadline, and the follow-up invitations of recently closed cases, as on the day after. `make run`
    shows them all at /dev/outbox."""
    from registry.clock import start_of_china_day, today_in_china, utcnow
    from registry.complaints import states, timers
    from registry.complaints.models import Complaint
    from registry.workdays.calendar import working_days_between

    sent = 0
    waiting = db.session.scalars(select(Complaint).where(Complaint.status == states.ACCEPTED,
                                                         Complaint.due_date.is_not(None)))
    for due in sorted({c.due_date for c in waiting}):
        day = today_in_china()
        while day < due and working_days_between(day, due) > timers.REMIND_WORKING_DAYS:
            day += timedelta(days=1)
        sent += timers.send_reply_reminders(start_of_china_day(day) + timedelta(hours=1))
    sent += timers.send_followup_invitations(utcnow() + timers.FOLLOWUP_AFTER)
    return sent


def demo_photo(colour: tuple[int, int, int], name: str):
    """A plain picture standing in for a photo the shop or the claimant would take."""
    import io

    from PIL import Image, ImageDraw

    from registry.uploads import process_image

    image = Image.new("RGB", (640, 440), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 610, 410), outline=(120, 40, 40), width=6)
    for row in range(6):
        draw.line((80, 110 + row * 45, 560, 110 + row * 45), fill=(90, 90, 90), width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    out.seek(0)
    return process_image(out, name)


def load_demo_callbacks_and_onsite(world) -> int:
    """回访 and door-to-door signing for the demo: staff call-backs on about half of the concluded cases
    that have no survey (some needed a second try, a few were never reached), and two shops signed at
    their door — one confirmed by the owner's SMS code, one by an attested photo of the paper pledge. The
    failed mediation and the refusal among the demo complaints have their closing letters (staff case
    page, consumer's case link). Returns how many shops it registered (one, at its door)."""
    import io

    from PIL import Image, ImageDraw

    from registry.campaigns import onsite
    from registry.clock import utcnow
    from registry.complaints import handling, states
    from registry.complaints.models import Complaint
    from registry.complaints.timeline import complaint_changed
    from registry.pledges.models import ONSITE_SMS
    from registry.pledges.signing import sign_on_site
    from registry.pledges.versions import current_version
    from registry.uploads import process_image

    staff, rng = world.staff, world.rng
    now = utcnow()
    concluded = db.session.scalars(select(Complaint).where(
        Complaint.status == states.CLOSED, Complaint.followup_at.is_(None)).order_by(Complaint.id)).all()
    with complaint_changed.muted():
        for complaint in concluded:
            if rng.random() < 0.45:
                continue
            attempts = ([False] if rng.random() < 0.3 else []) + [rng.random() < 0.9]
            good = complaint.outcome != states.FAILED
            for number, reached in enumerate(attempts):
                score = rng.choice([3, 4, 4, 5, 5] if good else [1, 2, 3])
                call = handling.record_callback(complaint, staff, reached, good if reached else None,
                                                score if reached else None,
                                                "消费者确认处理结果。" if reached else "无人接听，改日再拨。")
                # Back to when it would have happened: a few days after closing (never in the future).
                call.called_at = min(complaint.closed_at + timedelta(days=2 + number, hours=3), now)
                complaint.events[-1].created_at = call.called_at  # its timeline entry, just added

    version = current_version()
    waiting = next((p.shop for p in world.plans if p.part == "pending_onsite"), None)
    if waiting is not None:  # the owner confirmed with the code texted to the shop's phone
        sign_on_site(waiting, version, staff, ONSITE_SMS, waiting.owner_name, "店主",
                     {c.number for c in version.clauses}, onsite.officer_unit(staff))
    door_shop = onsite.register_on_site(staff, ShopDetails(
        name="老街修鞋铺", credit_code=demo_credit_code(rng), category="services", district=DISTRICT,
        township="北山街道", address=f"{TOWNSHIP_STREETS['北山街道'][0]}{rng.randint(1, 199)}号",
        contact_phone=f"13{rng.randrange(10**9):09d}", owner_name="陈师傅"))
    # A photo-like picture of the signed paper pledge (lines of text and a signature).
    picture = Image.new("RGB", (900, 1200), (250, 248, 240))
    draw = ImageDraw.Draw(picture)
    for line in range(18):
        draw.line((90, 160 + line * 52, 810 - (line % 4) * 60, 160 + line * 52), fill=(90, 90, 90), width=4)
    draw.line((560, 1080, 780, 1050), fill=(20, 40, 140), width=6)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80)
    buffer.seek(0)
    onsite.sign_with_paper(door_shop, version, staff, process_image(buffer, "倡议书.jpg"), True, staff.display_name,
                           "陈师傅", "店主")
    db.session.flush()
    return 1


def load_demo_trust(world) -> None:
    """What the association checked (issue 14): the districts' division codes (so a code from another city
    is refused), 美好生活超市's licence seen on site a week ago, its sister shop not yet verified. Every
    badge already carries its signed offline proof (issued on signing)."""
    from registry.areas.models import District
    from registry.areas.services import set_division_code
    from registry.clock import today_in_china
    from registry.merchants.licences import verify_licence

    admin = user_by_login("admin@demo.cxm")
    for district in db.session.scalars(select(District)):
        if district.name in CITY_DISTRICTS and not district.division_code:
            set_division_code(admin, district, CITY_DISTRICTS[district.name][0])
    verified = next(plan.shop for plan in world.plans if plan.name == "美好生活超市")
    verify_licence(verified, world.staff, method="on_site", checked_on=today_in_china() - timedelta(days=7),
                   name_matches=True, code_matches=True, photos=[], note="上门走访，执照原件挂在收银台后墙。")


def _shop_of(world, trades: tuple[str, ...], *skip):
    """A shop in good standing of one of `trades` (美好生活超市 last), or None."""
    shops = sorted(world.regular(world.now), key=lambda s: s.name == "美好生活超市")
    return next((s for s in shops if trade_of(s.name) in trades and s not in skip), None)


def load_demo_intake(world) -> int:
    """Complaints staff registered from a phone call, a letter, a visit and another platform (one against
    a business not in the registry, one turned from a consultation, one a duplicate of an online
    complaint), through the real services; and about half of the past cases re-labelled as received by
    those channels, so the figures by channel look like an association's year. Returns how many were
    registered now."""
    import json

    from registry.clock import CHINA, utcnow
    from registry.complaints import handling, intake
    from registry.complaints.filing import ComplaintInput, file_complaint
    from registry.complaints.models import Complaint, ComplaintEvent
    from registry.consultations.services import ConsultationInput, record_consultation

    staff, rng = world.staff, world.rng
    today = utcnow().astimezone(CHINA).date()
    grocer = _shop_of(world, ("supermarket", "grocery"))
    salon = _shop_of(world, ("hair",))
    supermarket = _shop_of(world, ("supermarket",), grocer)
    outfitter = _shop_of(world, ("clothing",))

    def register(channel, shop, **fields):
        data = dict(channel=channel, received_on=None, consumer_name="", consumer_phone="", consumer_address="",
                    consent_kind="verbal", shop=shop.credit_code if shop else "", business=None, clause_kind="other",
                    description="", purchase_date=today - timedelta(days=6), amount_cents=0, demands=["refund"])
        data.update(fields)
        return intake.register_complaint(staff, intake.IntakeInput(**data), [], secrets.token_urlsafe(24))[0]

    made = []
    if grocer is not None:
        made.append(register("phone", grocer, consumer_name="陈晓燕", consumer_phone="13906812345", clause_kind="inferior",
                             description="来电反映：在店里买的两箱纯牛奶，外箱生产日期有涂改痕迹，店员拒绝退货。",
                             amount_cents=11800, demands=["refund", "apology"]))
    letter = intake.register_complaint(staff, intake.IntakeInput(
        channel="letter", received_on=today - timedelta(days=4), consumer_name="赵建国", consumer_phone="",
        consumer_address="杭州市西湖区蒋村街道龙章路 6 号 2 幢 301 室", consent_kind="written", shop="",
        business=intake.BusinessInput("阿强手机快修", "紫金港路 518 号旁铺面", "", DISTRICT, "蒋村街道"),
        clause_kind="other", description="来信反映：在紫金港路一家手机维修店更换屏幕，付款 380 元，三天后屏幕失灵，店家拒绝返修。",
        purchase_date=today - timedelta(days=20), amount_cents=38000, demands=["refund"]), [], secrets.token_urlsafe(24))[0]
    handling.accept_complaint(letter, staff, None, "消费者反映维修店更换的屏幕三天后失灵，店家拒绝返修。")
    made.append(letter)
    if salon is not None:
        consultation = record_consultation(staff, ConsultationInput(
            channel="visit", topic="预付卡退费", district=DISTRICT, township="文新街道",
            summary="来访反映美发店更换经营者后不认原预付卡折扣，要求退还余额。", outcome="complaint",
            received_at=utcnow() - timedelta(hours=3)))
        made.append(intake.register_complaint(staff, intake.IntakeInput(
            channel="visit", received_on=None, consumer_name="孙丽", consumer_phone="13757123456", consumer_address="",
            consent_kind="written", shop=salon.credit_code, business=None, clause_kind="after_sales",
            description="预付卡退费：来访反映美发店更换经营者后不认原预付卡折扣，卡内余额 1600 元，要求退还。",
            purchase_date=today - timedelta(days=90), amount_cents=160000, demands=["refund"]),
            [], secrets.token_urlsafe(24), consultation)[0])
    if supermarket is not None:
        online, _token = file_complaint(supermarket, ComplaintInput(
            clause=clause_cited(supermarket, "price_fraud"), description="会员价商品结账时没有打折，小票上多收了 45 元。",
            purchase_date=today - timedelta(days=2), amount_cents=4500, demands=["refund"], consumer_name="钱伟",
            consumer_phone="15888123456", privacy_consent=True, share_phone_consent=False), [], "15888123456",
            secrets.token_urlsafe(24))
        again = register("phone", supermarket, consumer_name="钱伟", consumer_phone="15888123456",
                         clause_kind="price_fraud", description="来电反映结账没有按会员价打折，多收 45 元（已在网上投诉过）。",
                         amount_cents=4500)
        handling.mark_duplicate(again, staff, None, online.tracking_number, "同一消费者先扫码投诉，又来电反映同一事项。")
        made.append(again)
    if outfitter is not None:
        network = register("network", outfitter, consumer_name="周明", consumer_phone="18667001234",
                           clause_kind="false_advertising", amount_cents=26000,
                           description="12315 平台转来：商家宣传“全场八折”，结账时多数衣服不参加活动。")
        handling.accept_complaint(network, staff, None, "消费者反映商家宣传全场八折，结账时多数商品不参加活动。")
        made.append(network)

    # The past year: about half the cases reached the association by phone, visit, letter or another platform.
    past = db.session.scalars(select(Complaint).where(Complaint.filed_at < utcnow() - timedelta(days=40),
                                                      Complaint.channel == "online").order_by(Complaint.id))
    for complaint in past:
        channel = rng.choice(["online"] * 10 + ["phone"] * 6 + ["visit"] * 2 + ["letter"] + ["network"] * 2)
        if channel == "online":
            continue
        complaint.channel, complaint.registered_by_id = channel, staff.id
        complaint.consent_kind = "written" if channel in ("letter", "visit") else "verbal"
        complaint.consent_recorded_by_id, complaint.share_phone_consent_at = staff.id, None
        first = db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
                                  .order_by(ComplaintEvent.id).limit(1))
        first.kind, first.actor_role, first.actor_id = "registered", "staff", staff.id
        first.data = json.dumps({"channel": channel, "consent": complaint.consent_kind, "photos": 0}, sort_keys=True)
    db.session.flush()
    return len(made)
