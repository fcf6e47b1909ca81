"""Province-scale synthetic data, written straight into the real schema with bulk SQL.

The schema comes from the real migrations (`flask db upgrade`), so the benchmark measures the real
indexes. Rows are made here, not through the services: those hash passwords and append an audit
entry per row, which would take hours at 10⁶ shops. What each row holds follows the services'
rules (credit-code check characters, name-gram index rows, signed text + SHA-256, one valid badge,
complaint timelines that the state machine allows), so the pages render what they would in production.

SQLite: executemany into a file cached under bench/data/ by size, schema revision and generator
version. PostgreSQL: COPY (psycopg 3) into the dedicated database `bench`, its comment records what
was loaded so a rerun with the same key skips the load.
"""

from __future__ import annotations

import bisect
import collections
import hashlib
import itertools
import json
import multiprocessing
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

from bench.settings import PRODUCTION_EXTRAS
from registry.badges.services import VERIFICATION_ALPHABET
from registry.merchants.identifiers import CREDIT_CODE_ALPHABET, credit_code_check_character
from registry.merchants.services import name_grams, normalize_search_text
from registry.pledges.defaults import DEFAULT_CLAUSES, DEFAULT_PREAMBLE, DEFAULT_PREAMBLE_EN, DEFAULT_TITLE
from registry.pledges.signing import sha256_hex, signed_text

from bench import vocab

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations" / "versions"
# Bumped by hand when the shape of the generated data changes; the file hash below catches the rest.
GENERATOR_VERSION = 4
CHUNK = 20_000
MAX_CACHE_AGE_DAYS = 30
PUBLIC_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
# One scrypt hash shared by every synthetic account (as registry/demo.py does): hashing a million
# passwords would take a day and no benchmark logs in as a shop owner.
SHARED_PASSWORD_HASH = ("scrypt:32768:8:1$benchbenchbench0$"
                        "6d1f1f0a7e0d0c0b0a09080706050403020100ffeeddccbbaa99887766554433221100"
                        "112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0011223344")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- cache keys -----------------------------------------------------------------------------------

def schema_revision() -> str:
    """The head revision of migrations/versions (the newest revision nothing points back to)."""
    revisions, parents = set(), set()
    for path in MIGRATIONS_DIR.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev = re.search(r"^revision\s*=\s*['\"]([0-9a-zA-Z_]+)['\"]", text, re.M)
        down = re.search(r"^down_revision\s*=\s*(.+)$", text, re.M)
        if rev:
            revisions.add(rev.group(1))
        if down:
            parents.update(re.findall(r"['\"]([0-9a-zA-Z_]+)['\"]", down.group(1)))
    heads = sorted(revisions - parents)
    return "+".join(heads) or "none"


def generator_digest() -> str:
    digest = hashlib.sha256(f"v{GENERATOR_VERSION}".encode())
    for name in ("generate.py", "vocab.py"):
        digest.update((BENCH_DIR / name).read_bytes())
    return digest.hexdigest()[:8]


def models_digest() -> str:
    """A digest of the DDL the models would create (for --schema models)."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from registry.extensions import db
    from bench.inprocess import production_app

    production_app("sqlite://")
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        digest.update(str(CreateTable(table).compile(dialect=sqlite.dialect())).encode())
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            digest.update(str(CreateIndex(index).compile(dialect=sqlite.dialect())).encode())
    return digest.hexdigest()[:8]


SCHEMA_MODES = ("migrations", "models")


def cache_key(size: int, schema: str = "migrations") -> str:
    source = f"rev{schema_revision()}" if schema == "migrations" else f"models{models_digest()}"
    return f"shops{size}-{source}-gen{generator_digest()}"


# --- deterministic identifiers --------------------------------------------------------------------

# Two characters at a time: a bijection of an integer into a 31-letter alphabet in four lookups.
_CREDIT_PAIRS = [a + b for a in CREDIT_CODE_ALPHABET for b in CREDIT_CODE_ALPHABET]
_VERIFY_PAIRS = [a + b for a in VERIFICATION_ALPHABET for b in VERIFICATION_ALPHABET]
_PAIR_SPACE = 31 * 31
_BODY_SPACE = _PAIR_SPACE ** 4  # 8 characters; the 9th comes from the random generator
_CODE_PAIRS = [a + b for a in PUBLIC_CODE_ALPHABET for b in PUBLIC_CODE_ALPHABET]


def _pairs(n: int, pairs: list[str]) -> str:
    return (pairs[n // 923521 % 961] + pairs[n // 961 % 961] + pairs[n % 961]
            + pairs[n // 887503681 % 961])


def credit_code(index: int, division: str, kind: str, extra: str) -> str:
    """A unique, well-formed 统一社会信用代码: 8 body characters are a bijection of the shop's index."""
    first17 = f"{kind}{division}{_pairs((index * 2654435761 + 12345) % _BODY_SPACE, _CREDIT_PAIRS)}{extra}"
    return first17 + credit_code_check_character(first17)


def verification_code(n: int) -> str:
    """8 characters of the badge alphabet, a bijection of n (unique per badge)."""
    return _pairs((n * 2654435761 + 777) % _BODY_SPACE, _VERIFY_PAIRS)


def random_code16(rng: random.Random) -> str:
    """16 characters of the public-code alphabet (80 random bits), like merchants.services.new_public_code."""
    x = rng.getrandbits(80)
    pairs = _CODE_PAIRS
    return (pairs[x & 1023] + pairs[x >> 10 & 1023] + pairs[x >> 20 & 1023] + pairs[x >> 30 & 1023]
            + pairs[x >> 40 & 1023] + pairs[x >> 50 & 1023] + pairs[x >> 60 & 1023] + pairs[x >> 70 & 1023])


def ts(moment: datetime) -> str:
    """Naive UTC in SQLAlchemy's SQLite storage format; PostgreSQL reads it with TimeZone=UTC."""
    return moment.isoformat(" ", "microseconds")


# --- the plan -------------------------------------------------------------------------------------

@dataclass
class Generated:
    """What the load left behind that the benchmark needs (written as JSON beside the data)."""

    size: int
    key: str
    created: str
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    complaint_counts: dict[str, float] = field(default_factory=dict)


class Plan:
    """What every chunk needs to be generated on its own, in any process, always the same way."""

    def __init__(self, size: int, seed: int | None = None, now: datetime | None = None) -> None:
        self.size = size
        self.seed = seed if seed is not None else 20260315 + size
        now = now or datetime.now(timezone.utc)
        # Naive UTC on a whole hour, two hours back, so nothing generated lies in the future.
        self.now = now.astimezone(timezone.utc).replace(tzinfo=None, minute=0, second=0, microsecond=0) \
            - timedelta(hours=2)
        self.districts = list(vocab.DISTRICTS)
        self.district_cum = list(itertools.accumulate(vocab.DISTRICT_WEIGHTS[d] for d in self.districts))
        self.categories = list(vocab.CATEGORY_SHARE)
        self.category_cum = list(itertools.accumulate(vocab.CATEGORY_SHARE.values()))
        self.version = SimpleNamespace(
            number=1, title=DEFAULT_TITLE, preamble=DEFAULT_PREAMBLE,
            clauses=[SimpleNamespace(number=i, text=c["text"]) for i, c in enumerate(DEFAULT_CLAUSES, start=1)],
        )

    @property
    def shop_chunks(self) -> int:
        return (self.size + CHUNK - 1) // CHUNK

    def pledge_rows(self):
        published = ts(self.now - timedelta(days=900))
        versions = [(1, 1, DEFAULT_TITLE, DEFAULT_PREAMBLE, DEFAULT_PREAMBLE_EN, published, published)]
        clauses = [(i, 1, i, c["kind"], c["text"], c.get("text_en")) for i, c in enumerate(DEFAULT_CLAUSES, start=1)]
        return versions, clauses

    def staff_rows(self):
        """The administrator (id size+1) and one officer per district (size+2+district index)."""
        created = ts(self.now - timedelta(days=1000))
        rows = [(self.size + 1, "admin@bench.cxm", "基准管理员", SHARED_PASSWORD_HASH, "admin", None, 1, 1, created)]
        for index, district in enumerate(self.districts):
            rows.append((self.size + 2 + index, f"staff{index}@bench.cxm", f"{district}工作人员",
                         SHARED_PASSWORD_HASH, "staff", district, 1, 1, created))
        return rows


# Set in the parent before the worker processes are forked; read by the chunk functions.
_STATE: dict = {}


def _shop_name(rng: random.Random, category: str, township: str, street: str) -> str:
    rand = rng.random

    def pick(seq):
        return seq[int(rand() * len(seq))]

    prefixes, suffixes = vocab.NAME_PARTS[category]
    style = rand()
    if style < 0.55:
        prefix, suffix = pick(prefixes), pick(suffixes)
        if _overlaps(prefix, suffix):  # not 美妆美妆店 or 家电家电
            suffix = next((s for s in suffixes if not _overlaps(prefix, s)), suffix)
        if style < 0.30:
            return prefix + suffix
        place = township[:2] if rand() < 0.5 else street[:-1] if street.endswith("路") else street
        return prefix + suffix + pick(vocab.BRANCH_STYLES).format(place)
    if style < 0.80:
        return pick(vocab.LUCKY) + pick(vocab.LUCKY) + pick(suffixes)
    surname = pick(vocab.SURNAMES)
    return (f"老{surname}" if rand() < 0.5 else f"{surname}记") + pick(suffixes)


def shop_chunk(k: int) -> dict[str, list]:
    """Shops k·CHUNK+1 … with their owners, name grams, signatures and badges.

    Signature and badge ids are left 0 for the caller to number; "public" lists (shop id, district
    index) of the shops a consumer can see, for the complaints.
    """
    plan: Plan = _STATE["plan"]
    rng = random.Random(f"{plan.seed}/shops/{k}")
    rand = rng.random
    now = plan.now
    day = timedelta(days=1)
    users, merchants, grams, signatures, badges, public = [], [], [], [], [], []

    def pick(seq):
        return seq[int(rand() * len(seq))]

    for shop_id in range(k * CHUNK + 1, min((k + 1) * CHUNK, plan.size) + 1):
        district_index = bisect.bisect_right(plan.district_cum, rand() * plan.district_cum[-1])
        district = plan.districts[district_index]
        division, townships = vocab.DISTRICTS[district]
        township = pick(townships)
        street = pick(vocab.ALL_STREETS)
        category = plan.categories[bisect.bisect_right(plan.category_cum, rand() * plan.category_cum[-1])]
        name = _shop_name(rng, category, township, street)
        owner_name = pick(vocab.SURNAMES) + pick(vocab.GIVEN)
        created = now - day * (5 + 995 * rand())
        created_ts = ts(created)
        users.append((shop_id, f"13{shop_id:09d}", owner_name, SHARED_PASSWORD_HASH, "merchant", None, 1, 1,
                      created_ts))
        code = credit_code(shop_id, division, "92" if rand() < 0.6 else "91", pick(CREDIT_CODE_ALPHABET))
        roll = rand()
        # pending 6 %, warned 2 %, suspended 1 %, revoked 0.5 %, lapsed 3.5 %, active the rest
        standing = ("pending" if roll < 0.06 else "warned" if roll < 0.08 else "suspended" if roll < 0.09 else
                    "revoked" if roll < 0.095 else "lapsed" if roll < 0.13 else "active")
        reason = changed = None
        if standing in ("warned", "suspended", "revoked"):
            reason = pick(["经核实存在价格欺诈行为，已责令整改。", "多次被投诉以次充好，经调查属实。",
                                 "销售假冒商品，已移交市场监管部门处理。"])
            changed = ts(now - day * (1 + 199 * rand()))
        merchants.append((
            shop_id, shop_id, name, normalize_search_text(name), code, category, district, township,
            f"{street}{1 + int(rand() * 999)}号", f"1{pick('3456789')}{int(rand() * 1e9):09d}", owner_name,
            random_code16(rng), standing, reason, changed, created_ts, created_ts, 1,
        ))
        name_length, listed = len(normalize_search_text(name)), standing != "pending"
        grams.extend((gram, shop_id, rank, name_length, listed, district) for gram, rank in name_grams(name).items())
        if standing == "pending":
            continue
        public.append((shop_id, district_index))
        # Signatures: the current one (expired for lapsed shops), and for some an earlier one.
        signed = now - day * ((366 + 334 * rand()) if standing == "lapsed" else (1 + 329 * rand()))
        history = [signed]
        if rand() < 0.25 and (signed - created).days > 400:
            history.insert(0, signed - day * (335 + 30 * rand()))
        title = pick(vocab.SIGNER_TITLES)
        merchant_ns = SimpleNamespace(name=name, credit_code=code)
        for moment in history:
            text = signed_text(merchant_ns, plan.version, owner_name, title, moment.replace(tzinfo=timezone.utc))
            signatures.append((
                0, random_code16(rng), shop_id, 1, shop_id, owner_name, title, ts(moment), ts(moment + 365 * day), text,
                sha256_hex(text), f"10.{int(rand() * 256)}.{int(rand() * 256)}.{1 + int(rand() * 254)}",
            ))
        # Badges: issued at the first signing; 3 % re-issued once (the old serial is void).
        issued = history[0]
        if rand() < 0.03:
            reissued = issued + day * (1 + rand() * max(1.0, (now - issued).days - 2))
            badges.append((0, shop_id, f"CX{issued:%Y%m%d}-{shop_id:06d}-{int(rand() * 65536):04X}",
                           verification_code(2 * shop_id + 1), ts(issued), ts(reissued), "reissued"))
            issued = reissued
        badges.append((0, shop_id, f"CX{issued:%Y%m%d}-{shop_id:06d}-{int(rand() * 65536):04X}",
                       verification_code(2 * shop_id), ts(issued), None, None))
    return {"users": users, "merchants": merchants, "merchant_name_grams": grams, "signatures": signatures,
            "badges": badges, "public": public}


def complaint_plan(plan: Plan, public: list[int]) -> tuple[list[int], list[int], list[date]]:
    """Which shop each complaint is against and the day it was filed, in filing order.

    Per shop: heavy-tailed (Pareto α = 1.2, capped), 2 × shops complaints in all, so that most shops
    have none and some have hundreds. Days: the last two years, three times as many on 3·15 and the
    two days after it.
    """
    rng = random.Random(f"{plan.seed}/plan")
    weights = [min(rng.random() ** (-1 / 1.2), 3000.0) for _ in public]
    total_weight = sum(weights)
    target = 2 * plan.size
    counts = [int(w * target / total_weight) for w in weights]
    cum = list(itertools.accumulate(weights))
    for _ in range(target - sum(counts)):
        counts[bisect.bisect_right(cum, rng.random() * cum[-1])] += 1
    owners: list[int] = []
    for shop_id, count in zip(public, counts):
        owners.extend([shop_id] * count)
    rng.shuffle(owners)
    calendar, day_weights = [], []
    for back in range(1, 731):
        day = (plan.now - timedelta(days=back)).date()
        calendar.append(day)
        day_weights.append(3.0 if day.month == 3 and 15 <= day.day <= 17 else 1.0)
    days = rng.choices(calendar, weights=day_weights, k=len(owners))
    days.sort()
    return counts, owners, days


def complaint_chunk(k: int) -> dict[str, list]:
    """Complaints k·CHUNK+1 … in filing order, each with the timeline the state machine allows for how
    far it got; event ids are left 0 for the caller to number.

    Written for speed (10⁶ shops → 2·10⁶ complaints, ~12·10⁶ events): no per-row json.dumps
    (the data texts are built in json.dumps' own format), random numbers from one bound method.
    """
    plan: Plan = _STATE["plan"]
    owners, days, first_of_day, district_of = _STATE["owners"], _STATE["days"], _STATE["first_of_day"], \
        _STATE["district_of"]
    rng = random.Random(f"{plan.seed}/complaints/{k}")
    rand = rng.random
    now = plan.now
    latest = now - timedelta(minutes=5)
    hour = timedelta(hours=1)
    day_td = timedelta(days=1)
    day_start: dict[date, datetime] = {}
    complaints, events = [], []
    clause_kinds = list(vocab.COMPLAINT_TEXTS)
    texts = vocab.COMPLAINT_TEXTS
    labels = vocab.CLAUSE_LABELS_ZH
    items, replies, places = vocab.ITEMS, vocab.REPLIES, vocab.MEDIATION_PLACES
    grounds = ("no_evidence", "not_consumer_dispute", "duplicate", "time_limit")
    demand_sets = ("refund", "exchange", "apology", "compensation", "apology,refund", "compensation,refund",
                   "exchange,refund", "apology,exchange")
    amounts = (0, 1, 2, 5, 10, 20, 50)
    staff_base = plan.size + 2  # staff ids follow the owners' and the administrator's
    surnames, given = vocab.SURNAMES, vocab.GIVEN

    def pick(seq):
        return seq[int(rand() * len(seq))]

    first = k * CHUNK
    for index in range(first, min(first + CHUNK, len(owners))):
        complaint_id, shop_id, day = index + 1, owners[index], days[index]
        seq = index - first_of_day[day] + 1
        if seq > 9999:
            raise RuntimeError(f"more than 9999 complaints on {day}: tracking numbers have 4 digits")
        start = day_start.get(day)
        if start is None:
            start = day_start[day] = datetime(day.year, day.month, day.day)
        filed = start + hour * (1 + 13 * rand())
        # The tracking number's date is the China date of filing (UTC+8): filed at 01–14 h UTC.
        tracking = f"TS{day:%Y%m%d}-{seq:04d}"
        age = (now - filed) / day_td
        clause = pick(clause_kinds)
        description = pick(texts[clause]).format(item=pick(items))
        amount = pick(amounts) * int(1 + 100 * rand()) * 100
        share_phone = rand() < 0.3
        staff_id = staff_base + district_of[shop_id]
        status, outcome, ground, summary, recovered = "filed", None, None, None, None
        decided = first_reply = closed = due = mediation = followup_at = None
        followup_resolved = followup_satisfaction = None
        timeline = [("filed", "consumer", None, None,
                     '{"consents": {"privacy": true, "share_phone": %s}, "photos": 0}'
                     % ("true" if share_phone else "false"), 0, filed)]
        r = rand()
        if age < 7:
            stage = "filed" if r < 0.5 else "refused" if r < 0.6 else "accepted" if r < 0.85 else "replied"
        elif age < 60:
            stage = ("refused" if r < 0.12 else "withdrawn" if r < 0.16 else "accepted" if r < 0.24 else
                     "replied" if r < 0.40 else "disputed" if r < 0.46 else "mediating" if r < 0.56 else
                     "agreed" if r < 0.85 else "mediated" if r < 0.94 else "failed")
        else:
            stage = ("refused" if r < 0.12 else "withdrawn" if r < 0.16 else "agreed" if r < 0.70 else
                     "mediated" if r < 0.88 else "failed")
        at = filed
        if stage == "filed":
            due = (filed + 9 * day_td).date()
        elif stage == "refused":
            at = filed + hour * (4 + 116 * rand())
            status, ground, decided, closed = "refused", pick(grounds), at, at
            timeline.append(("refused", "staff", staff_id, "缺少购买凭证，无法核实。建议保留证据后拨打 12315。",
                             '{"ground": "%s"}' % ground, 0, at))
        else:
            if not (stage == "withdrawn" and rand() < 0.4):
                at = filed + hour * (4 + 116 * rand())
                summary = f"{labels[clause]}：{description[:60]}{'…' if len(description) > 60 else ''}"
                status, decided, due = "accepted", at, (at + 14 * day_td).date()
                timeline.append(("accepted", "staff", staff_id, None, "{}", 1, at))
                timeline.append(("forwarded", "system", None, None, '{"reply_due": "%s"}' % due, 0, at))
            if stage == "withdrawn":
                at = at + hour * (2 + 70 * rand())
                status, closed, due = "withdrawn", at, None
                timeline.append(("withdrawn", "consumer", None, "商家已解释清楚。", "{}",
                                 0 if decided is None else 1, at))
            elif stage != "accepted":
                at = at + hour * (6 + 194 * rand())
                offer_cents = amount if rand() < 0.6 else amount // 2
                status, first_reply, due = "replied", at, (decided + 63 * day_td).date()
                timeline.append(("merchant_replied", "merchant", shop_id, pick(replies),
                                 '{"offer": "退款", "offer_amount_cents": %d}' % offer_cents, 1, at))
                if stage == "agreed":
                    at = at + hour * (2 + 94 * rand())
                    status, outcome, recovered, closed, due = "closed", "agreed", offer_cents, at, None
                    timeline.append(("consumer_accepted", "consumer", None, "同意，谢谢。", "{}", 1, at))
                    timeline.append(("closed", "system", None, None, '{"outcome": "agreed"}', 1, at))
                    if rand() < 0.5:
                        at = at + day_td * (1 + 9 * rand())
                        followup_at, followup_resolved, followup_satisfaction = at, 1, 3 + int(3 * rand())
                        timeline.append(("followup", "consumer", None, None,
                                         '{"resolved": true, "satisfaction": %d}' % followup_satisfaction, 0, at))
                elif stage != "replied":
                    at = at + hour * (2 + 94 * rand())
                    status = "disputed"
                    timeline.append(("consumer_rejected", "consumer", None, "只退一半不能接受。", "{}", 0, at))
                    if stage != "disputed":
                        at = at + day_td * (1 + 9 * rand())
                        status, mediation = "mediating", at
                        timeline.append(("mediation_scheduled", "staff", staff_id, None,
                                         '{"place": "%s", "when": "%s"}' % (pick(places), (at + 2 * day_td)
                                                                             .isoformat()), 0, at))
                    if stage in ("mediated", "failed"):
                        at = at + day_td * (2 + 28 * rand())
                        recovered = amount if stage == "mediated" else 0
                        status, outcome, closed, due = "closed", stage, at, None
                        timeline.append(("mediated" if stage == "mediated" else "mediation_failed", "staff",
                                         staff_id, "双方达成一致，商家退款并赔偿。" if stage == "mediated"
                                         else "商家拒绝调解，已告知消费者其他途径。",
                                         '{"amount_recovered_cents": %d}' % recovered, 0, at))
                        timeline.append(("closed", "system", None, None, '{"outcome": "%s"}' % stage, 1, at))
        # A young case has not got that far yet: squeeze its timeline into the time since filing.
        if at > latest:
            factor = (latest - filed) / (at - filed)

            def squeeze(moment, filed=filed, factor=factor):
                return None if moment is None else filed + (moment - filed) * factor

            timeline = [(*t[:6], squeeze(t[6])) for t in timeline]
            decided, first_reply, closed = squeeze(decided), squeeze(first_reply), squeeze(closed)
            mediation, followup_at = squeeze(mediation), squeeze(followup_at)
        filed_ts = ts(filed)
        phone = f"1{pick('3456789')}{int(rand() * 1e9):09d}"
        complaints.append((
            complaint_id, tracking, shop_id, clause, description, (filed - day_td * int(21 * rand())).date()
            .isoformat(), amount, pick(demand_sets), pick(surnames) + pick(given), phone, filed_ts,
            filed_ts if share_phone else None, sha256_hex(f"bench-token-{complaint_id}"),
            f"bench-{complaint_id:012d}", status, outcome, ground, summary, recovered, filed_ts,
            decided and ts(decided), first_reply and ts(first_reply), closed and ts(closed),
            due and due.isoformat(), 0, mediation and ts(mediation), followup_resolved, followup_satisfaction,
            followup_at and ts(followup_at), 1, day.isoformat(),
        ))
        for kind, role, actor, body, data, public, moment in timeline:
            events.append((0, complaint_id, kind, role, actor, body, data, public,
                           filed_ts if moment is filed else ts(moment)))
    return {"complaints": complaints, "complaint_events": events}


def _overlaps(prefix: str, suffix: str) -> bool:
    return any(prefix[i:i + 2] in suffix for i in range(len(prefix) - 1))


COLUMNS = {
    "pledge_versions": ("id", "number", "title", "preamble", "preamble_en", "created_at", "published_at"),
    "pledge_clauses": ("id", "version_id", "number", "kind", "text", "text_en"),
    "users": ("id", "login", "display_name", "password_hash", "role", "district", "is_enabled", "session_version",
              "created_at"),
    "merchants": ("id", "owner_id", "name", "search_name", "credit_code", "category", "district", "township",
                  "address", "contact_phone", "owner_name", "public_code", "standing", "standing_reason",
                  "standing_changed_at", "created_at", "updated_at", "version"),
    "merchant_name_grams": ("gram", "merchant_id", "rank", "name_length", "listed", "district"),
    "signatures": ("id", "certificate_code", "merchant_id", "pledge_version_id", "signed_by_id", "signer_name",
                   "signer_title", "signed_at", "expires_at", "signed_text", "text_sha256", "ip_address"),
    "badges": ("id", "merchant_id", "serial", "verification_code", "issued_at", "voided_at", "void_reason"),
    "complaints": ("id", "tracking_number", "merchant_id", "clause_kind", "description", "purchase_date",
                   "amount_cents", "demands", "consumer_name", "consumer_phone", "privacy_consent_at",
                   "share_phone_consent_at", "access_token_hash", "submission_key", "status", "outcome",
                   "refusal_ground", "public_summary", "amount_recovered_cents", "filed_at", "decided_at",
                   "first_reply_at", "closed_at", "due_date", "due_uses_fallback", "mediation_started_at",
                   "followup_resolved", "followup_satisfaction", "followup_at", "version",
                   # Filed online (the column defaults): received on the China date of filing, `day`.
                   "received_on"),
    "complaint_events": ("id", "complaint_id", "kind", "actor_role", "actor_id", "body", "data", "is_public",
                         "created_at"),
}

# --- writers --------------------------------------------------------------------------------------

class SqliteWriter:
    """executemany into a fresh file; secondary indexes are dropped for the load and rebuilt after
    from their own CREATE INDEX text, so the result has exactly the migrations' indexes."""

    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF", "cache_size=-2000000",
                       "temp_store=MEMORY", "locking_mode=EXCLUSIVE"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.indexes: list[tuple[str, str]] = []

    def columns(self, table: str) -> list[tuple[str, bool, bool]]:
        """(name, not null, has default) of each column."""
        return [(r[1], bool(r[3]), r[4] is not None or bool(r[5]))
                for r in self.conn.execute(f"PRAGMA table_info({table})")]

    def prepare(self) -> None:
        marks = ", ".join("?" * len(COLUMNS))
        self.indexes = self.conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
            list(COLUMNS)).fetchall()
        self.conn.execute("BEGIN")
        for name, _sql in self.indexes:
            self.conn.execute(f'DROP INDEX "{name}"')

    def write(self, table: str, rows: list[tuple]) -> None:
        if rows:
            cols = COLUMNS[table]
            self.conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                  rows)

    def finish(self) -> None:
        for _name, sql in self.indexes:
            self.conn.execute(sql)
        self.conn.execute("COMMIT")
        problems = self.conn.execute("PRAGMA foreign_key_check").fetchmany(5)
        if problems:
            raise RuntimeError(f"generated rows break foreign keys: {problems}")
        self.conn.execute("PRAGMA locking_mode=NORMAL")
        # The app opens the database in WAL mode; leave the file that way.
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.close()


class PostgresWriter:
    """COPY (psycopg 3). Constraints and indexes of the loaded tables are dropped for the load and
    recreated after from pg_get_constraintdef / pg_get_indexdef, so the schema ends as migrated."""

    name = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=False)
        self.conn.execute("SET TIME ZONE 'UTC'")
        self.conn.execute("SET synchronous_commit = off")
        self.conn.execute("SET maintenance_work_mem = '512MB'")
        self.saved: dict[str, list] = {}

    def columns(self, table: str) -> list[tuple[str, bool, bool]]:
        return [(r[0], r[1] == "NO", r[2] is not None) for r in self.conn.execute(
            "SELECT column_name, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s", (table,))]

    def prepare(self) -> None:
        tables = list(COLUMNS)
        q = self.conn.execute
        self.saved["fk"] = q(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND (conrelid = ANY(%s::regclass[]) OR confrelid = ANY(%s::regclass[]))",
            (tables, tables)).fetchall()
        self.saved["index"] = q(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", (tables,)).fetchall()
        self.saved["key"] = q(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype IN ('p', 'u') AND conrelid = ANY(%s::regclass[])", (tables,)).fetchall()
        for table, name, _ in self.saved["fk"]:
            q(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in self.saved["index"]:
            q(f"DROP INDEX {name}")
        for table, name, _ in self.saved["key"]:
            q(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')

    def write(self, table: str, rows: list[tuple]) -> None:
        if rows:
            with self.conn.cursor().copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def finish(self) -> None:
        q = self.conn.execute
        for table, name, definition in self.saved["key"]:
            q(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in self.saved["index"]:
            q(definition)
        for table, name, definition in self.saved["fk"]:
            q(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table in ("users", "merchants", "signatures", "badges", "complaints", "complaint_events",
                      "pledge_versions", "pledge_clauses"):
            q(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))")
        self.conn.commit()
        self.conn.autocommit = True
        # Autovacuum would analyse these tables within minutes in production; do it now.
        q("VACUUM ANALYZE")
        self.conn.close()


def _check_columns(writer) -> None:
    """Fail clearly when a migration added a required column the generator does not fill."""
    for table, cols in COLUMNS.items():
        actual = writer.columns(table)
        if not actual:
            raise SystemExit(f"bench: table {table} does not exist after the migrations")
        names = {c[0] for c in actual}
        unknown = set(cols) - names
        if unknown:
            raise SystemExit(f"bench: table {table} has no column(s) {sorted(unknown)}; update bench/generate.py")
        required = [c[0] for c in actual if c[1] and not c[2] and c[0] not in cols]
        if required:
            raise SystemExit(f"bench: table {table} has new required column(s) {required}; "
                             "fill them in bench/generate.py")


def _chunks(func, count: int, processes: int):
    """func(0) … func(count - 1) in order, computed by forked worker processes a few chunks ahead."""
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for k in range(count):
            yield func(k)
        return
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pending: collections.deque = collections.deque()
        next_k = 0
        while next_k < count or pending:
            while next_k < count and len(pending) < 2 * processes:
                pending.append(pool.apply_async(func, (next_k,)))
                next_k += 1
            yield pending.popleft().get()


def _renumber(rows: list[tuple], first: int) -> list[tuple]:
    return [(first + i,) + row[1:] for i, row in enumerate(rows)]


def populate(writers: list, size: int, key: str, processes: int | None = None) -> Generated:
    """Generate once and write every row to each writer (SQLite and PostgreSQL get identical data)."""
    started = time.monotonic()
    # One generator process per spare core (none on a 2-core machine: the writers need the other one).
    processes = processes or max(1, (os.cpu_count() or 1) - 1)
    plan = Plan(size)
    _STATE.clear()
    _STATE["plan"] = plan
    for writer in writers:
        _check_columns(writer)
        writer.prepare()
    rows: dict[str, int] = {}

    def put(table, chunk):
        for writer in writers:
            writer.write(table, chunk)
        rows[table] = rows.get(table, 0) + len(chunk)

    versions, clauses = plan.pledge_rows()
    put("pledge_versions", versions)
    put("pledge_clauses", clauses)
    put("users", plan.staff_rows())
    public: list[int] = []
    district_of = bytearray(size + 1)
    next_id = {"signatures": 1, "badges": 1}
    done = 0
    for chunk in _chunks(shop_chunk, plan.shop_chunks, processes):
        for table in ("signatures", "badges"):
            chunk[table] = _renumber(chunk[table], next_id[table])
            next_id[table] += len(chunk[table])
        for table in ("users", "merchants", "merchant_name_grams", "signatures", "badges"):
            put(table, chunk[table])
        for shop_id, district_index in chunk["public"]:
            public.append(shop_id)
            district_of[shop_id] = district_index
        done += len(chunk["merchants"])
        if done % (CHUNK * 10) == 0 or done == size:
            log(f"  shops {done:,}/{size:,} ({time.monotonic() - started:.0f} s)")
    counts, owners, days = complaint_plan(plan, public)
    first_of_day: dict[date, int] = {}
    for index, day in enumerate(days):
        first_of_day.setdefault(day, index)
    _STATE.update(owners=owners, days=days, first_of_day=first_of_day, district_of=district_of)
    event_id = 1
    made = 0
    for chunk in _chunks(complaint_chunk, (len(owners) + CHUNK - 1) // CHUNK, processes):
        events = _renumber(chunk["complaint_events"], event_id)
        event_id += len(events)
        put("complaints", chunk["complaints"])
        put("complaint_events", events)
        made += len(chunk["complaints"])
        if made % (CHUNK * 10) == 0 or made == len(owners):
            log(f"  complaints {made:,}/{len(owners):,} ({time.monotonic() - started:.0f} s)")
    log(f"  rebuilding indexes and constraints ({time.monotonic() - started:.0f} s)")
    for writer in writers:
        writer.finish()
    _STATE.clear()
    counts.sort(reverse=True)
    result = Generated(size=size, key=key, created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       seconds=round(time.monotonic() - started, 1), rows=rows)
    result.complaint_counts = {
        "max": counts[0], "p99": counts[len(counts) // 100], "p90": counts[len(counts) // 10],
        "median": counts[len(counts) // 2], "shops_with_100_plus": sum(1 for c in counts if c >= 100),
        "public_shops_with_none": sum(1 for c in counts if c == 0),
    }
    return result


# --- schema and caching ---------------------------------------------------------------------------

def app_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(**PRODUCTION_EXTRAS, REGISTRY_ENV="production", SECRET_KEY="bench-secret-key-" + "x" * 40,
               PUBLIC_BASE_URL="https://cxm.example.cn", DATABASE_URL=database_url, FLASK_APP="wsgi:app",
               RATELIMIT_STORAGE_URI="memory://")
    return env


def schema_drift(database_url: str) -> list[str]:
    """What the models have that the database lacks (or the reverse), as Alembic's autogenerate sees it."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bench.inprocess import production_app
    from registry.extensions import db

    app = production_app(database_url)
    with app.app_context():
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    out = []
    for diff in diffs:
        diff = diff[0] if isinstance(diff, list) else diff
        kind = diff[0]
        target = diff[1] if kind.endswith("table") else diff[-1] if kind.endswith("column") else diff[1]
        name = getattr(target, "name", None) or str(target)
        table = getattr(getattr(target, "table", None), "name", None) or (diff[2] if kind.endswith("column") else "")
        out.append(f"{kind} {table + '.' if table and table != name else ''}{name}")
    return out


def build_schema(database_url: str, schema: str) -> None:
    """The real migrations (`flask db upgrade`), or with --schema models db.create_all(); then the
    working-day calendar (`flask calendar seed`)."""
    flask = str(Path(sys.executable).parent / "flask")
    steps = [["db", "upgrade"], ["calendar", "seed"]] if schema == "migrations" else [["calendar", "seed"]]
    if schema == "models":
        from bench.inprocess import production_app
        from registry.extensions import db

        app = production_app(database_url)
        with app.app_context():
            db.create_all()
            db.engine.dispose()
    for args in steps:
        result = subprocess.run([flask, *args], cwd=PROJECT_ROOT, env=app_env(database_url),
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"bench: flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        if args == ["db", "upgrade"]:
            check_schema(database_url)


def check_schema(database_url: str) -> None:
    drift = schema_drift(database_url)
    if drift:
        raise SystemExit(
            "bench: the migrations do not create what the models describe, so the app would fail on this "
            "schema:\n  " + "\n  ".join(drift[:15]) + ("\n  …" if len(drift) > 15 else "") +
            "\nGenerate the missing migration (the lead does), or measure on the models' schema for now with "
            "`make bench BENCH_ARGS='--schema models'` (db.create_all(); the results say so).")


def _fresh(meta: Generated | None, key: str) -> bool:
    return meta is not None and meta.key == key and \
        (datetime.now(timezone.utc) - datetime.fromisoformat(meta.created)).days < MAX_CACHE_AGE_DAYS


def _sqlite_cached(key: str) -> tuple[Path, Generated | None]:
    path = DATA_DIR / f"{key}.sqlite3"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        return path, Generated(**json.loads(meta_path.read_text()))
    return path, None


def _postgres_cached(url: str) -> Generated | None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        comment = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                               "WHERE datname = current_database()").fetchone()[0]
    try:
        return Generated(**json.loads(comment)) if comment else None
    except (ValueError, TypeError):
        return None


def prepare_databases(size: int, postgres_url: str | None, regenerate: bool = False,
                      schema: str = "migrations") -> dict:
    """The SQLite file (cached under bench/data/) and, if a URL is given, the PostgreSQL database, each
    holding `size` shops; what is missing or stale is generated, in one pass for both."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = cache_key(size, schema)
    sqlite_path, sqlite_meta = _sqlite_cached(key)
    out: dict = {}
    writers = []
    if _fresh(sqlite_meta, key) and not regenerate:
        log(f"SQLite: reusing {sqlite_path.relative_to(PROJECT_ROOT)} (made {sqlite_meta.created} "
            f"in {sqlite_meta.seconds} s)")
        if schema == "migrations":
            check_schema(f"sqlite:///{sqlite_path}")
        out["sqlite"] = (sqlite_path, sqlite_meta)
    else:
        for stale in list(DATA_DIR.glob(f"shops{size}-*.sqlite3*")) + list(DATA_DIR.glob(f"shops{size}-*.json")):
            stale.unlink()
        tmp = sqlite_path.with_name(sqlite_path.name + ".partial")
        log(f"SQLite: schema ({schema}) in {tmp.relative_to(PROJECT_ROOT)}")
        build_schema(f"sqlite:///{tmp}", schema)
        writers.append(SqliteWriter(tmp))
    if postgres_url:
        import psycopg

        pg_meta = _postgres_cached(postgres_url)
        if _fresh(pg_meta, key) and not regenerate:
            log(f"PostgreSQL: reusing the loaded database (made {pg_meta.created} in {pg_meta.seconds} s)")
            if schema == "migrations":
                check_schema(postgres_url)
            out["postgresql"] = pg_meta
        else:
            plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f"COMMENT ON DATABASE {conn.info.dbname} IS NULL")
                conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
                conn.execute("CREATE SCHEMA public")
            log(f"PostgreSQL: schema ({schema})")
            build_schema(postgres_url, schema)
            writers.append(PostgresWriter(postgres_url))
    if not writers:
        return out
    log(f"generating {size:,} shops and {2 * size:,} complaints into {' and '.join(w.name for w in writers)}")
    meta = populate(writers, size, key)
    log(f"generated in {meta.seconds} s: {meta.rows}")
    for writer in writers:
        # The QR page reads each shop's stored 12-month figures: made by the app's own daily job.
        url = (f"sqlite:///{sqlite_path.with_name(sqlite_path.name + '.partial')}" if writer.name == "sqlite"
               else postgres_url)
        started = time.monotonic()
        result = subprocess.run([str(Path(sys.executable).parent / "flask"), "complaints", "refresh-figures"],
                                cwd=PROJECT_ROOT, env=app_env(url), capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"bench: flask complaints refresh-figures failed:\n{result.stdout}\n{result.stderr}")
        log(f"  {writer.name}: {result.stdout.strip()} ({time.monotonic() - started:.0f} s)")
    for writer in writers:
        if writer.name == "sqlite":
            tmp = sqlite_path.with_name(sqlite_path.name + ".partial")
            for suffix in ("-wal", "-shm"):
                Path(str(tmp) + suffix).unlink(missing_ok=True)
            tmp.rename(sqlite_path)
            sqlite_path.with_suffix(".json").write_text(json.dumps(meta.__dict__, ensure_ascii=False, indent=1))
            out["sqlite"] = (sqlite_path, meta)
        else:
            plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(plain, autocommit=True) as conn:
                text = json.dumps(meta.__dict__, ensure_ascii=False).replace("'", "''")
                conn.execute(f"COMMENT ON DATABASE {conn.info.dbname} IS '{text}'")
            out["postgresql"] = meta
    return out
