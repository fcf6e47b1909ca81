"""Demo data for what the association's staff do besides handling online complaints: the texts the
timers send, call-backs (回访), door-to-door signatures, licence checks, ownership claims and credit
repairs, and the complaints staff registered from calls, letters, visits and other platforms. Called by
registry.demo.load_demo once the shops and cases exist."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from sqlalchemy import select

from registry.auth.models import User
from registry.auth.services import create_user, user_by_login
from registry.demo import CITY_DISTRICTS, DEMO_PASSWORD, DISTRICT, STREETS, TOWNSHIPS, _clause_cited, demo_credit_code
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
def _demo_photo(colour: tuple[int, int, int], name: str):
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


def load_demo_disputes_and_repairs(shops: list, staff: User, merchant_user: User) -> None:
    """Issue 14's rights: the demo owner's second shop has a warning with its statement beside it;
    another shop's warning has a credit repair application waiting, a third one's ended early by
    credit repair; a shop
    registered by someone else is claimed by its real owner (13900139000), waiting for staff."""
    from registry.audit import services as audit
    from registry.clock import add_months, utcnow
    from registry.moderation import repairs, sanctions, statements
    from registry.ownership.claims import claim_directory
    from registry.ownership.models import OwnershipClaim

    if len(shops) < 8:
        return
    now = utcnow()

    def backdated_warning(shop, clause: str, why: str, months: int):
        warning = sanctions.issue_warning(shop, staff, sanctions.SanctionInput(clause, why))
        warning.issued_at = warning.starts_at = add_months(now, -months)
        warning.ends_at = warning.visible_until = add_months(warning.starts_at, sanctions.WARNING_SHOWN_MONTHS)
        db.session.flush()
        return warning

    # The demo owner's sister shop (catering) was warned and answers beside the warning; 美好生活超市 stays
    # in good standing for the journeys that start from it. A food shop may apply for repair only after
    # 12 months, so the application waiting for staff is another shop's.
    own = next(s for s in shops if s.owner_id == merchant_user.id and s.name != "美好生活超市")
    warning = backdated_warning(own, "price_fraud", "多次被查实结账价格高于标价。", 7)
    statements.write_statement(warning, merchant_user, "已更换收银系统并每日核对价签，多收的款项已全部退还，欢迎顾客监督。")
    waiting = next(s for s in shops if s.owner_id != merchant_user.id and s.category not in repairs.FOOD_CATEGORIES)
    pending = backdated_warning(waiting, "price_fraud", "多次被查实结账价格高于标价。", 7)
    statements.write_statement(pending, waiting.owner, "已更换收银系统，价签每日核对，欢迎顾客监督。")
    repairs.apply_for_repair(pending, waiting.owner, "收银系统已更换，价签每日由店长核对并签字；被多收款的顾客已全部联系退款，"
                             "店员已参加消费者协会组织的诚信经营培训。", [_demo_photo((236, 240, 232), "价签核对记录.jpg")])

    repaired_shop = next(s for s in shops if s.owner_id not in (merchant_user.id, waiting.owner_id)
                         and s.category not in repairs.FOOD_CATEGORIES)
    repaired = backdated_warning(repaired_shop, "false_advertising", "宣传“全场五折”，实际仅部分商品参加。", 8)
    application = repairs.apply_for_repair(repaired, repaired_shop.owner, "已撤下全部不实宣传物料，促销海报改由店长审核后张贴，"
                                           "并向投诉顾客赔礼道歉。", [_demo_photo((240, 236, 228), "整改后的店面.jpg")])
    repairs.grant_repair(application, staff, "整改到位，经复查准予信用修复。")

    claimed = next(s for s in reversed(shops) if s.owner_id != merchant_user.id and s not in (repaired_shop, waiting))
    claimant = user_by_login("13900139000") or create_user("13900139000", DEMO_PASSWORD, "陈真", phone_verified=True)
    licence = _demo_photo((250, 246, 236), "营业执照.jpg")
    claim = OwnershipClaim.keep(licence, claim_directory(), merchant_id=claimed.id, claimant_id=claimant.id,
                                claimant_name="陈真", phone="13900139000", filed_at=now, created_at=now,
                                statement="这家店是我 2019 年开的，营业执照在我名下。去年转让未成，对方却用我的执照登记了店铺。")
    db.session.add(claim)
    db.session.flush()
    audit.record("ownership.claim_filed", claim, claimant, merchant_id=claimed.id, credit_code=claimed.credit_code)


def load_demo_callbacks_and_onsite(staff: User, rng: random.Random) -> int:
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
    from registry.merchants.models import Merchant, Standing
    from registry.pledges.models import ONSITE_SMS
    from registry.pledges.signing import sign_on_site
    from registry.pledges.versions import current_version
    from registry.uploads import process_image

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
    waiting = db.session.scalar(select(Merchant).where(Merchant.standing == Standing.PENDING.value,
                                                       Merchant.district == DISTRICT).order_by(Merchant.id).limit(1))
    if waiting is not None:  # the owner confirmed with the code texted to the shop's phone
        sign_on_site(waiting, version, staff, ONSITE_SMS, waiting.owner_name, "店主",
                     {c.number for c in version.clauses}, onsite.officer_unit(staff))
    door_shop = onsite.register_on_site(staff, ShopDetails(
        name="老街修鞋铺", credit_code=demo_credit_code(rng), category="services", district=DISTRICT,
        township=TOWNSHIPS[0], address=f"{STREETS[0]}{rng.randint(1, 999)}号",
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


def load_demo_trust(shops: list, staff: User) -> None:
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
    verified = next(shop for shop in shops if shop.name == "美好生活超市")
    verify_licence(verified, staff, method="on_site", checked_on=today_in_china() - timedelta(days=7),
                   name_matches=True, code_matches=True, photos=[], note="上门走访，执照原件挂在收银台后墙。")


def load_demo_intake(shops: list, staff: User, rng: random.Random) -> int:
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

    today = utcnow().astimezone(CHINA).date()
    shop_a, shop_b, shop_c, shop_d = (shops[i % len(shops)] for i in (3, 4, 5, 6))

    def register(channel, shop, **fields):
        data = dict(channel=channel, received_on=None, consumer_name="", consumer_phone="", consumer_address="",
                    consent_kind="verbal", shop=shop.credit_code if shop else "", business=None, clause_kind="other",
                    description="", purchase_date=today - timedelta(days=6), amount_cents=0, demands=["refund"])
        data.update(fields)
        return intake.register_complaint(staff, intake.IntakeInput(**data), [], secrets.token_urlsafe(24))[0]

    phoned = register("phone", shop_a, consumer_name="陈晓燕", consumer_phone="13906812345", clause_kind="inferior",
                      description="来电反映：在店里买的两箱纯牛奶，外箱生产日期有涂改痕迹，店员拒绝退货。",
                      amount_cents=11800, demands=["refund", "apology"])
    letter = intake.register_complaint(staff, intake.IntakeInput(
        channel="letter", received_on=today - timedelta(days=4), consumer_name="赵建国", consumer_phone="",
        consumer_address="杭州市西湖区蒋村街道龙章路 6 号 2 幢 301 室", consent_kind="written", shop="",
        business=intake.BusinessInput("阿强手机快修", "文一西路 518 号旁铺面", "", DISTRICT, "蒋村街道"),
        clause_kind="other", description="来信反映：在文一西路一家手机维修店更换屏幕，付款 380 元，三天后屏幕失灵，店家拒绝返修。",
        purchase_date=today - timedelta(days=20), amount_cents=38000, demands=["refund"]), [], secrets.token_urlsafe(24))[0]
    handling.accept_complaint(letter, staff, None, "消费者反映维修店更换的屏幕三天后失灵，店家拒绝返修。")
    consultation = record_consultation(staff, ConsultationInput(
        channel="visit", topic="预付卡退费", district=DISTRICT, township="文新街道",
        summary="来访反映美发店更换经营者后不认原预付卡折扣，要求退还余额。", outcome="complaint",
        received_at=utcnow() - timedelta(hours=3)))
    visited = intake.register_complaint(staff, intake.IntakeInput(
        channel="visit", received_on=None, consumer_name="孙丽", consumer_phone="13757123456", consumer_address="",
        consent_kind="written", shop=shop_b.credit_code, business=None, clause_kind="other",
        description="预付卡退费：来访反映美发店更换经营者后不认原预付卡折扣，卡内余额 1600 元，要求退还。",
        purchase_date=today - timedelta(days=90), amount_cents=160000, demands=["refund"]),
        [], secrets.token_urlsafe(24), consultation)[0]
    online, _token = file_complaint(shop_c, ComplaintInput(
        clause=_clause_cited(shop_c, "price_fraud"), description="结账时按原价收费，没有按标签上的会员价打折，多收 32 元。",
        purchase_date=today - timedelta(days=2), amount_cents=3200, demands=["refund"], consumer_name="钱伟",
        consumer_phone="15888123456", privacy_consent=True, share_phone_consent=False), [], "15888123456",
        secrets.token_urlsafe(24))
    again = register("phone", shop_c, consumer_name="钱伟", consumer_phone="15888123456", clause_kind="price_fraud",
                     description="来电反映结账没有按会员价打折，多收 32 元（已在网上投诉过）。", amount_cents=3200)
    handling.mark_duplicate(again, staff, None, online.tracking_number, "同一消费者先扫码投诉，又来电反映同一事项。")
    network = register("network", shop_d, consumer_name="周明", consumer_phone="18667001234", clause_kind="false_advertising",
                       description="12315 平台转来：商家宣传“全场八折”，结账时多数商品不参加活动。", amount_cents=26000)
    handling.accept_complaint(network, staff, None, "消费者反映商家宣传全场八折，结账时多数商品不参加活动。")
    made = len((phoned, letter, visited, again, network))

    # The past year: about half the cases reached the association by phone, visit, letter or another platform.
    past = db.session.scalars(select(Complaint).where(Complaint.filed_at < utcnow() - timedelta(days=30),
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
    return made
