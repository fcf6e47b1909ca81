"""Demonstration data: a district's worth of shops that signed the pledge, and demo logins."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from registry.areas.services import load_list
from registry.auth.models import Role, User
from registry.extensions import db
from registry.auth.services import create_user, user_by_login
from registry.merchants.identifiers import credit_code_check_character
from registry.merchants.models import CATEGORIES
from registry.merchants.services import ShopDetails, register_shop
from registry.pledges.defaults import publish_default_pledge
from registry.pledges.signing import sign_pledge
from registry.workdays.seeding import seed_from_library

DEMO_PASSWORD = "chengxin2026"
DEMO_LOGINS = {
    "password": DEMO_PASSWORD,
    "accounts": [("admin", "admin@demo.cxm"), ("staff", "staff@demo.cxm"), ("merchant", "13800138000"),
                 ("claimant", "13900139000")],
}

DISTRICT = "西湖区"
TOWNSHIPS = ["北山街道", "西溪街道", "灵隐街道", "翠苑街道", "文新街道", "古荡街道", "转塘街道",
             "留下街道", "蒋村街道", "三墩镇", "双浦镇"]
# The demo city (杭州市): district → (GB/T 2260 division code, townships). Seeds the managed list for
# the demo (`demo_area_rows`) and the tests, and spreads the benchmark's shops (bench/vocab.py).
CITY_DISTRICTS: dict[str, tuple[str, list[str]]] = {
    "上城区": ("330102", ["湖滨街道", "清波街道", "小营街道", "南星街道", "紫阳街道", "望江街道", "四季青街道", "笕桥街道"]),
    "拱墅区": ("330105", ["米市巷街道", "湖墅街道", "小河街道", "和睦街道", "拱宸桥街道", "大关街道", "上塘街道", "祥符街道"]),
    "西湖区": ("330106", TOWNSHIPS),
    "滨江区": ("330108", ["西兴街道", "长河街道", "浦沿街道"]),
    "萧山区": ("330109", ["城厢街道", "北干街道", "蜀山街道", "新塘街道", "闻堰街道", "瓜沥镇", "义桥镇", "临浦镇"]),
    "余杭区": ("330110", ["五常街道", "闲林街道", "仓前街道", "余杭街道", "良渚街道", "瓶窑镇", "径山镇"]),
    "富阳区": ("330111", ["富春街道", "春江街道", "东洲街道", "银湖街道", "新登镇", "场口镇"]),
    "临安区": ("330112", ["锦城街道", "锦北街道", "玲珑街道", "青山湖街道", "於潜镇", "昌化镇"]),
    "临平区": ("330113", ["临平街道", "东湖街道", "南苑街道", "星桥街道", "乔司街道", "塘栖镇"]),
    "钱塘区": ("330114", ["白杨街道", "下沙街道", "河庄街道", "义蓬街道", "新湾街道"]),
    "桐庐县": ("330122", ["桐君街道", "城南街道", "富春江镇", "分水镇"]),
    "淳安县": ("330127", ["千岛湖镇", "文昌镇", "石林镇", "威坪镇"]),
    "建德市": ("330182", ["新安江街道", "洋溪街道", "更楼街道", "寿昌镇", "乾潭镇"]),
}


def demo_area_rows() -> list[tuple[str, str, str]]:
    """The demo city as (district, township, aliases) rows for areas.services.load_list."""
    return [(district, township, "") for district, (_code, townships) in CITY_DISTRICTS.items()
            for township in townships]


STREETS = ["文三路", "教工路", "古墩路", "天目山路", "留和路", "之江路", "西溪路", "文一西路", "紫荆花路", "转塘直街"]
NAME_PARTS = {
    "supermarket": (["美好生活", "联华", "好邻居", "惠民", "家家乐", "世纪华联"], ["超市", "便利店", "生活超市"]),
    "catering": (["老杭州", "外婆家", "知味", "弄堂里", "江南", "山外山"], ["面馆", "餐厅", "小吃店", "饭店"]),
    "food": (["新鲜", "农家", "西溪", "龙井"], ["食品店", "水果店", "粮油店", "熟食店"]),
    "liquor": (["古越", "东方", "醉江南"], ["烟酒行", "酒行"]),
    "cosmetics": (["丽人", "美妆", "颜如玉"], ["化妆品店", "美妆店"]),
    "clothing": (["衣之家", "潮流", "江南布衣", "童趣"], ["服饰", "服装店", "童装店"]),
    "appliances": (["苏宁", "国美", "电器城", "家电"], ["家电", "电器商行"]),
    "services": (["快洁", "金剪刀", "明亮", "安心"], ["洗衣店", "理发店", "眼镜店", "家政服务"]),
    "other": (["文华", "百草", "福寿"], ["书店", "药店", "花店"]),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "建国", "小红"]


def demo_credit_code(rng: random.Random) -> str:
    """A well-formed 统一社会信用代码 for a Hangzhou 西湖区 shop (9x = 工商, 330106 = 西湖区)."""
    kind = rng.choice(["91", "92"])  # 91 company, 92 individually-owned business (个体工商户)
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    first17 = f"{kind}330106{body}"
    return first17 + credit_code_check_character(first17)


def _demo_owner(rng: random.Random, name: str, password_hash: str) -> User:
    # scrypt takes ~0.1 s by design; reusing one hash keeps `make run` quick for 100+ owners.
    user = User(login=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}", display_name=name,
                password_hash=password_hash, role=Role.MERCHANT.value)
    db.session.add(user)
    db.session.flush()
    return user


def load_demo(shop_count: int = 120, seed: int = 2026) -> int:
    """Create the demo accounts and `shop_count` signed shops; returns how many shops were made."""
    rng = random.Random(seed)
    load_list(demo_area_rows())
    version = publish_default_pledge()
    if user_by_login("admin@demo.cxm") is None:
        create_user("admin@demo.cxm", DEMO_PASSWORD, "演示管理员", Role.ADMIN)
    staff = user_by_login("staff@demo.cxm") or create_user("staff@demo.cxm", DEMO_PASSWORD, "演示工作人员", Role.STAFF,
                                                          district=DISTRICT)
    merchant_user = user_by_login("13800138000") or create_user("13800138000", DEMO_PASSWORD, "王美好",
                                                                phone_verified=True)

    used_names: set[str] = set()
    signed_shops = []
    made = 0
    for index in range(shop_count):
        category = CATEGORIES[index % len(CATEGORIES)] if index else "supermarket"
        prefixes, suffixes = NAME_PARTS[category]
        name = "美好生活超市" if index == 0 else f"{rng.choice(prefixes)}{rng.choice(suffixes)}"
        if name in used_names:
            name = f"{name}（{rng.choice(TOWNSHIPS)[:2]}店）"
        if name in used_names:
            continue
        used_names.add(name)
        owner_name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        owner = merchant_user if index < 2 else _demo_owner(rng, owner_name, merchant_user.password_hash)
        shop = register_shop(owner, ShopDetails(
            name=name, credit_code=demo_credit_code(rng), category=category, district=DISTRICT,
            township=rng.choice(TOWNSHIPS), address=f"{rng.choice(STREETS)}{rng.randint(1, 999)}号",
            contact_phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}", owner_name=owner_name,
        ))
        # Most shops signed; a few registered but have not signed yet (they stay private).
        if index == 1 or rng.random() < 0.92:
            sign_pledge(shop, version, owner, owner_name, rng.choice(["店主", "法定代表人", "店长"]), "127.0.0.1",
                        {c.number for c in version.clauses})
            signed_shops.append(shop)
        made += 1
    seed_from_library()
    load_demo_complaints(signed_shops, staff, rng)
    load_demo_history(signed_shops, staff, rng)
    # What the association's staff did besides: complaints by phone, letter and visit, texts, call-backs, on-site signatures, licence checks,
    # ownership claims, credit repairs (registry/demo/association.py, which reads this module's names,
    # so it is imported here, once they exist).
    from registry.demo.association import (load_demo_callbacks_and_onsite, load_demo_disputes_and_repairs,
                                           load_demo_intake, load_demo_notices, load_demo_trust)

    load_demo_trust(signed_shops, staff)
    load_demo_intake(signed_shops, staff, rng)
    load_demo_notices()
    load_demo_disputes_and_repairs(signed_shops, staff, merchant_user)
    made += load_demo_callbacks_and_onsite(staff, rng)
    # Backdated cases: store the QR page's 12-month figures as the daily job would.
    from registry.complaints.figures import refresh_all
    refresh_all(commit_every_batch=False)
    return made


DEMO_COMPLAINTS = [
    # (clause, what happened, amount in yuan, demands, how far the case has gone)
    ("counterfeit", "在店里买的两瓶五粮液，回家对比防伪码查询显示不存在，怀疑是假酒。", 1980, ["refund", "compensation"], "filed"),
    ("price_fraud", "货架标价 12.8 元一斤的车厘子，结账时按 18.8 元收费，店员说标签没换。", 36, ["refund"], "filed"),
    ("inferior", "买的羽绒服标注含绒量 90%，洗了一次就跑绒，里面是碎毛片。", 699, ["refund"], "accepted"),
    ("false_advertising", "宣传“买一送一”，付款后说赠品已送完，只能换成优惠券。", 128, ["exchange", "apology"], "replied"),
    ("forced_sale", "理发后被要求必须办卡才能按标价结账，不办卡就多收 80 元。", 80, ["refund", "apology"], "disputed"),
    ("inferior", "买的冰箱第三天就不制冷，商家说是人为损坏，拒绝换货。", 3299, ["exchange"], "mediating"),
    ("price_fraud", "会员价商品结账没有打折，多收了 45 元。", 45, ["refund"], "agreed"),
    ("counterfeit", "买的名牌化妆品经品牌方鉴定为仿冒品。", 560, ["refund", "compensation"], "mediated"),
    ("other", "预付的洗衣卡，店铺换了老板后不认账，余额 300 元无法使用。", 300, ["refund"], "failed"),
    ("other", "饭菜里吃出异物，要求赔偿，但我没有保留照片和小票。", 0, ["apology"], "refused"),
    ("false_advertising", "网上说有停车位，到店后发现没有。后来店里已经给我解释清楚了。", 0, ["apology"], "withdrawn"),
]


def _clause_cited(shop, kind: str) -> int | str:
    """The number of the clause of `kind` in the pledge the shop signed ("other" when it has none)."""
    from registry.complaints.filing import pledge_cited
    from registry.pledges.models import OTHER_CLAUSE

    version = pledge_cited(shop)
    clauses = version.clauses if version is not None else []
    return next((c.number for c in clauses if c.kind == kind and kind != OTHER_CLAUSE), OTHER_CLAUSE)


# What an officer would write: the matter in their own words, never the consumer's; the QR page
# shows the clause's name beside the summary, so the summary does not repeat it.
_DEMO_SUMMARIES = {
    "counterfeit": "消费者反映所购商品疑似假冒品牌，已转交商家核实答复。",
    "inferior": "消费者反映商品品质与标示等级不符，已转交商家答复。",
    "false_advertising": "消费者反映商品功效与店内宣传不符，已转交商家答复。",
    "price_fraud": "消费者反映结账价格高于货架标价，已转交商家核实。",
    "forced_sale": "消费者反映被要求搭配购买其他商品，已转交商家答复。",
    "after_sales": "消费者反映商家拒绝履行承诺的退换货服务，已转交商家答复。",
    "other": "消费者反映服务过程中的其他问题，已转交商家答复。",
}


def _demo_summary(complaint) -> str:
    return _DEMO_SUMMARIES[complaint.clause_kind]


def load_demo_complaints(shops: list, staff: User, rng: random.Random) -> int:
    """File the demo complaints and walk each one to its stage through the real services."""
    from registry.clock import utcnow
    from registry.complaints import handling as complaints
    from registry.complaints.filing import ComplaintInput, file_complaint

    made = 0
    for index, (clause, text, amount, demands, stage) in enumerate(DEMO_COMPLAINTS):
        # The demo owner (13800138000) owns the first two shops: give them the cases that need a reply.
        shop = shops[(index - 2) % len(shops)]
        phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        complaint, _token = file_complaint(shop, ComplaintInput(
            clause=_clause_cited(shop, clause), description=text, purchase_date=utcnow().date() - timedelta(days=3 + index),
            amount_cents=amount * 100, demands=demands, consumer_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            consumer_phone=phone, privacy_consent=True, share_phone_consent=index % 3 == 0,
        ), [], phone, secrets.token_urlsafe(24))
        made += 1
        if stage == "filed":
            continue
        if stage == "refused":
            complaints.refuse_complaint(complaint, staff, None, "no_evidence", "缺少购买凭证，无法核实。建议保留证据后拨打 12315。")
            continue
        if stage == "withdrawn":
            complaints.withdraw_complaint(complaint, "商家已解释清楚。")
            continue
        complaints.accept_complaint(complaint, staff, None, _demo_summary(complaint))
        if stage == "accepted":
            continue
        owner = shop.owner
        # Cases that go on to mediation start from an offer the consumer finds too small.
        full_offer = stage in ("replied", "agreed")
        complaints.merchant_reply(complaint, owner, "已收到投诉，经核实情况属实，向您致歉。",
                                  "全额退款" if full_offer else "退还一半费用", amount * 100 // (1 if full_offer else 2))
        if stage == "replied":
            continue
        if stage == "agreed":
            complaints.respond_to_offer(complaint, True, "同意，谢谢。")
            complaints.answer_followup(complaint, True, 5, "处理很快。")
            continue
        complaints.respond_to_offer(complaint, False, "只退一半不能接受。")
        if stage == "disputed":
            continue
        # A case still mediating meets in two days; the others met this morning (no outcome before the meeting).
        meeting = utcnow() + (timedelta(days=2) if stage == "mediating" else -timedelta(hours=3))
        complaints.schedule_mediation(complaint, staff, None, meeting, "西湖区消费者协会调解室", "")
        if stage == "mediating":
            continue
        complaints.record_mediation(complaint, staff, None, stage == "mediated", amount * 100 if stage == "mediated" else None,
                                    "双方达成一致，商家退款并赔偿。" if stage == "mediated" else "商家拒绝调解，已告知消费者其他途径。")
    return made


# Past cases for the yearly report and /stats: (clause, what happened, amount in yuan, demands).
HISTORY_CASES = [
    ("price_fraud", "结账金额高于货架标价，要求退还差价。", 26, ["refund"]),
    ("inferior", "新买的电饭煲内胆涂层一周就脱落，要求退货。", 329, ["refund"]),
    ("false_advertising", "宣传“全场五折”，结账时大部分商品不参加活动。", 188, ["refund", "apology"]),
    ("counterfeit", "购买的品牌运动鞋经鉴定非正品。", 899, ["refund", "compensation"]),
    ("forced_sale", "到店体验后被要求购买疗程卡才能离开。", 1280, ["refund"]),
    ("other", "预付卡余额未用完，店铺停业后无法退款。", 1500, ["refund"]),
    ("inferior", "购买的羊毛衫实际羊毛含量与标签不符。", 459, ["refund"]),
    ("price_fraud", "餐费账单多收了未点的菜品费用。", 68, ["refund"]),
    ("after_sales", "家电安装后上门维修多次未修好，要求换新。", 2599, ["exchange"]),
]
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


def load_demo_history(shops: list, staff: User, rng: random.Random) -> tuple[int, int]:
    """A year and a bit of past work, so the yearly report and /stats show real-looking figures:
    consultations logged by staff, and complaints walked to their end through the real services,
    then moved back to the dates they happened (from 1 January last year to about a month ago).

    Flag rules are muted while these are loaded: they judge cases as they arrive, not a year later.
    The audit log keeps the time the demo was loaded (it is append-only). Returns (consultations, complaints).
    """
    from registry.complaints import handling as complaints
    from registry.complaints.filing import ComplaintInput, file_complaint, next_tracking_number
    from registry.complaints.models import ComplaintEvent
    from registry.complaints.timeline import complaint_changed
    from registry.consultations.services import ConsultationInput, record_consultation
    from registry.clock import utcnow
    from registry.clock import CHINA

    now = utcnow()
    today = now.astimezone(CHINA).date()
    first = datetime(today.year - 1, 1, 1, 9, 0, tzinfo=CHINA)
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
            clause, text, amount, demands = rng.choice(HISTORY_CASES)
            stage = rng.choice(stages)
            shop = rng.choice(shops)
            phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
            filed = first + timedelta(days=rng.randrange(span_days), minutes=rng.randrange(8 * 60))
            complaint, _token = file_complaint(shop, ComplaintInput(
                clause=_clause_cited(shop, clause), description=text, purchase_date=min(filed.date(), today) - timedelta(days=2),
                amount_cents=amount * 100, demands=demands, consumer_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                consumer_phone=phone, privacy_consent=True, share_phone_consent=False,
            ), [], phone, secrets.token_urlsafe(24))
            decided = filed + timedelta(days=rng.choice([0, 0, 1, 1, 2, 3, 5]), hours=2)
            replied = decided + timedelta(days=rng.randint(1, 6))
            closed = replied + timedelta(days=rng.randint(1, 25))
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
                complaints.accept_complaint(complaint, staff, None, _demo_summary(complaint))
                refund = amount * 100 if stage == "agreed" else amount * 100 // 2
                complaints.merchant_reply(complaint, shop.owner, "已核实，同意按消费者要求处理。", "退款", refund)
                complaints.respond_to_offer(complaint, stage == "agreed", "")
                if stage != "agreed":
                    complaints.schedule_mediation(complaint, staff, None, min(replied + timedelta(days=2), utcnow()),
                                                  "西湖区消费者协会调解室", "")
                    complaints.record_mediation(complaint, staff, None, stage == "mediated",
                                                amount * 100 if stage == "mediated" else None,
                                                "双方达成一致。" if stage == "mediated" else "商家拒绝调解，已告知其他途径。")
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
