"""The demo's standings, played at the moments they happened (registry/demo/timeline.py): warnings with
the shop's statement beside them and credit repairs (issue 14), a shop suspended from a flag that
appealed, one suspended and later revoked by two officers, a warned shop whose revocation waits for a
second officer, open flags for staff to look at, and a shop claimed by its real owner."""

from __future__ import annotations

from datetime import timedelta

from registry.clock import add_months, today_in_china
from registry.demo.vocabulary import TRADES
from registry.extensions import db

# What an officer writes publicly when a shop broke a promise of each kind (no one's personal data).
FINDINGS = {
    "counterfeit": "经鉴定店内销售假冒商品，已移交市场监管部门查处。",
    "inferior": "多次被投诉商品质量问题，经抽检不合格，整改不到位。",
    "false_advertising": "多次被查实宣传内容与实际不符，经约谈仍未改正。",
    "price_fraud": "多次被查实结账价格高于标价。",
    "forced_sale": "多次被投诉强制消费、捆绑收费，经核实属实。",
    "after_sales": "多次拒不履行退换货等售后义务，经调解仍未改正。",
}
# The gravest promise a shop of each trade could break, for the sanctions the demo issues.
GRAVITY = ("counterfeit", "inferior", "price_fraud", "false_advertising", "forced_sale", "after_sales")


def gravest_clause(trade: str) -> str:
    kinds = {kind for kind, *_rest in TRADES[trade].complaints}
    return next(kind for kind in GRAVITY if kind in kinds)


def _sanction_input(trade: str):
    from registry.moderation.sanctions import SanctionInput

    clause = gravest_clause(trade)
    return SanctionInput(clause, FINDINGS[clause])


def _parts(world) -> dict:
    return {plan.part: plan for plan in world.plans if plan.part != "regular"}


def suspended_story(world, plan):
    """A staff flag after an inspection, a suspension from it until a date, and the owner's appeal,
    waiting for an officer other than the one who suspended."""
    from registry.moderation import appeals, flags, sanctions

    now = world.now
    yield now - timedelta(days=44, hours=5)
    flag = flags.raise_staff_flag(plan.shop, world.staff, "日常巡查发现店内经营不规范，多名消费者反映同一问题，需核实。")
    yield now - timedelta(days=42, hours=3)
    until = today_in_china() + timedelta(days=90)
    suspension = sanctions.suspend(plan.shop, world.staff, _sanction_input(plan.trade), until, False, flag)
    yield now - timedelta(days=39, hours=7)
    appeals.submit_appeal(suspension, plan.shop.owner, "我们已对店员进行培训并整改，涉及的顾客已全部退款，"
                          "请求提前恢复诚信码。整改前后的照片已交给街道工作人员。", [])


def revoked_story(world, plan):
    """Suspended until it put things right; it did not, so one officer proposed revocation and the
    administrator approved it."""
    from registry.moderation import sanctions

    now = world.now
    yield now - timedelta(days=160, hours=2)
    sanctions.suspend(plan.shop, world.staff, _sanction_input(plan.trade), None, True)
    yield now - timedelta(days=110, hours=4)
    proposal = sanctions.propose_revocation(plan.shop, world.staff, sanctions.SanctionInput(
        gravest_clause(plan.trade), "暂停期间拒不整改，经两次复查仍存在同样问题。"))
    yield now - timedelta(days=108, hours=1)
    sanctions.approve_revocation(proposal, world.admin)


def proposal_story(world, plan):
    """A warned shop was caught again; the proposal to revoke waits for a second officer."""
    from registry.moderation import sanctions

    now = world.now
    yield now - timedelta(days=75, hours=3)
    sanctions.issue_warning(plan.shop, world.staff, _sanction_input(plan.trade))
    world.warned_for[plan.shop.id] = gravest_clause(plan.trade)
    yield now - timedelta(days=4, hours=6)
    sanctions.propose_revocation(plan.shop, world.staff, sanctions.SanctionInput(
        gravest_clause(plan.trade), "警示期间再次被查实同样问题，屡教不改。"))


def open_flags_story(world):
    """Two flags waiting on the staff dashboard: an officer's after a visit, and consumers' reports that
    a shop's badge was seen somewhere else."""
    from registry.moderation import flags

    if len(world.plans) < 8:
        return
    now = world.now
    yield now - timedelta(days=3, hours=4)
    shops = world.regular(now)
    flags.raise_staff_flag(shops[-3], world.staff, "走访时发现价签与收银系统价格不一致，需复查。")
    yield now - timedelta(days=2, hours=7)
    flags.report_misused_badge(shops[-4], "在隔壁街一家没有挂牌的店里看到同样的诚信码海报。", None)
    yield now - timedelta(hours=20)
    flags.report_misused_badge(shops[-4], "外卖平台上另一家店的图片里有这家店的二维码。", None)


def warnings_and_repairs_story(world):
    """Issue 14's rights: the demo owner's second shop was warned and answers beside the warning;
    another shop's warning has a credit repair application waiting for staff; a third one's was ended
    early by credit repair. 美好生活超市 stays in good standing for the journeys that start from it."""
    from registry.demo.association import demo_photo
    from registry.moderation import repairs, sanctions, statements

    if len(world.plans) < 8:
        return
    now, owner = world.now, world.merchant_user
    yield add_months(now, -8)
    regular = world.regular(add_months(now, -8))
    own = next(s for s in regular if s.owner_id == owner.id and s.name != "美好生活超市")

    def non_food_with(clause, *skip):
        return next((s for s in regular if s.owner_id != owner.id and s not in skip
                    and s.category not in repairs.FOOD_CATEGORIES
                    and clause in {k for k, *_r in TRADES[world.plan_of(s).trade].complaints}), None)

    waiting = non_food_with("price_fraud")
    repaired_shop = non_food_with("false_advertising", waiting)
    if waiting is None or repaired_shop is None:
        return
    world.repaired_shops = (waiting, repaired_shop)
    world.warned_for.update({repaired_shop.id: "false_advertising", own.id: "price_fraud", waiting.id: "price_fraud"})
    repaired = sanctions.issue_warning(repaired_shop, world.staff, sanctions.SanctionInput(
        "false_advertising", "宣传“全场五折”，实际仅部分商品参加。"))
    yield add_months(now, -7)
    warning = sanctions.issue_warning(own, world.staff, sanctions.SanctionInput("price_fraud", FINDINGS["price_fraud"]))
    pending = sanctions.issue_warning(waiting, world.staff, sanctions.SanctionInput("price_fraud", FINDINGS["price_fraud"]))
    yield add_months(now, -7) + timedelta(days=3, hours=2)
    statements.write_statement(warning, owner, "已更换收银系统并每日核对价签，多收的款项已全部退还，欢迎顾客监督。")
    statements.write_statement(pending, waiting.owner, "已更换收银系统，价签每日核对，欢迎顾客监督。")
    yield now - timedelta(days=30, hours=5)
    application = repairs.apply_for_repair(repaired, repaired_shop.owner, "已撤下全部不实宣传物料，促销海报改由店长审核后张贴，"
                                           "并向投诉顾客赔礼道歉。", [demo_photo((240, 236, 228), "整改后的店面.jpg")])
    yield now - timedelta(days=24, hours=3)
    repairs.grant_repair(application, world.staff, "整改到位，经复查准予信用修复。")
    yield now - timedelta(days=5, hours=2)
    repairs.apply_for_repair(pending, waiting.owner, "收银系统已更换，价签每日由店长核对并签字；被多收款的顾客已全部联系退款，"
                             "店员已参加消费者协会组织的诚信经营培训。", [demo_photo((236, 240, 232), "价签核对记录.jpg")])


def standing_stories(world) -> list:
    parts = _parts(world)
    stories = [warnings_and_repairs_story(world), open_flags_story(world)]
    for part, story in (("suspended", suspended_story), ("revoked", revoked_story),
                        ("revocation_proposed", proposal_story)):
        if part in parts:
            stories.append(story(world, parts[part]))
    return stories


def file_ownership_claim(world) -> None:
    """A shop registered by someone else is claimed by its real owner (13900139000), waiting for staff."""
    from registry.audit import services as audit
    from registry.auth.services import create_user, user_by_login
    from registry.clock import utcnow
    from registry.demo import DEMO_PASSWORD
    from registry.demo.association import demo_photo
    from registry.ownership.claims import claim_directory
    from registry.ownership.models import OwnershipClaim

    now = utcnow()
    regular = world.regular(now)
    if len(regular) < 8:
        return
    skip = world.repaired_shops
    claimed = next(s for s in reversed(regular) if s.owner_id != world.merchant_user.id and s not in skip)
    claimant = user_by_login("13900139000") or create_user("13900139000", DEMO_PASSWORD, "陈真", phone_verified=True)
    licence = demo_photo((250, 246, 236), "营业执照.jpg")
    claim = OwnershipClaim.keep(licence, claim_directory(), merchant_id=claimed.id, claimant_id=claimant.id,
                                claimant_name="陈真", phone="13900139000", filed_at=now, created_at=now,
                                statement="这家店是我几年前开的，营业执照在我名下。去年转让未成，对方却用我的执照登记了店铺。")
    db.session.add(claim)
    db.session.flush()
    audit.record("ownership.claim_filed", claim, claimant, merchant_id=claimed.id, credit_code=claimed.credit_code)
