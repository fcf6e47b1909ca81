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
import hashlib
import itertools
import json
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

from registry.badges.services import VERIFICATION_ALPHABET
from registry.merchants.identifiers import CREDIT_CODE_ALPHABET, credit_code_check_character
from registry.merchants.services import name_grams, normalize_search_text
from registry.pledges.defaults import DEFAULT_CLAUSES, DEFAULT_PREAMBLE, DEFAULT_PREAMBLE_EN, DEFAULT_TITLE
from registry.pledges.services import sha256_hex, signed_text

from bench import vocab

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations" / "versions"
# Bumped by hand when the shape of the generated data changes; the file hash below catches the rest.
GENERATOR_VERSION = 3
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


def cache_key(size: int) -> str:
    return f"shops{size}-rev{schema_revision()}-gen{generator_digest()}"


# --- deterministic identifiers --------------------------------------------------------------------

def _base(n: int, alphabet: str, width: int) -> str:
    base = len(alphabet)
    out = []
    for _ in range(width):
        n, r = divmod(n, base)
        out.append(alphabet[r])
    return "".join(reversed(out))


_BODY_SPACE = 31 ** 9
_VERIFY_SPACE = 31 ** 8


def credit_code(index: int, division: str, kind: str) -> str:
    """A unique, well-formed 统一社会信用代码: the body is a bijection of the shop's index."""
    body = _base((index * 2654435761 + 12345) % _BODY_SPACE, CREDIT_CODE_ALPHABET, 9)
    first17 = f"{kind}{division}{body}"
    return first17 + credit_code_check_character(first17)


def verification_code(badge_id: int) -> str:
    return _base((badge_id * 2654435761 + 777) % _VERIFY_SPACE, VERIFICATION_ALPHABET, 8)


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


class Generator:
    def __init__(self, size: int, seed: int | None = None, now: datetime | None = None) -> None:
        self.size = size
        self.rng = random.Random(seed if seed is not None else 20260315 + size)
        now = now or datetime.now(timezone.utc)
        # Naive UTC, on a whole hour of "yesterday", so nothing generated lies in the future.
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
        # Filled while shops are made; complaints need them.
        self.public_ids: list[int] = []
        self.shop_district: dict[int, int] = {}
        self.rows: dict[str, int] = {}
        self.staff_ids: dict[int, int] = {}
        self.admin_id = 0

    # -- helpers --
    def _pick(self, cum: list[int], items: list):
        return items[bisect.bisect_right(cum, self.rng.random() * cum[-1])]

    def _phone(self) -> str:
        return f"1{self.rng.choice('3456789')}{self.rng.randrange(10 ** 9):09d}"

    def _person(self) -> str:
        return self.rng.choice(vocab.SURNAMES) + self.rng.choice(vocab.GIVEN)

    def _code(self, alphabet: str, length: int) -> str:
        return "".join(self.rng.choices(alphabet, k=length))

    def shop_name(self, category: str, township: str, street: str) -> str:
        rng = self.rng
        prefixes, suffixes = vocab.NAME_PARTS[category]
        style = rng.random()
        if style < 0.55:
            prefix, suffix = rng.choice(prefixes), rng.choice(suffixes)
            if _overlaps(prefix, suffix):  # not 美妆美妆店 or 家电家电
                suffix = next((s for s in suffixes if not _overlaps(prefix, s)), suffix)
            if style < 0.30:
                return prefix + suffix
            place = rng.choice((township[:2], street[:-1] if street.endswith("路") else street))
            return prefix + suffix + rng.choice(vocab.BRANCH_STYLES).format(place)
        if style < 0.80:
            return rng.choice(vocab.LUCKY) + rng.choice(vocab.LUCKY) + rng.choice(suffixes)
        surname = rng.choice(vocab.SURNAMES)
        return (f"老{surname}" if rng.random() < 0.5 else f"{surname}记") + rng.choice(suffixes)

    # -- fixed rows --
    def pledge_rows(self):
        published = ts(self.now - timedelta(days=900))
        versions = [(1, 1, DEFAULT_TITLE, DEFAULT_PREAMBLE, DEFAULT_PREAMBLE_EN, published, published)]
        clauses = [(i, 1, i, c["kind"], c["text"], c.get("text_en")) for i, c in enumerate(DEFAULT_CLAUSES, start=1)]
        return versions, clauses

    def staff_rows(self):
        rows = []
        created = ts(self.now - timedelta(days=1000))
        next_id = self.size + 1
        self.admin_id = next_id
        rows.append((next_id, "admin@bench.cxm", "基准管理员", SHARED_PASSWORD_HASH, "admin", None, 1, 1, created))
        for index, district in enumerate(self.districts):
            next_id += 1
            self.staff_ids[index] = next_id
            rows.append((next_id, f"staff{index}@bench.cxm", f"{district}工作人员", SHARED_PASSWORD_HASH, "staff",
                         district, 1, 1, created))
        return rows

    # -- shops, in chunks --
    def shop_chunks(self):
        """Yield dicts of row lists per table for CHUNK shops at a time (ids 1..size)."""
        rng = self.rng
        now = self.now
        signature_id = badge_id = 0
        for start in range(1, self.size + 1, CHUNK):
            users, merchants, grams, signatures, badges = [], [], [], [], []
            for shop_id in range(start, min(start + CHUNK, self.size + 1)):
                district_index = bisect.bisect_right(self.district_cum, rng.random() * self.district_cum[-1])
                district = self.districts[district_index]
                division, townships = vocab.DISTRICTS[district]
                township = rng.choice(townships)
                street = rng.choice(vocab.ALL_STREETS)
                category = self._pick(self.category_cum, self.categories)
                name = self.shop_name(category, township, street)
                owner_name = self._person()
                created = now - timedelta(days=rng.uniform(5, 1000))
                login = f"13{shop_id:09d}"
                users.append((shop_id, login, owner_name, SHARED_PASSWORD_HASH, "merchant", None, 1, 1, ts(created)))
                code = credit_code(shop_id, division, "92" if rng.random() < 0.6 else "91")

                roll = rng.random()
                # pending 6 %, active ~87 %, warned 2 %, suspended 1 %, revoked 0.5 %, lapsed 3.5 %
                if roll < 0.06:
                    standing = "pending"
                elif roll < 0.08:
                    standing = "warned"
                elif roll < 0.09:
                    standing = "suspended"
                elif roll < 0.095:
                    standing = "revoked"
                elif roll < 0.13:
                    standing = "lapsed"
                else:
                    standing = "active"
                reason = changed = None
                if standing in ("warned", "suspended", "revoked"):
                    reason = rng.choice(["经核实存在价格欺诈行为，已责令整改。", "多次被投诉以次充好，经调查属实。",
                                         "销售假冒商品，已移交市场监管部门处理。"])
                    changed = ts(now - timedelta(days=rng.uniform(1, 200)))
                public_code = self._code(PUBLIC_CODE_ALPHABET, 16)
                merchants.append((
                    shop_id, shop_id, name, normalize_search_text(name), code, category, district, township,
                    f"{street}{rng.randint(1, 999)}号", self._phone(), owner_name, public_code, standing, reason,
                    changed, ts(created), ts(created), 1,
                ))
                grams.extend((gram, shop_id) for gram in name_grams(name))
                if standing == "pending":
                    continue
                self.public_ids.append(shop_id)
                self.shop_district[shop_id] = district_index
                # Signatures: the current one (expired for lapsed shops), and for some an earlier one.
                if standing == "lapsed":
                    signed = now - timedelta(days=rng.uniform(366, 700))
                else:
                    signed = now - timedelta(days=rng.uniform(1, 330))
                first_signed = signed
                history = [signed]
                if rng.random() < 0.25 and (signed - created).days > 400:
                    first_signed = signed - timedelta(days=rng.uniform(335, 365))
                    history.insert(0, first_signed)
                title = rng.choice(vocab.SIGNER_TITLES)
                merchant_ns = SimpleNamespace(name=name, credit_code=code)
                for moment in history:
                    signature_id += 1
                    aware = moment.replace(tzinfo=timezone.utc)
                    text = signed_text(merchant_ns, self.version, owner_name, title, aware)
                    signatures.append((
                        signature_id, self._code(PUBLIC_CODE_ALPHABET, 16), shop_id, 1, shop_id, owner_name, title,
                        ts(moment), ts(moment + timedelta(days=365)), text, sha256_hex(text),
                        f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                    ))
                # Badges: issued at the first signing; 3 % re-issued once (the old serial is void).
                issued = first_signed
                if rng.random() < 0.03:
                    badge_id += 1
                    reissued = issued + timedelta(days=rng.uniform(1, max(2.0, (now - issued).days - 1)))
                    badges.append((badge_id, shop_id, f"CX{issued:%Y%m%d}-{shop_id:06d}-{rng.randrange(65536):04X}",
                                   verification_code(badge_id), ts(issued), ts(reissued), "reissued"))
                    issued = reissued
                badge_id += 1
                badges.append((badge_id, shop_id, f"CX{issued:%Y%m%d}-{shop_id:06d}-{rng.randrange(65536):04X}",
                               verification_code(badge_id), ts(issued), None, None))
            yield {"users": users, "merchants": merchants, "merchant_name_grams": grams,
                   "signatures": signatures, "badges": badges}

    # -- complaints --
    def complaint_plan(self) -> list[int]:
        """How many complaints each public shop gets: heavy-tailed (Pareto α=1.2, capped), 2 × shops in all."""
        rng = self.rng
        weights = [min(rng.random() ** (-1 / 1.2), 3000.0) for _ in self.public_ids]
        total_weight = sum(weights)
        target = 2 * self.size
        counts = [int(w * target / total_weight) for w in weights]
        missing = target - sum(counts)
        cum = list(itertools.accumulate(weights))
        for _ in range(missing):
            counts[bisect.bisect_right(cum, rng.random() * cum[-1])] += 1
        return counts

    def complaint_days(self, total: int) -> list[date]:
        """Filing days over the last two years, three times as many on 3·15 and the days after it."""
        days, weights = [], []
        for back in range(1, 731):
            day = (self.now - timedelta(days=back)).date()
            days.append(day)
            weights.append(3.0 if day.month == 3 and 15 <= day.day <= 17 else 1.0)
        chosen = self.rng.choices(days, weights=weights, k=total)
        chosen.sort()
        return chosen

    def complaint_chunks(self):
        rng = self.rng
        counts = self.complaint_plan()
        self.complaint_counts = counts
        owners = []
        for shop_id, count in zip(self.public_ids, counts):
            owners.extend([shop_id] * count)
        rng.shuffle(owners)
        days = self.complaint_days(len(owners))
        sequence: dict[date, int] = {}
        event_id = 0
        complaints, events = [], []
        clause_kinds = list(vocab.COMPLAINT_TEXTS)
        for complaint_id, (shop_id, day) in enumerate(zip(owners, days), start=1):
            seq = sequence[day] = sequence.get(day, 0) + 1
            if seq > 9999:
                raise RuntimeError(f"more than 9999 complaints on {day}: tracking numbers have 4 digits")
            filed = datetime(day.year, day.month, day.day) + timedelta(seconds=rng.uniform(3600, 14 * 3600))
            # The tracking number's date is the China date of filing (UTC+8).
            tracking = f"TS{(filed + timedelta(hours=8)):%Y%m%d}-{seq:04d}"
            age = (self.now - filed).total_seconds() / 86400
            clause = rng.choice(clause_kinds)
            item = rng.choice(vocab.ITEMS)
            description = rng.choice(vocab.COMPLAINT_TEXTS[clause]).format(item=item)
            amount = rng.choice((0, 1, 2, 5, 10, 20, 50)) * rng.randint(1, 100) * 100
            demands = ",".join(sorted(rng.sample(("refund", "exchange", "apology", "compensation"), rng.randint(1, 2))))
            share_phone = rng.random() < 0.3
            staff_id = self.staff_ids[self.shop_district[shop_id]]
            row = dict(
                status="filed", outcome=None, refusal_ground=None, public_summary=None, amount_recovered_cents=None,
                decided_at=None, first_reply_at=None, closed_at=None, due_date=None, mediation_started_at=None,
                followup_resolved=None, followup_satisfaction=None, followup_at=None, version=1,
            )
            timeline: list[tuple] = []  # (kind, actor_role, actor_id, body, data, is_public, at)

            def add(kind, role, actor, body, public, at, **data):
                timeline.append((kind, role, actor, body, json.dumps(data, ensure_ascii=False, sort_keys=True),
                                 int(public), at))

            add("filed", "consumer", None, None, False, filed,
                consents={"privacy": True, "share_phone": share_phone}, photos=0)
            # How far the case has gone depends on its age: old cases are closed.
            r = rng.random()
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
                row["due_date"] = (filed + timedelta(days=9)).date()
            elif stage == "refused":
                at = filed + timedelta(hours=rng.uniform(4, 120))
                row.update(status="refused", refusal_ground=rng.choice(("no_evidence", "not_consumer_dispute",
                                                                         "duplicate", "time_limit")),
                           decided_at=at, closed_at=at)
                add("refused", "staff", staff_id, "缺少购买凭证，无法核实。建议保留证据后拨打 12315。", False, at,
                    ground=row["refusal_ground"])
            else:
                withdrawn_early = stage == "withdrawn" and rng.random() < 0.4
                if not withdrawn_early:
                    at = filed + timedelta(hours=rng.uniform(4, 120))
                    summary = f"{vocab.CLAUSE_LABELS_ZH[clause]}：{description[:60]}{'…' if len(description) > 60 else ''}"
                    row.update(status="accepted", decided_at=at, public_summary=summary,
                               due_date=(at + timedelta(days=14)).date())
                    add("accepted", "staff", staff_id, None, True, at)
                    add("forwarded", "system", None, None, False, at, reply_due=str(row["due_date"]))
                if stage == "withdrawn":
                    at = at + timedelta(hours=rng.uniform(2, 72))
                    row.update(status="withdrawn", closed_at=at, due_date=None)
                    add("withdrawn", "consumer", None, "商家已解释清楚。", row["decided_at"] is not None, at)
                elif stage != "accepted":
                    at = at + timedelta(hours=rng.uniform(6, 200))
                    offer = rng.choice(vocab.REPLIES)
                    offer_cents = amount if rng.random() < 0.6 else amount // 2
                    row.update(status="replied", first_reply_at=at,
                               due_date=(row["decided_at"] + timedelta(days=63)).date())
                    add("merchant_replied", "merchant", shop_id, offer, True, at, offer="退款",
                        offer_amount_cents=offer_cents)
                    if stage == "agreed":
                        at = at + timedelta(hours=rng.uniform(2, 96))
                        row.update(status="closed", outcome="agreed", amount_recovered_cents=offer_cents,
                                   closed_at=at, due_date=None)
                        add("consumer_accepted", "consumer", None, "同意，谢谢。", True, at)
                        add("closed", "system", None, None, True, at, outcome="agreed")
                        if rng.random() < 0.5:
                            at = at + timedelta(days=rng.uniform(1, 10))
                            row.update(followup_resolved=True, followup_satisfaction=rng.randint(3, 5), followup_at=at)
                            add("followup", "consumer", None, None, False, at, resolved=True,
                                satisfaction=row["followup_satisfaction"])
                    elif stage in ("disputed", "mediating", "mediated", "failed"):
                        at = at + timedelta(hours=rng.uniform(2, 96))
                        row["status"] = "disputed"
                        add("consumer_rejected", "consumer", None, "只退一半不能接受。", False, at)
                        if stage != "disputed":
                            at = at + timedelta(days=rng.uniform(1, 10))
                            row.update(status="mediating", mediation_started_at=at)
                            add("mediation_scheduled", "staff", staff_id, None, False, at,
                                when=(at + timedelta(days=2)).isoformat(), place=rng.choice(vocab.MEDIATION_PLACES))
                        if stage in ("mediated", "failed"):
                            at = at + timedelta(days=rng.uniform(2, 30))
                            recovered = amount if stage == "mediated" else 0
                            row.update(status="closed", outcome=stage, amount_recovered_cents=recovered,
                                       closed_at=at, due_date=None)
                            add("mediated" if stage == "mediated" else "mediation_failed", "staff", staff_id,
                                "双方达成一致，商家退款并赔偿。" if stage == "mediated" else "商家拒绝调解，已告知消费者其他途径。",
                                False, at, amount_recovered_cents=recovered)
                            add("closed", "system", None, None, True, at, outcome=stage)
            # Events never lie in the future (a young case simply has not got that far yet).
            # Squeeze the timeline of a young case proportionally, keeping its order.
            if timeline[-1][6] > self.now:
                factor = (self.now - timedelta(minutes=5) - filed) / (timeline[-1][6] - filed)

                def squeeze(moment):
                    return filed + (moment - filed) * factor

                timeline = [(*t[:6], squeeze(t[6])) for t in timeline]
                for key in ("decided_at", "first_reply_at", "closed_at", "mediation_started_at", "followup_at"):
                    if row[key] is not None:
                        row[key] = squeeze(row[key])
            phone = self._phone()
            complaints.append((
                complaint_id, tracking, shop_id, clause, description, (filed - timedelta(days=rng.randint(0, 20))).date()
                .isoformat(), amount, demands, self._person(), phone, ts(filed), ts(filed) if share_phone else None,
                hashlib.sha256(f"bench-token-{complaint_id}".encode()).hexdigest(), f"bench-{complaint_id:012d}",
                row["status"], row["outcome"], row["refusal_ground"], row["public_summary"],
                row["amount_recovered_cents"], ts(filed), _opt_ts(row["decided_at"]), _opt_ts(row["first_reply_at"]),
                _opt_ts(row["closed_at"]), row["due_date"].isoformat() if row["due_date"] else None, 0,
                _opt_ts(row["mediation_started_at"]), _opt_bool(row["followup_resolved"]),
                row["followup_satisfaction"], _opt_ts(row["followup_at"]), 1,
            ))
            for kind, role, actor, body, data, public, moment in timeline:
                event_id += 1
                events.append((event_id, complaint_id, kind, role, actor, body, data, public, ts(moment)))
            if len(complaints) >= CHUNK:
                yield {"complaints": complaints, "complaint_events": events}
                complaints, events = [], []
        if complaints:
            yield {"complaints": complaints, "complaint_events": events}


def _overlaps(prefix: str, suffix: str) -> bool:
    return any(prefix[i:i + 2] in suffix for i in range(len(prefix) - 1))


def _opt_ts(value):
    return ts(value) if value is not None else None


def _opt_bool(value):
    return None if value is None else int(value)


COLUMNS = {
    "pledge_versions": ("id", "number", "title", "preamble", "preamble_en", "created_at", "published_at"),
    "pledge_clauses": ("id", "version_id", "number", "kind", "text", "text_en"),
    "users": ("id", "login", "display_name", "password_hash", "role", "district", "is_enabled", "session_version",
              "created_at"),
    "merchants": ("id", "owner_id", "name", "search_name", "credit_code", "category", "district", "township",
                  "address", "contact_phone", "owner_name", "public_code", "standing", "standing_reason",
                  "standing_changed_at", "created_at", "updated_at", "version"),
    "merchant_name_grams": ("gram", "merchant_id"),
    "signatures": ("id", "certificate_code", "merchant_id", "pledge_version_id", "signed_by_id", "signer_name",
                   "signer_title", "signed_at", "expires_at", "signed_text", "text_sha256", "ip_address"),
    "badges": ("id", "merchant_id", "serial", "verification_code", "issued_at", "voided_at", "void_reason"),
    "complaints": ("id", "tracking_number", "merchant_id", "clause_kind", "description", "purchase_date",
                   "amount_cents", "demands", "consumer_name", "consumer_phone", "privacy_consent_at",
                   "share_phone_consent_at", "access_token_hash", "submission_key", "status", "outcome",
                   "refusal_ground", "public_summary", "amount_recovered_cents", "filed_at", "decided_at",
                   "first_reply_at", "closed_at", "due_date", "due_uses_fallback", "mediation_started_at",
                   "followup_resolved", "followup_satisfaction", "followup_at", "version"),
    "complaint_events": ("id", "complaint_id", "kind", "actor_role", "actor_id", "body", "data", "is_public",
                         "created_at"),
}
BOOLEAN_COLUMNS = {("users", "is_enabled"), ("complaints", "due_uses_fallback"), ("complaints", "followup_resolved"),
                   ("complaint_events", "is_public")}


# --- writers --------------------------------------------------------------------------------------

class SqliteWriter:
    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF", "cache_size=-2000000",
                       "temp_store=MEMORY", "locking_mode=EXCLUSIVE"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute("BEGIN")

    def columns(self, table: str) -> list[tuple[str, bool, bool]]:
        """(name, not null, has default) of each column."""
        return [(r[1], bool(r[3]), r[4] is not None or bool(r[5]))
                for r in self.conn.execute(f"PRAGMA table_info({table})")]

    def write(self, table: str, rows: list[tuple]) -> None:
        if rows:
            cols = COLUMNS[table]
            self.conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                  rows)

    def finish(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("PRAGMA locking_mode=NORMAL")
        # The app opens the database in WAL mode; leave it that way (and take the write lock once
        # more so locking_mode=NORMAL takes effect).
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA foreign_key_check")
        self.conn.close()


class PostgresWriter:
    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=False)
        self.conn.execute("SET TIME ZONE 'UTC'")
        self.conn.execute("SET synchronous_commit = off")

    def columns(self, table: str) -> list[tuple[str, bool, bool]]:
        return [(r[0], r[1] == "NO", r[2] is not None) for r in self.conn.execute(
            "SELECT column_name, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s", (table,))]

    def write(self, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        cols = COLUMNS[table]
        booleans = [i for i, c in enumerate(cols) if (table, c) in BOOLEAN_COLUMNS]
        with self.conn.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            if booleans:
                for row in rows:
                    row = list(row)
                    for i in booleans:
                        if row[i] is not None:
                            row[i] = "t" if row[i] else "f"
                    copy.write_row(row)
            else:
                for row in rows:
                    copy.write_row(row)

    def finish(self) -> None:
        for table in ("users", "merchants", "signatures", "badges", "complaints", "complaint_events",
                      "pledge_versions", "pledge_clauses"):
            self.conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
        self.conn.commit()
        self.conn.autocommit = True
        # Autovacuum would analyse these tables within minutes in production; do it now.
        self.conn.execute("VACUUM ANALYZE")
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


def populate(writer, size: int) -> Generated:
    started = time.monotonic()
    gen = Generator(size)
    _check_columns(writer)
    rows: dict[str, int] = {}

    def put(table, chunk):
        writer.write(table, chunk)
        rows[table] = rows.get(table, 0) + len(chunk)

    versions, clauses = gen.pledge_rows()
    put("pledge_versions", versions)
    put("pledge_clauses", clauses)
    put("users", gen.staff_rows())
    done = 0
    for chunk in gen.shop_chunks():
        for table in ("users", "merchants", "merchant_name_grams", "signatures", "badges"):
            put(table, chunk[table])
        done += len(chunk["merchants"])
        if done % (CHUNK * 10) == 0 or done == size:
            log(f"  shops {done:,}/{size:,} ({time.monotonic() - started:.0f} s)")
    made = 0
    for chunk in gen.complaint_chunks():
        put("complaints", chunk["complaints"])
        put("complaint_events", chunk["complaint_events"])
        made += len(chunk["complaints"])
        if made % (CHUNK * 10) == 0:
            log(f"  complaints {made:,}/{2 * size:,} ({time.monotonic() - started:.0f} s)")
    log(f"  committing and indexing ({time.monotonic() - started:.0f} s)")
    writer.finish()
    counts = sorted(gen.complaint_counts, reverse=True)
    result = Generated(size=size, key=cache_key(size), created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       seconds=round(time.monotonic() - started, 1), rows=rows)
    result.complaint_counts = {
        "max": counts[0], "p99": counts[len(counts) // 100], "p90": counts[len(counts) // 10],
        "median": counts[len(counts) // 2], "shops_with_100_plus": sum(1 for c in counts if c >= 100),
        "shops_with_none": sum(1 for c in counts if c == 0),
    }
    return result


# --- schema and caching ---------------------------------------------------------------------------

def app_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(REGISTRY_ENV="production", SECRET_KEY="bench-secret-key-" + "x" * 40,
               PUBLIC_BASE_URL="https://cxm.example.cn", DATABASE_URL=database_url, FLASK_APP="wsgi:app",
               RATELIMIT_STORAGE_URI="memory://")
    return env


def migrate(database_url: str) -> None:
    """Create the schema with the real migrations, then seed the working-day calendar."""
    flask = str(Path(sys.executable).parent / "flask")
    for args in (["db", "upgrade"], ["calendar", "seed"]):
        result = subprocess.run([flask, *args], cwd=PROJECT_ROOT, env=app_env(database_url),
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"bench: flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def sqlite_database(size: int, regenerate: bool = False) -> tuple[Path, Generated]:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = cache_key(size)
    path = DATA_DIR / f"{key}.sqlite3"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists() and not regenerate:
        meta = Generated(**json.loads(meta_path.read_text()))
        age = datetime.now(timezone.utc) - datetime.fromisoformat(meta.created)
        if age.days < MAX_CACHE_AGE_DAYS:
            log(f"SQLite: reusing {path.relative_to(PROJECT_ROOT)} (made {meta.created}, {meta.seconds} s)")
            return path, meta
    for stale in DATA_DIR.glob(f"shops{size}-*.sqlite3*"):
        stale.unlink()
    for stale in DATA_DIR.glob(f"shops{size}-*.json"):
        stale.unlink()
    tmp = path.with_name(path.name + ".partial")
    for leftover in DATA_DIR.glob(tmp.name + "*"):
        leftover.unlink()
    log(f"SQLite: generating {size:,} shops into {path.relative_to(PROJECT_ROOT)}")
    started = time.monotonic()
    migrate(f"sqlite:///{tmp}")
    meta = populate(SqliteWriter(tmp), size)
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    tmp.rename(path)
    meta.seconds = round(time.monotonic() - started, 1)
    meta_path.write_text(json.dumps(meta.__dict__, ensure_ascii=False, indent=1))
    log(f"SQLite: {size:,} shops generated in {meta.seconds} s ({path.stat().st_size / 1e6:.0f} MB)")
    return path, meta


def postgres_database(url: str, size: int, regenerate: bool = False) -> Generated:
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    key = cache_key(size)
    with psycopg.connect(plain, autocommit=True) as conn:
        comment = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                               "WHERE datname = current_database()").fetchone()[0]
        if comment and not regenerate:
            try:
                meta = Generated(**json.loads(comment))
            except (ValueError, TypeError):
                meta = None
            if meta and meta.key == key and \
                    (datetime.now(timezone.utc) - datetime.fromisoformat(meta.created)).days < MAX_CACHE_AGE_DAYS:
                log(f"PostgreSQL: reusing the loaded database (made {meta.created}, {meta.seconds} s)")
                return meta
        log(f"PostgreSQL: generating {size:,} shops")
        conn.execute("COMMENT ON DATABASE " + conn.info.dbname + " IS NULL")
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    started = time.monotonic()
    migrate(url)
    meta = populate(PostgresWriter(url), size)
    meta.seconds = round(time.monotonic() - started, 1)
    with psycopg.connect(plain, autocommit=True) as conn:
        text = json.dumps(meta.__dict__, ensure_ascii=False).replace("'", "''")
        conn.execute(f"COMMENT ON DATABASE {conn.info.dbname} IS '{text}'")
    log(f"PostgreSQL: {size:,} shops loaded in {meta.seconds} s")
    return meta
