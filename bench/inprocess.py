"""In-process measurements: SQL statements per page, a profile of one request, complaint filing from
4 processes at once. The app runs with the production configuration against the bench database."""

from __future__ import annotations

import cProfile
import io
import multiprocessing
import os
import pstats
import random
import shutil
import statistics
import time
from datetime import timedelta
from pathlib import Path

from bench.generate import log

SECRET = "bench-secret-key-" + "x" * 40


def production_app(database_url: str, **overrides):
    from registry import create_app
    from bench.settings import PRODUCTION_EXTRAS

    return create_app({
        "REGISTRY_ENV": "production", "SECRET_KEY": SECRET, "PUBLIC_BASE_URL": "https://cxm.example.cn",
        "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": "memory://", **PRODUCTION_EXTRAS,
        **overrides,
    })


# --- URL lists ------------------------------------------------------------------------------------

def _cjk(text: str) -> str:
    return "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")


def badge_etag(serial: str, shop_name: str) -> str:
    """The ETag of a labelled badge PNG, as registry/badges/public_views.py badge_png gives it."""
    from registry.badges.public_views import _fingerprint

    return f"{serial}-u-{_fingerprint(shop_name)}-png"


def build_url_files(database_url: str, workdir: Path, sample: int = 20_000, seed: int = 315) -> dict[str, Path]:
    """Write the request lists the load tools read (one path per line, optionally a TAB and an ETag)."""
    from urllib.parse import quote

    from sqlalchemy import create_engine, text

    rng = random.Random(seed)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        public = conn.execute(text(
            "SELECT m.public_code, b.serial FROM merchants m JOIN badges b ON b.merchant_id = m.id "
            "AND b.voided_at IS NULL WHERE m.standing <> 'pending' ORDER BY m.id")).all()
        voided = conn.execute(text(
            "SELECT m.public_code, b.serial FROM merchants m JOIN badges b ON b.merchant_id = m.id "
            "AND b.voided_at IS NOT NULL WHERE m.standing <> 'pending' ORDER BY m.id")).all()
        heavy = conn.execute(text(
            "SELECT m.public_code, b.serial, COUNT(c.id) AS n FROM merchants m "
            "JOIN badges b ON b.merchant_id = m.id AND b.voided_at IS NULL "
            "JOIN complaints c ON c.merchant_id = m.id GROUP BY m.public_code, b.serial "
            "ORDER BY n DESC LIMIT 200")).all()
        names = [r[0] for r in conn.execute(text("SELECT name FROM merchants ORDER BY id")).all()]
        name_of = dict(conn.execute(text("SELECT public_code, name FROM merchants")).all())
    engine.dispose()
    picked = rng.sample(public, min(sample, len(public)))
    qr = [f"/m/{code}?s={serial}" for code, serial in picked]
    # About 1 in 100 scans is of an old, re-issued poster (the page then warns that the code is void).
    qr += [f"/m/{code}?s={serial}" for code, serial in rng.sample(voided, min(len(voided), len(qr) // 100))]
    lists = {
        "qr": qr,
        "qr_heavy": [f"/m/{code}?s={serial}" for code, serial, _n in heavy],
        "qr_hot": [f"/m/{code}?s={serial}" for code, serial in picked[:10]],
        # The ETag badges.public_views gives a labelled badge: serial, "u" (the generated badges carry no
        # offline proof), the fingerprint of the shop name printed under the QR, png.
        "badge304": [f"/badge/{serial}.png\t\"{badge_etag(serial, name_of[code])}\"" for code, serial in picked],
        # The badges of 200 shops, revalidated over and over: what a cache in front holds.
        "badge304_hot": [f"/badge/{serial}.png\t\"{badge_etag(serial, name_of[code])}\"" for code, serial in picked[:200]],
        "hello": ["/"],
        "static": ["/static/bench-5k.txt"],
    }
    two, one = [], []
    for name in rng.sample(names, min(4000, len(names))):
        chars = _cjk(name)
        if len(chars) >= 2:
            i = rng.randrange(len(chars) - 1)
            two.append(f"/search?q={quote(chars[i:i + 2])}")
        if chars:
            one.append(f"/search?q={quote(rng.choice(chars))}")
    lists["search2"] = two
    lists["search1"] = one
    lists["mix"] = qr[:5000] + two[:1500] + one[:500]
    paths = {}
    for name, lines in lists.items():
        path = workdir / f"urls-{name}.txt"
        path.write_text("\n".join(lines) + "\n")
        paths[name] = path
    return paths


# --- SQL count and timing per page ----------------------------------------------------------------

def _first_line(path: Path) -> tuple[str, str | None]:
    target, _, etag = path.read_text().splitlines()[0].partition("\t")
    return target, etag or None


def page_costs(database_url: str, urls: dict[str, Path], repeat: int = 30) -> dict:
    """For one URL of each kind: status, SQL statements, the statements, and the in-process time. The
    QR pages twice: as the page cache serves them again (its worker layer; the repeats are hits), and
    rendered (`*_rendered`: an app without the cache)."""
    out = _page_costs(production_app(database_url), urls, repeat, {
        "qr": _first_line(urls["qr"]),
        "qr_heavy": _first_line(urls["qr_heavy"]),
        "qr_void_serial": (urls["qr"].read_text().splitlines()[-1], None),
        "search2": _first_line(urls["search2"]),
        "search1": _first_line(urls["search1"]),
        "home": ("/", None),
        "badge304": _first_line(urls["badge304"]),
        "badge_png": (_first_line(urls["badge304"])[0], None),
    }, service=True)
    out.update(_page_costs(production_app(database_url, PAGE_CACHE_URL=None, PAGE_CACHE_LOCAL_BYTES=0), urls, repeat,
                           {"qr_rendered": _first_line(urls["qr"]), "qr_heavy_rendered": _first_line(urls["qr_heavy"])}))
    return out


def _page_costs(app, urls: dict[str, Path], repeat: int, samples: dict, service: bool = False) -> dict:
    from sqlalchemy import event

    from registry.extensions import db

    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, parameters, context, executemany):
        # SQLite's BEGIN (database.py issues it) is transaction control, not a query: not counted,
        # as in tests/complaints/test_qr_page_cost.py.
        if statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE"):
            statements.append(" ".join(statement.split())[:160])

    event.listen(engine, "before_cursor_execute", count)
    # No cookie jar: every scan comes from a new phone (and a Set-Cookie shows on every response that sets it).
    client = app.test_client(use_cookies=False)
    out = {}
    for name, (target, etag) in samples.items():
        headers = {"If-None-Match": etag} if etag else {}
        client.get(target, headers=headers)  # warm: templates compiled, caches filled
        statements.clear()
        response = client.get(target, headers=headers)
        queries = list(statements)
        timings, cpu = [], []
        budget = time.monotonic() + 5.0  # at most ~5 s per page (a slow search at 10⁶ shops)
        for i in range(repeat):
            if i >= 3 and time.monotonic() > budget:
                break
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(target, headers=headers)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        out[name] = {"path": target, "status": response.status_code, "bytes": len(response.data),
                     "set_cookie": "Set-Cookie" in response.headers, "queries": len(queries), "sql": queries,
                     "in_process_ms": round(statistics.median(timings) * 1000, 2), "repeats": len(timings),
                     # CPU time is what a busy machine does not inflate (other processes take wall time).
                     "cpu_ms": round(sum(cpu) / len(cpu) * 1000, 2)}
    event.remove(engine, "before_cursor_execute", count)
    if service:
        out["service_times"] = service_times(client, urls)
        out["hello_reference"] = hello_cost(repeat * 10)
    with app.app_context():
        db.engine.dispose()
    return out


def search_service_times(database_url: str, urls: dict[str, Path]) -> dict:
    """service_times of the two search lists alone (`--only search`), after the same warm-up a full
    run's page_costs gives: one search of each kind, so templates and statements are built."""
    app = production_app(database_url)
    client = app.test_client(use_cookies=False)
    for name in ("search2", "search1"):
        client.get(_first_line(urls[name])[0])
    out = service_times(client, urls, names=("search2", "search1"))
    from registry.extensions import db

    with app.app_context():
        db.engine.dispose()
    return out


def service_times(client, urls: dict[str, Path], count: int = 400, names=("qr", "search2", "search1")) -> dict:
    """Latency of one request at a time over many different URLs of each kind (no queue in front):
    what a phone waits for the server itself, p50 and p99 of `count` distinct URLs."""
    out = {}
    for name in names:
        lines = urls[name].read_text().splitlines()[:count]
        timings, cpu = [], []
        for line in lines:
            target, _tab, etag = line.partition("\t")
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(target, headers={"If-None-Match": etag} if etag else {})
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        timings.sort()
        cpu.sort()
        out[name] = {"requests": len(timings), "p50_ms": round(timings[len(timings) // 2] * 1000, 2),
                     "p99_ms": round(timings[int(len(timings) * 0.99)] * 1000, 2),
                     # The app process's own CPU (PostgreSQL's is not in it): what a busy machine does not
                     # inflate, beside the wall time it does.
                     "cpu_p50_ms": round(cpu[len(cpu) // 2] * 1000, 2),
                     "cpu_p99_ms": round(cpu[int(len(cpu) * 0.99)] * 1000, 2), "loadavg_1m": os.getloadavg()[0]}
    return out


def hello_cost(repeat: int) -> dict:
    """The same in-process measurement for bench/hello.py, the reference."""
    from bench.hello import app

    # No cookie jar: every scan comes from a new phone (and a Set-Cookie shows on every response that sets it).
    client = app.test_client(use_cookies=False)
    client.get("/")
    started, started_cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        client.get("/")
    return {"path": "/", "queries": 0, "in_process_ms": round((time.perf_counter() - started) / repeat * 1000, 3),
            "cpu_ms": round((time.process_time() - started_cpu) / repeat * 1000, 3)}


def profile(database_url: str, target: str, out_path: Path, repeat: int = 50) -> dict:
    """cProfile `repeat` requests of one page; writes the top functions and returns a coarse breakdown."""
    from registry.extensions import db

    app = production_app(database_url)
    # No cookie jar: every scan comes from a new phone (and a Set-Cookie shows on every response that sets it).
    client = app.test_client(use_cookies=False)
    client.get(target)
    # CPU time, not wall time: other processes on the machine must not change the picture.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(repeat):
        client.get(target)
    profiler.disable()
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    out_path.write_text(buffer.getvalue())
    total = sum(v[2] for v in stats.stats.values())  # total own time

    def own_time(predicate) -> float:
        return sum(v[2] for k, v in stats.stats.items() if predicate(k))

    def cumulative(predicate) -> float:
        return max((v[3] for k, v in stats.stats.items() if predicate(k)), default=0.0)

    wall = cumulative(lambda k: k[2] == "get" and "werkzeug/test.py" in k[0]) or total
    buckets = {
        "database driver (execute + fetch)": own_time(lambda k: "sqlite3" in k[2] or "psycopg" in k[0]
                                                      or k[0] == "~" and ("execute" in k[2] or "fetch" in k[2])),
        "SQLAlchemy (compile, ORM, results)": own_time(lambda k: "/sqlalchemy/" in k[0]),
        "Jinja2 templates": own_time(lambda k: "/jinja2/" in k[0] or "templates/" in k[0] or k[0].endswith(".html")),
        "Babel / i18n": own_time(lambda k: "/babel/" in k[0] or "/flask_babel/" in k[0] or "gettext" in k[0]),
        "Flask / Werkzeug": own_time(lambda k: "/flask/" in k[0] or "/werkzeug/" in k[0]),
        "QR image (qrcode, PIL)": own_time(lambda k: "/qrcode/" in k[0] or "/PIL/" in k[0]),
        "registry code": own_time(lambda k: "/registry/" in k[0]),
    }
    with app.app_context():
        db.engine.dispose()
    return {"path": target, "requests": repeat, "cpu_ms_per_request_profiled": round(wall / repeat * 1000, 2),
            "share_of_own_time": {k: round(v / total, 3) for k, v in buckets.items()},
            "report": str(out_path)}


# --- complaint filing from several processes ------------------------------------------------------

def _filer(database_url, index, seconds, limit, barrier, results, shop_ids) -> None:
    from registry.complaints.filing import ComplaintInput, file_complaint
    from registry.clock import utcnow
    from registry.extensions import db
    from registry.merchants.models import Merchant

    app = production_app(database_url)
    rng = random.Random(index)
    made, errors, locked, latencies = 0, {}, 0, []
    with app.app_context():
        # Every process has imported and connected before anyone files: they start together.
        barrier.wait(timeout=300)
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline and n < limit:
            n += 1
            phone = f"139{index:02d}{n:06d}"
            started = time.perf_counter()
            try:
                merchant = db.session.get(Merchant, rng.choice(shop_ids))
                file_complaint(merchant, ComplaintInput(
                    clause=4, description="标价和结账价格不一致，多收了十几元，店员不肯退差价。",
                    purchase_date=utcnow().date() - timedelta(days=2), amount_cents=1500, demands=["refund"],
                    consumer_name="王小明", consumer_phone=phone, privacy_consent=True, share_phone_consent=False,
                ), [], phone, f"benchfile-{index}-{n}")
                db.session.commit()
                made += 1
                latencies.append(time.perf_counter() - started)
            except Exception as error:  # counted and reported, never hidden
                db.session.rollback()
                message = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
                errors[message] = errors.get(message, 0) + 1
                if "locked" in str(error):
                    locked += 1
        elapsed = time.monotonic() - (deadline - seconds)
        db.session.remove()
        db.engine.dispose()
    results.put({"made": made, "attempted": n, "errors": errors, "locked": locked, "latencies": latencies,
                 "elapsed": elapsed})


def complaint_filing(source: Path, workdir: Path, processes: int = 4, seconds: float = 15.0,
                     limit: int = 3000) -> dict:
    """`processes` processes call complaints.filing.file_complaint and commit, all at once, on a copy
    of the SQLite database; then count what landed and check the audit chain."""
    from sqlalchemy import create_engine, func, select, text

    copy = workdir / "filing.sqlite3"
    log(f"complaint filing: copying the database ({source.stat().st_size / 1e6:.0f} MB)")
    shutil.copyfile(source, copy)
    url = f"sqlite:///{copy}"
    engine = create_engine(url)
    with engine.connect() as conn:
        shop_ids = [r[0] for r in conn.execute(text(
            "SELECT id FROM merchants WHERE standing <> 'pending' ORDER BY id LIMIT 5000")).all()]
        audit_before = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM audit_entries")).scalar()
    engine.dispose()
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    workers = [ctx.Process(target=_filer, args=(url, i, seconds, limit, barrier, results, shop_ids))
               for i in range(processes)]
    for worker in workers:
        worker.start()
    parts = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    made = sum(p["made"] for p in parts)
    attempted = sum(p["attempted"] for p in parts)
    errors: dict[str, int] = {}
    for p in parts:
        for k, v in p["errors"].items():
            errors[k] = errors.get(k, 0) + v
    latencies = sorted(x for p in parts for x in p["latencies"])
    # What landed: every committed complaint is there, once, with its event and its audit entry.
    app = production_app(url)
    from registry.audit.models import AuditEntry
    from registry.audit.services import GENESIS_HASH
    from registry.complaints.models import Complaint, ComplaintEvent
    from registry.extensions import db

    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Complaint)
                                   .where(Complaint.submission_key.like("benchfile-%")))
        distinct_numbers = db.session.scalar(select(func.count(func.distinct(Complaint.tracking_number)))
                                             .where(Complaint.submission_key.like("benchfile-%")))
        events = db.session.scalar(select(func.count()).select_from(ComplaintEvent).join(Complaint)
                                   .where(Complaint.submission_key.like("benchfile-%")))
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id > audit_before)
                                     .order_by(AuditEntry.id)).all()
        previous = db.session.scalar(select(AuditEntry.hash).where(AuditEntry.id <= audit_before)
                                     .order_by(AuditEntry.id.desc()).limit(1)) or GENESIS_HASH
        chain_ok = True
        for entry in entries:
            if entry.prev_hash != previous or entry.compute_hash() != entry.hash:
                chain_ok = False
                break
            previous = entry.hash
        filed_entries = sum(1 for e in entries if e.action == "complaint.filed")
        db.session.remove()
        db.engine.dispose()
    copy.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    elapsed = max(p["elapsed"] for p in parts)
    return {
        "processes": processes, "seconds": round(elapsed, 1), "attempted": attempted, "committed": made,
        "complaints_per_s": round(made / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else None,
        "errors": errors, "database_is_locked": sum(p["locked"] for p in parts),
        "stored": stored, "lost": made - stored, "duplicate_tracking_numbers": stored - distinct_numbers,
        "events": events, "audit_entries_filed": filed_entries, "audit_chain_ok": chain_ok,
    }
