"""Demonstration data: a district's worth of shops that signed the pledge, the association's past two
years of work, and demo logins.

The past is played in order (registry/demo/timeline.py): the registry opens, shops register and sign
(and renew a year later), officers warn, suspend and revoke, consumers complain and cases run their
course, each step through the real services at the moment it happened. The older case history is
then added and moved back to its dates (cases.load_demo_history), and the rest of what staff did
(registry/demo/association.py) happens today.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from registry.areas.services import load_list
from registry.auth.models import Role, User
from registry.auth.services import create_user, user_by_login
from registry.clock import CHINA, utcnow
from registry.demo.timeline import clock_at, play
from registry.demo.vocabulary import (CATEGORY_TRADES, CITY_DISTRICTS, DISTRICT, GIVEN, NAME_PARTS, STREETS,
                                      SURNAMES, TOWNSHIP_STREETS, TOWNSHIPS, TRADES, branch_name)
from registry.extensions import db
from registry.merchants.identifiers import credit_code_check_character
from registry.merchants.models import CATEGORIES, Merchant
from registry.merchants.services import ShopDetails, register_shop
from registry.pledges.defaults import publish_default_pledge

__all__ = ["CITY_DISTRICTS", "DEMO_LOGINS", "DEMO_PASSWORD", "DISTRICT", "GIVEN", "NAME_PARTS", "STREETS",
           "SURNAMES", "TOWNSHIPS", "demo_area_rows", "demo_credit_code", "load_demo"]

DEMO_PASSWORD = "chengxin2026"
DEMO_LOGINS = {
    "password": DEMO_PASSWORD,
    "accounts": [("admin", "admin@demo.cxm"), ("staff", "staff@demo.cxm"), ("merchant", "13800138000"),
                 ("claimant", "13900139000")],
}
# The shops at the end of the list play one part each (`ShopPlan.part`); the rest are in good standing.
# With fewer than PARTS_FROM shops only the one staff sign up at its door is kept back.
PARTS_FROM_END = ("pending", "pending_onsite", "lapsed", "revoked", "suspended", "revocation_proposed")
PARTS_FROM = 10


def demo_area_rows() -> list[tuple[str, str, str]]:
    """The demo city as (district, township, aliases) rows for areas.services.load_list."""
    return [(district, township, "") for district, (_code, townships) in CITY_DISTRICTS.items()
            for township in townships]


def demo_credit_code(rng: random.Random) -> str:
    """A well-formed 统一社会信用代码 for a Hangzhou 西湖区 shop (9x = 工商, 330106 = 西湖区)."""
    kind = rng.choice(["91", "92"])  # 91 company, 92 individually-owned business (个体工商户)
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    first17 = f"{kind}330106{body}"
    return first17 + credit_code_check_character(first17)


def random_mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


@dataclass
class ShopPlan:
    """One demo shop before it exists: who, where, and when it registered and signed."""

    index: int
    name: str
    category: str
    trade: str
    township: str
    street: str
    owner_name: str
    part: str  # "regular" or one of PARTS_FROM_END
    registered: datetime
    signings: list[datetime] = field(default_factory=list)
    shop: Merchant | None = None

    def public_between(self, start: datetime, end: datetime) -> bool:
        """Whether the shop had signed by `start` and stayed public and unsanctioned until `end`."""
        return bool(self.signings) and self.signings[0] < start and end < self.public_until

    public_until: datetime = datetime.max.replace(tzinfo=CHINA)


@dataclass
class DemoWorld:
    """What the demo's stories share: the accounts, the pledge, the shop plans, the moments."""

    rng: random.Random
    now: datetime
    opened: datetime  # the registry opened: the pledge published, the officers' accounts made
    history_from: datetime  # the past cases begin (1 January last year)
    version: object
    admin: User
    staff: User
    merchant_user: User
    plans: list[ShopPlan]
    repaired_shops: tuple = ()  # the shops whose warnings were repaired or wait for repair (standings.py)
    warned_for: dict = field(default_factory=dict)  # shop id → the promise its warning was about

    def regular(self, at: datetime) -> list[Merchant]:
        """The shops that play no part and had signed by `at`, in the order they were planned."""
        return [p.shop for p in self.plans if p.part == "regular" and p.shop is not None and p.signings[0] < at]

    def plan_of(self, shop: Merchant) -> ShopPlan:
        return next(p for p in self.plans if p.shop is shop)


def _shop_name(trade: str, township: str, street: str, used: set[str], rng: random.Random) -> str:
    """The next name of the trade not yet taken; once all are, a branch of one of them."""
    names = TRADES[trade].names
    fresh = [n for n in names if n not in used]
    if fresh:
        return fresh[0]
    # 美好生活超市 is the demo owner's one shop of that name: no one else's branch of it.
    for base in rng.sample(names, len(names)):
        if base == "美好生活超市":
            continue
        name = branch_name(base, township, street)
        if name is not None and name not in used:
            return name
    return f"{rng.choice(names)}（{street}{rng.randint(2, 9)}号店）"


def _in_opening_hours(moment: datetime, rng: random.Random) -> datetime:
    """The same Beijing day, at an hour a shopkeeper is at the counter or the computer (08–21 h)."""
    return moment.astimezone(CHINA).replace(hour=rng.randint(8, 20), minute=rng.randrange(60))


def plan_shops(world_rng: random.Random, count: int, now: datetime, opened: datetime,
               owner_display_name: str) -> list[ShopPlan]:
    """Who the demo's shops are and when they joined: most over the registry's first year and a half,
    each signing a day or so after registering and renewing within the month before its pledge ran out."""
    rng = world_rng
    parts = dict(zip(range(count - 1, -1, -1), PARTS_FROM_END if count >= PARTS_FROM else ("pending_onsite",)))
    if count < 3:
        parts = {}
    plans = []
    joining_span = (now - timedelta(days=60) - opened).total_seconds()
    # The owner's shops and those sanctioned later joined in the registry's first months.
    early_span = (now - timedelta(days=240) - opened).total_seconds()
    for index in range(count):
        category = CATEGORIES[index % len(CATEGORIES)]
        trades = CATEGORY_TRADES[category]
        trade = trades[(index // len(CATEGORIES)) % len(trades)]
        township = rng.choice(TOWNSHIPS)
        street = rng.choice(TOWNSHIP_STREETS[township])
        part = parts.get(index, "regular")
        owned = index < 2 or part == "pending"
        owner_name = owner_display_name if owned else rng.choice(SURNAMES) + rng.choice(GIVEN)
        # Early shops joined first; 美好生活超市 was among the very first.
        early = index < 2 or part in ("suspended", "revoked", "revocation_proposed")
        registered = _in_opening_hours(opened + timedelta(days=2, seconds=(early_span if early else joining_span)
                                                          * (rng.random() ** 1.6 if index else 0.001)), rng)
        plan = ShopPlan(index, "", category, trade, township, street, owner_name, part, registered)
        plan.public_until = {"suspended": now - timedelta(days=44), "revoked": now - timedelta(days=160)}.get(
            part, plan.public_until)
        if part in ("pending", "pending_onsite"):
            plan.registered = _in_opening_hours(now - timedelta(days=rng.randint(3, 30)), rng)
        elif part == "lapsed":
            plan.registered = _in_opening_hours(now - timedelta(days=rng.randint(400, 430)), rng)
            plan.signings = [plan.registered + timedelta(days=1, hours=1)]
            plan.public_until = plan.signings[0] + timedelta(days=365)
        else:
            signed = _in_opening_hours(plan.registered + timedelta(days=rng.randint(0, 2)), rng)
            signed = max(signed, plan.registered + timedelta(minutes=30))
            plan.signings = [signed]
            expires = signed + timedelta(days=365)
            while expires <= now + timedelta(days=10):  # those due later have not renewed yet
                renewed = min(_in_opening_hours(expires - timedelta(days=rng.randint(3, 25)), rng),
                              now - timedelta(hours=rng.randint(2, 20)))
                plan.signings.append(renewed)
                expires = renewed + timedelta(days=365)
            # A suspended or revoked shop cannot sign again.
            plan.signings = [moment for moment in plan.signings if moment < plan.public_until]
        plans.append(plan)
    # Names in the order the shops opened (the demo owner's first): a chain's first shop takes the plain
    # name, later ones a branch's.
    used: set[str] = set()
    for plan in sorted(plans, key=lambda p: (p.owner_name != owner_display_name, p.registered)):
        plan.name = _shop_name(plan.trade, plan.township, plan.street, used, rng)
        used.add(plan.name)
    return plans


def _demo_owner(world: DemoWorld, plan: ShopPlan) -> User:
    if plan.owner_name == world.merchant_user.display_name:
        return world.merchant_user
    # scrypt takes ~0.1 s by design; reusing one hash keeps `make run` quick for 100+ owners.
    user = User(login=random_mobile(world.rng), display_name=plan.owner_name,
                password_hash=world.merchant_user.password_hash, role=Role.MERCHANT.value)
    db.session.add(user)
    db.session.flush()
    return user


def shop_story(world: DemoWorld, plan: ShopPlan):
    """A shop registers, then signs the pledge (and signs again before each year runs out)."""
    from registry.pledges.signing import sign_pledge

    rng = world.rng
    yield plan.registered
    owner = _demo_owner(world, plan)
    plan.shop = register_shop(owner, ShopDetails(
        name=plan.name, credit_code=demo_credit_code(rng), category=plan.category, district=DISTRICT,
        township=plan.township, address=f"{plan.street}{rng.randint(1, 699)}号", contact_phone=random_mobile(rng),
        owner_name=plan.owner_name))
    title = rng.choice(["店主", "法定代表人", "店长"])
    for moment in plan.signings:
        yield moment
        sign_pledge(plan.shop, world.version, owner, plan.owner_name, title, "127.0.0.1",
                    {c.number for c in world.version.clauses})


def load_demo(shop_count: int = 120, seed: int = 2026) -> int:
    """Create the demo accounts and `shop_count` shops with two years of the association's work; returns
    how many shops were made (one more than asked: staff sign one up at its door)."""
    from registry.demo import association, cases, standings
    from registry.pledges.lapse import lapse_shops
    from registry.workdays.seeding import seed_from_library

    rng = random.Random(seed)
    now = utcnow()
    today = now.astimezone(CHINA).date()
    history_from = datetime(today.year - 1, 1, 1, 9, 0, tzinfo=CHINA)
    opened = history_from - timedelta(days=75)
    seed_from_library()  # due dates of the cases played below need the holidays
    with clock_at(opened):
        load_list(demo_area_rows())
        version = publish_default_pledge()
        admin = user_by_login("admin@demo.cxm") or create_user("admin@demo.cxm", DEMO_PASSWORD, "演示管理员", Role.ADMIN)
        staff = user_by_login("staff@demo.cxm") or create_user("staff@demo.cxm", DEMO_PASSWORD, "演示工作人员",
                                                              Role.STAFF, district=DISTRICT)
        merchant_user = user_by_login("13800138000") or create_user("13800138000", DEMO_PASSWORD, "王美好",
                                                                    phone_verified=True)
    world = DemoWorld(rng, now, opened, history_from, version, admin, staff, merchant_user,
                      plan_shops(rng, shop_count, now, opened, merchant_user.display_name))
    play([shop_story(world, plan) for plan in world.plans]
         + standings.standing_stories(world) + cases.current_case_stories(world))
    lapse_shops(now)  # the daily job, today: the shop that did not renew is written down as lapsed
    cases.load_demo_history(world)
    association.load_demo_trust(world)
    association.load_demo_intake(world)
    association.load_demo_notices()
    standings.file_ownership_claim(world)
    made = len(world.plans) + association.load_demo_callbacks_and_onsite(world)
    # Backdated cases: store the QR page's 12-month figures as the daily job would.
    from registry.complaints.figures import refresh_all
    refresh_all(commit_every_batch=False)
    return made


def demo_examples() -> list[tuple[str, Merchant]]:
    """One demo shop of each standing, for the message `flask demo load` prints: (standing, shop)."""
    from sqlalchemy import select

    order = ("active", "warned", "suspended", "revoked", "lapsed", "pending")
    found = []
    for standing in order:
        shop = db.session.scalar(select(Merchant).where(Merchant.standing == standing, Merchant.owner_id.is_not(None))
                                 .order_by(Merchant.id).limit(1))
        if shop is not None:
            found.append((standing, shop))
    return found
