"""`make bench [SIZE=10000]`: generate (or reuse) the data, serve it with gunicorn as in production,
drive bounded load on 127.0.0.1 and print one table; the same table goes to bench/results/<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.settings import PRODUCTION_EXTRAS
from bench import crash, filing_photos, generate, inprocess, loadgen, pooling, servers
from bench.generate import BENCH_DIR, DATA_DIR, PROJECT_ROOT, log

RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", type=int, default=10_000, help="shops (complaints: twice as many)")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before each scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (app and reference)")
    parser.add_argument("--rss-requests", type=int, default=10_000,
                        help="requests (all workers together) before reading worker RSS; at most 300 s")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-nginx", action="store_true")
    parser.add_argument("--no-page-cache", action="store_true",
                        help="run the app without the QR page cache (PAGE_CACHE_URL unset, no worker layer)")

    parser.add_argument("--skip-filing", action="store_true")
    parser.add_argument("--filing-seconds", type=float, default=30.0, help="length of the filing-photos scenario")
    parser.add_argument("--regenerate", action="store_true", help="ignore cached data")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--pgbouncer", action="store_true",
                        help="also run the PostgreSQL QR page and search through PgBouncer (bench/pooling.py)")
    parser.add_argument("--only", choices=("crash", "filing-photos", "search", "pgbouncer"),
                        help="run one scenario on its own. search: 1- and 2-character search one request at a "
                             "time (400 URLs each, in-process) on SQLite and PostgreSQL against the targets, "
                             "a minute or two once the data exist. filing-photos: complaints with 6 large "
                             "photos through HTTP while others ask for SMS codes from a slow gateway "
                             "(bench/filing_photos.py). "
                             "crash: only the kill -9 run (filings with photos + QR reads, two workers killed; "
                             "bench/crash.py), on SQLite and PostgreSQL; exits 1 when a target is missed. "
                             "pgbouncer: hello, then the PostgreSQL QR page and search direct and through PgBouncer")
    parser.add_argument("--crash-seconds", type=float, default=45.0, help="length of each crash run")
    parser.add_argument("--crash-consumers", type=int, default=6, help="threads filing complaints")
    parser.add_argument("--crash-readers", type=int, default=3, help="threads reading QR pages")
    parser.add_argument("--crash-workers", type=int, default=4, help="gunicorn sync workers in the crash run")
    parser.add_argument("--crash-photo-width", type=int, default=1440,
                        help="widest photo in pixels (1440: 200–550 KB JPEGs; 4000: phone-camera size, 2–4.5 MB)")
    parser.add_argument("--crash-postgres-url", default=crash.DEFAULT_SOURCE_PG,
                        help="the crash run's own source database (loaded once; each run works on a copy)")
    parser.add_argument("--schema", choices=generate.SCHEMA_MODES, default="migrations",
                        help="migrations (flask db upgrade, the default and the real thing) or models "
                             "(db.create_all(), only while the migrations lag the models)")
    return parser.parse_args(argv)


def ensure_nginx() -> bool:
    if servers.nginx_available():
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("nginx is missing: apt-get install -y nginx-light")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "-q", "nginx-light"], env=env, capture_output=True)
    return servers.nginx_available()


def ensure_postgres_database(url: str) -> bool:
    """The dedicated database `bench` (createdb -h 127.0.0.1 -U postgres bench) exists or is made."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    try:
        psycopg.connect(plain, connect_timeout=5).close()
        return True
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            log(f"PostgreSQL not reachable ({str(error).splitlines()[0]}): skipping the PostgreSQL runs")
            return False
    name = plain.rsplit("/", 1)[1].split("?")[0]
    result = subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True, text=True)
    if result.returncode != 0:
        log(f"createdb {name} failed: {result.stderr.strip()}; skipping the PostgreSQL runs")
        return False
    return True


def rate_limit_env() -> tuple[dict, str]:
    """Production shares rate-limit counters in Redis; use a local Redis (database 14) when one answers."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return ({"RATELIMIT_ENABLED": "1", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/14"},
                        "enabled, Redis storage redis://127.0.0.1:6379/14")
    except OSError:
        pass
    return {"RATELIMIT_ENABLED": "0"}, "disabled (RATELIMIT_ENABLED=0: no Redis on 127.0.0.1:6379)"


class Bench:
    def __init__(self, args) -> None:
        self.args = args
        self.rows: list[dict] = []
        self.started = datetime.now(timezone.utc)
        stamp = self.started.strftime("%Y%m%dT%H%M%SZ")
        self.stamp = stamp
        self.workdir = DATA_DIR / "runs" / f"{stamp}-shops{args.size}"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.use_wrk = loadgen.ensure_wrk()
        self.limits_env, self.limits_note = rate_limit_env()
        # The QR page cache as production runs it: a Redis shared by the workers (the bench's own, started
        # in run()), behind each worker's own layer; --no-page-cache measures without it.
        self.page_cache: servers.RedisServer | None = None
        self.report: dict = {
            "started": self.started.isoformat(timespec="seconds"), "size": args.size,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
            "load_tool": ("wrk (Debian package), 1 thread" if self.use_wrk else
                          "Python load generator (bench/loadgen.py; wrk not installable)"),
            "connections": args.connections, "seconds": args.seconds, "warmup": args.warmup,
            "gunicorn": {"config": "gunicorn.conf.py", "workers": args.workers, "worker_class": "sync",
                         "flags": "--no-control-socket"},
            "app_env": {"REGISTRY_ENV": "production", "SECRET_KEY": "(set, 57 chars)",
                        "PUBLIC_BASE_URL": "https://cxm.example.cn", "rate_limits": self.limits_note},
            "schema": (f"migrations, head {generate.schema_revision()}" if args.schema == "migrations" else
                       f"models (db.create_all(); migrations head {generate.schema_revision()} lags the models)"),
        }

    # -- environment for the app --
    def app_env(self, database_url: str, proxied: bool = False) -> dict:
        env = dict(os.environ)
        env.update(**PRODUCTION_EXTRAS, REGISTRY_ENV="production", SECRET_KEY=inprocess.SECRET, PUBLIC_BASE_URL="https://cxm.example.cn",
                   DATABASE_URL=database_url, PROXY_COUNT="1" if proxied else "0", **self.limits_env)
        if self.page_cache is not None:
            env["PAGE_CACHE_URL"] = self.page_cache.url
        else:
            env.update(PAGE_CACHE_URL="", PAGE_CACHE_LOCAL_BYTES="0")
        for name in ("TRUSTED_HOSTS", "GUNICORN_ACCESSLOG", "GUNICORN_MAX_REQUESTS"):
            env.pop(name, None)
        return env

    # -- one measured scenario --
    def measure(self, scenario: str, backend: str, port: int, urls: Path, note: str = "",
                servers_: list | None = None) -> dict:
        """Warm up, then a fixed-duration run; also the CPU the servers spent on it (per request), which
        other processes on a busy machine do not inflate the way they inflate wall-clock figures."""
        run = loadgen.run_wrk if self.use_wrk else loadgen.run_python
        pids = [srv.pid for srv in (servers_ or [])]
        drained = self.drain(pids)
        if self.args.warmup:
            run(port, urls, self.args.warmup, self.args.connections)
        load_before = os.getloadavg()[0]
        cache_before = self.page_cache.stats() if self.page_cache else None
        cpu_before = servers.tree_cpu_seconds(pids)
        client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = run(port, urls, self.args.seconds, self.args.connections)
        client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu = servers.tree_cpu_seconds(pids) - cpu_before
        page_cache = self.page_cache_use(cache_before, result.requests) if cache_before else None
        client_cpu = (client_after.ru_utime + client_after.ru_stime) - (client_before.ru_utime + client_before.ru_stime)
        bad = sum(v for k, v in result.statuses.items() if not k.startswith(("2", "3")))
        errors = sum(result.errors.values())
        cpu_ms = round(server_cpu / result.requests * 1000, 3) if result.requests and pids else None
        row = {"scenario": scenario, "backend": backend, "rps": result.rps, "p50_ms": round(result.p50_ms, 1),
               "p99_ms": round(result.p99_ms, 1), "max_ms": round(result.max_ms, 1), "requests": result.requests,
               "statuses": result.statuses, "socket_errors": result.errors, "bad_responses": bad + errors,
               "cache": result.cache, "urls": urls.name, "distinct_urls": len(urls.read_text().splitlines()),
               "server_cpu_s": round(server_cpu, 2), "server_cpu_ms_per_request": cpu_ms,
               "load_tool_cpu_s": round(client_cpu, 2) if self.use_wrk else None,
               "loadavg_1m_before": round(load_before, 2), "loadavg_1m_after": round(os.getloadavg()[0], 2),
               "drained_s_before": drained, "note": note, "page_cache": page_cache}
        self.rows.append(row)
        log(f"  {scenario:<31} {backend:<12} {result.rps:>8.1f} req/s  p50 {result.p50_ms:7.1f} ms  "
            f"p99 {result.p99_ms:7.1f} ms  server CPU {cpu_ms} ms/req  {result.statuses} "
            f"{('cache ' + str(result.cache)) if result.cache else ''}"
            f"{('page cache ' + str(page_cache)) if page_cache and page_cache['shared_lookups'] else ''}")
        return row

    def page_cache_use(self, before: dict, requests: int) -> dict:
        """What the QR page cache did during a measured run: each page not in a worker's own layer is
        looked up in Redis once (a hit, or a miss then rendered), so the worker-layer hits are the rest
        (approximate by the requests in flight at the edges; only QR pages use the cache)."""
        after = self.page_cache.stats()
        hits, misses = after["hits"] - before["hits"], after["misses"] - before["misses"]
        return {"shared_lookups": hits + misses, "shared_hits": hits, "rendered": misses,
                "worker_layer_hits_approx": max(0, requests - hits - misses) if hits + misses else 0,
                "hit_rate": round(max(0.0, 1 - misses / requests), 3) if requests and hits + misses else None,
                "keys": after["keys"], "redis_used_memory_mb": after["used_memory_mb"]}

    @staticmethod
    def drain(pids: list[int], limit: float = 120.0) -> float:
        """Wait until the servers are idle: a sync worker still works through requests whose client
        (the previous run's wrk) gave up, and would steal the next scenario's time."""
        if not pids:
            return 0.0
        started = time.monotonic()
        while time.monotonic() - started < limit:
            before = servers.tree_cpu_seconds(pids)
            time.sleep(1.0)
            if servers.tree_cpu_seconds(pids) - before < 0.05:
                break
        waited = round(time.monotonic() - started, 1)
        if waited > 2:
            log(f"  (waited {waited} s for the servers to finish abandoned requests)")
        return waited

    def hello(self, label: str, urls: dict) -> None:
        with servers.gunicorn(f"hello-{label}", "bench.hello:app", self.app_env("sqlite://"), self.workdir,
                              self.args.workers) as server:
            self.measure(f"hello world ({label})", "-", server.port, urls["hello"], "reference: bench/hello.py",
                         [server])

    def app_scenarios(self, backend: str, database_url: str, urls: dict, nginx: bool) -> None:
        if self.page_cache is not None:
            self.page_cache.command("FLUSHALL")  # each backend starts cold (the bench's own Redis)
        with servers.gunicorn(f"app-{backend}", "wsgi:app", self.app_env(database_url, proxied=nginx), self.workdir,
                              self.args.workers, ready_path="/m/bench-ready-check") as server:
            app = [server]
            self.measure("QR page /m/<code>", backend, server.port, urls["qr"],
                         f"{len(urls['qr'].read_text().splitlines())} random public shops, ?s=<serial>; "
                         "1 % void serials" + ("; first pass: page cache cold" if self.page_cache else
                                               "; page cache off"), app)
            if self.page_cache is not None:
                self.measure("QR page /m/<code>, warm", backend, server.port, urls["qr"],
                             "the same 20,000 URLs again: pages the first pass rendered are in the cache", app)
            self.measure("QR page, most-complained", backend, server.port, urls["qr_heavy"],
                         "the 200 shops with the most complaints", app)
            # Cheap pages first: a slow search leaves the workers busy with abandoned requests for a while.
            self.measure("badge PNG, If-None-Match → 304", backend, server.port, urls["badge304"],
                         "conditional GET with the badge's ETag", app)
            self.measure("search, 2 characters", backend, server.port, urls["search2"],
                         "2-character pieces of random shop names", app)
            self.measure("search, 1 character", backend, server.port, urls["search1"],
                         "1 character of random shop names", app)
            if nginx:
                with servers.nginx(backend, server.port, self.workdir, self.static_root) as proxy:
                    self.measure("nginx: static 5 KB file", "nginx", proxy.port, urls["static"],
                                 "reference for nginx-fronted runs", [proxy])
                    both = [proxy, server]
                    self.measure("nginx → QR page", f"nginx+{backend}", proxy.port, urls["qr"],
                                 "1 s micro-cache; random codes (mostly misses)", both)
                    self.measure("nginx → QR page, 10 hot codes", f"nginx+{backend}", proxy.port, urls["qr_hot"],
                                 "1 s micro-cache; a burst on 10 shops", both)
                    self.measure("nginx → search, 2 characters", f"nginx+{backend}", proxy.port, urls["search2"],
                                 "1 s micro-cache", both)
                    self.measure("nginx → badge PNG (cached), 304", f"nginx+{backend}", proxy.port,
                                 urls["badge304_hot"], "200 badges revalidated; nginx keeps them by serial and "
                                 "answers the 304 itself", both)

    def worker_rss(self, database_url: str, urls: dict) -> dict:
        total = self.args.rss_requests
        # No recycling during this run: what a worker grows to is what max_requests has to bound.
        with servers.gunicorn("app-rss", "wsgi:app", self.app_env(database_url), self.workdir, self.args.workers,
                              extra=["--max-requests", "0"], ready_path="/m/bench-ready-check") as server:
            workers = server.workers()
            # One request each so every worker has imported and connected before the first reading.
            loadgen.fixed_count(server.port, urls["mix"], 20, threads=4)
            before = {pid: servers.rss_kib(pid) for pid in workers}
            log(f"worker RSS: {total:,} requests (QR/search mix) to {len(workers)} workers")
            run = loadgen.fixed_count(server.port, urls["mix"], total, threads=8, limit_seconds=300)
            after = {pid: servers.rss_kib(pid) for pid in server.workers()}
            master = servers.rss_kib(server.pid)
        result = {"requests": run["requests"], "seconds": run["seconds"], "statuses": run["statuses"],
                  "workers": len(workers), "master_rss_mib": round((master or 0) / 1024, 1),
                  "rss_mib_after_first_requests": [round(v / 1024, 1) for v in before.values() if v],
                  "rss_mib_after_run": [round(v / 1024, 1) for v in after.values() if v],
                  "same_worker_pids": sorted(before) == sorted(after)}
        log(f"  worker RSS MiB: {result['rss_mib_after_first_requests']} → {result['rss_mib_after_run']} "
            f"after {run['requests']:,} requests")
        return result

    def make_static_root(self) -> Path:
        root = self.workdir / "static-root"
        shutil.copytree(PROJECT_ROOT / "static", root / "static", dirs_exist_ok=True)
        (root / "static" / "bench-5k.txt").write_text(("诚信码 benchmark static file. " * 200)[:5120])
        return root

    # -- everything --
    def run(self) -> None:
        args = self.args
        t0 = time.monotonic()
        if args.only == "crash":
            # What the load runs would have used does not apply: the crash run says what it used.
            for name in ("load_tool", "connections", "seconds", "warmup"):
                self.report.pop(name, None)
            self.report["gunicorn"]["workers"] = args.crash_workers
            self.report["app_env"].update(rate_limits=f"enabled, Redis storage {crash.LIMITER_STORAGE}",
                                          PROXY_COUNT="1", SMS_SENDER="outbox")
            try:
                missed = self.phase("crash runs", crash.run_crash, self)
                self.report["targets_missed"] = missed if missed is not None else ["crash runs failed (see above)"]
            finally:
                self.report["total_seconds"] = round(time.monotonic() - t0, 1)
                self.finish()
            return
        postgres = not args.skip_postgres and ensure_postgres_database(args.postgres_url)
        data = generate.prepare_databases(args.size, args.postgres_url if postgres else None,
                                          regenerate=args.regenerate, schema=args.schema)
        sqlite_path, sqlite_meta = data["sqlite"]
        sqlite_url = f"sqlite:///{sqlite_path}"
        self.report["data"] = {"sqlite": {"file": str(sqlite_path.relative_to(PROJECT_ROOT)),
                                          "mb": round(sqlite_path.stat().st_size / 1e6), **sqlite_meta.__dict__}}
        if postgres:
            self.report["data"]["postgresql"] = {"url": args.postgres_url, **data["postgresql"].__dict__}
        if args.generate_only:
            return
        if args.only == "search":
            try:
                self.report["page_costs"] = self.phase("search, one at a time", self.search_times, sqlite_url,
                                                       args.postgres_url if postgres else None)
            finally:
                self.report["only"] = args.only
                self.report["total_seconds"] = round(time.monotonic() - t0, 1)
                self.finish()
            return
        nginx = not args.skip_nginx and ensure_nginx()
        self.report["nginx"] = "deploy/nginx/app.conf + maps.conf, 1 worker process" if nginx else "not installed"
        self.static_root = self.make_static_root()

        urls = inprocess.build_url_files(sqlite_url, self.workdir)
        log("SQL statements per page and in-process time (SQLite)")
        self.report["page_costs"] = {"sqlite": self.phase("SQL per page (SQLite)", inprocess.page_costs, sqlite_url,
                                                          urls)}
        pg_urls = urls
        if postgres:
            # Same seed, same shops; but serials carry the issue date, which moves with the day the data
            # was generated when the two databases were not generated in one pass: read PostgreSQL's own.
            (self.workdir / "pg").mkdir(exist_ok=True)
            pg_urls = inprocess.build_url_files(args.postgres_url, self.workdir / "pg")
            self.report["page_costs"]["postgresql"] = self.phase("SQL per page (PostgreSQL)", inprocess.page_costs,
                                                                 args.postgres_url, pg_urls)
        if args.only == "pgbouncer":
            try:
                self.phase("PostgreSQL direct and through PgBouncer", pooling.compare, self, args.postgres_url, pg_urls)
            finally:
                self.report["only"] = args.only
                self.report["total_seconds"] = round(time.monotonic() - t0, 1)
                self.finish()
            return
        self.report["profiles"] = {
            "qr_sqlite": inprocess.profile(sqlite_url, urls["qr"].read_text().splitlines()[0],
                                           self.workdir / "profile-qr-sqlite.txt"),
            "qr_heavy_sqlite": inprocess.profile(sqlite_url, urls["qr_heavy"].read_text().splitlines()[0],
                                                 self.workdir / "profile-qr-heavy-sqlite.txt"),
            "search1_sqlite": inprocess.profile(sqlite_url, urls["search1"].read_text().splitlines()[0],
                                                self.workdir / "profile-search1-sqlite.txt", repeat=10),
        }
        if postgres:
            self.report["profiles"]["qr_postgresql"] = self.phase(
                "profile (PostgreSQL)", inprocess.profile, args.postgres_url,
                pg_urls["qr"].read_text().splitlines()[0], self.workdir / "profile-qr-pg.txt")

        if not args.no_page_cache:
            self.page_cache = servers.RedisServer(self.workdir)
        self.report["app_env"]["page_cache"] = (
            f"on: PAGE_CACHE_URL {self.page_cache.url} (the bench's own redis-server, 512 MB, allkeys-lru) "
            "+ each worker's layer (PAGE_CACHE_LOCAL_BYTES default)" if self.page_cache else
            "off (--no-page-cache)")
        log(f"QR page cache: {self.report['app_env']['page_cache']}")
        try:
            self.phase("hello world (start)", self.hello, "start", urls)
            self.phase("SQLite scenarios", self.app_scenarios, "sqlite", sqlite_url, urls, nginx)
            if postgres:
                self.phase("PostgreSQL scenarios", self.app_scenarios, "postgresql", args.postgres_url, pg_urls,
                           False)
                if args.pgbouncer:
                    self.phase("PostgreSQL through PgBouncer", pooling.through_pgbouncer, self, args.postgres_url,
                               pg_urls)
            self.report["worker_rss"] = self.phase("worker RSS", self.worker_rss, sqlite_url, urls)
            if not args.skip_filing:
                log("complaint filing: 4 processes → complaints.filing.file_complaint, SQLite")
                filing = self.phase("complaint filing", inprocess.complaint_filing, sqlite_path, self.workdir)
                self.report["complaint_filing"] = filing
                log(f"  {filing}")
                self.report["filing_photos"] = self.phase("filing with photos", self.filing_photos)
            self.phase("hello world (end)", self.hello, "end", urls)
        finally:
            if self.page_cache is not None:
                self.page_cache.stop()
            # Whatever happened, what was measured is printed and written.
            self.report["total_seconds"] = round(time.monotonic() - t0, 1)
            self.finish()

    def filing_photos(self) -> dict:
        """Complaints with 6 large photos through HTTP while others ask for codes (bench/filing_photos.py)."""
        env = self.app_env("sqlite://")
        return filing_photos.run(self.workdir / "filing-photos", env, seconds=self.args.filing_seconds)

    def search_times(self, sqlite_url: str, postgres_url: str | None) -> dict:
        """`--only search`: the in-process one-at-a-time search latencies of a full run, alone."""
        out = {}
        for backend, url in (("sqlite", sqlite_url), ("postgresql", postgres_url)):
            if url is None:
                continue
            workdir = self.workdir / backend
            workdir.mkdir(exist_ok=True)
            log(f"search one request at a time ({backend})")
            urls = inprocess.build_url_files(url, workdir)
            out[backend] = {"service_times": inprocess.search_service_times(url, urls)}
        missed = [f"{name} {backend}" for backend, pages in out.items()
                  for name, t in pages["service_times"].items() if not search_target_met(t)]
        self.report["targets_missed"] = missed
        return out

    def run_only(self) -> None:
        """`--only filing-photos`: that scenario alone, written to the results like a full run."""
        t0 = time.monotonic()
        try:
            self.report["filing_photos"] = self.phase("filing with photos", self.filing_photos)
        finally:
            self.report["only"] = self.args.only
            self.report["total_seconds"] = round(time.monotonic() - t0, 1)
            self.finish()

    def phase(self, name: str, func, *args):
        """Run one part; a failure is recorded in the results and the next part still runs."""
        try:
            return func(*args)
        except Exception as error:  # reported, never hidden
            log(f"FAILED: {name}: {type(error).__name__}: {error}")
            self.report.setdefault("failures", []).append(f"{name}: {type(error).__name__}: {error}")
            return None

    def finish(self) -> None:
        hello = [r["rps"] for r in self.rows if r["scenario"].startswith("hello world")]
        reference = sum(hello) / len(hello) if hello else None
        static = next((r["rps"] for r in self.rows if r["scenario"].startswith("nginx: static")), None)
        hello_cpu = [r["server_cpu_ms_per_request"] for r in self.rows
                     if r["scenario"].startswith("hello world") and r.get("server_cpu_ms_per_request")]
        hello_cpu_ms = sum(hello_cpu) / len(hello_cpu) if hello_cpu else None
        self.report["reference_hello_server_cpu_ms_per_request"] = round(hello_cpu_ms, 3) if hello_cpu_ms else None
        for row in self.rows:
            row["ratio_to_hello"] = round(row["rps"] / reference, 3) if reference else None
            cpu = row.get("server_cpu_ms_per_request")
            row["ratio_to_hello_cpu"] = round(hello_cpu_ms / cpu, 3) if cpu and hello_cpu_ms else None
            if row["backend"].startswith("nginx") and static:
                row["ratio_to_nginx_static"] = round(row["rps"] / static, 3)
        self.report["reference_hello_rps"] = round(reference, 1) if reference else None
        self.report["results"] = self.rows
        filing = self.report.get("complaint_filing")
        table = render_table(self.rows, filing, self.report.get("worker_rss"), self.report.get("page_costs"))
        if self.report.get("app_env", {}).get("page_cache"):
            table = f"QR page cache: {self.report['app_env']['page_cache']}\n" + table
        if self.report.get("filing_photos"):
            table += "\n" + filing_photos.render(self.report["filing_photos"])
        if self.report.get("crash"):
            table = (table + "\n\n" if self.rows else "") + crash.render_table(self.report["crash"])
        self.report["table"] = table
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"{self.stamp}.json"
        out.write_text(json.dumps(self.report, ensure_ascii=False, indent=1))
        print()
        print(table)
        for failure in self.report.get("failures", []):
            print(f"FAILED: {failure}")
        print(f"\nwritten: {out.relative_to(PROJECT_ROOT)}   (logs, URL lists, profiles: "
              f"{self.workdir.relative_to(PROJECT_ROOT)})")


# Issue 16's target for 1- and 2-character search, one request at a time (400 different queries).
SEARCH_P50_MS, SEARCH_P99_MS = 10.0, 30.0
SEARCH_LABELS = {"search2": "search, 2 characters", "search1": "search, 1 character"}


def search_target_met(times: dict) -> bool:
    return times["p50_ms"] <= SEARCH_P50_MS and times["p99_ms"] <= SEARCH_P99_MS


def render_table(rows, filing, rss, costs) -> str:
    head = (f"{'scenario':<32} {'backend':<13} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'× hello':>7} "
            f"{'CPU ms':>7} {'× hello':>7} {'bad':>5}  {'load':>4}  notes")
    sub = (f"{'':<32} {'':<13} {'':>7} {'':>8} {'':>8} {'(req/s)':>7} {'/req':>7} {'(CPU)':>7}")
    lines = [head, sub, "-" * 132]

    hello_cpu = [r["server_cpu_ms_per_request"] for r in rows
                 if r["scenario"].startswith("hello world") and r.get("server_cpu_ms_per_request")]
    hello_cpu_ms = sum(hello_cpu) / len(hello_cpu) if hello_cpu else None
    for r in rows:
        ratio = f"{r['ratio_to_hello']:.3f}" if r.get("ratio_to_hello") is not None else "-"
        cpu = r.get("server_cpu_ms_per_request")
        cpu_ratio = f"{hello_cpu_ms / cpu:.3f}" if cpu and hello_cpu_ms else "-"
        cpu_text = f"{cpu:.2f}" if cpu else "-"
        note = ""
        if r.get("cache"):
            total = sum(r["cache"].values()) or 1
            note = "cache " + " ".join(f"{k} {v / total:.0%}" for k, v in sorted(r["cache"].items()))
        if r.get("ratio_to_nginx_static") is not None:
            note = (note + f"; × nginx static {r['ratio_to_nginx_static']:.3f}").lstrip("; ")
        used = r.get("page_cache")
        if used and used["shared_lookups"]:
            note = (note + f"; page cache hit {used['hit_rate']:.0%} (worker ~{used['worker_layer_hits_approx']}, "
                    f"Redis {used['shared_hits']}, rendered {used['rendered']})").lstrip("; ")
        lines.append(f"{r['scenario']:<32} {r['backend']:<13} {r['rps']:>7.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
                     f"{ratio:>7} {cpu_text:>7} {cpu_ratio:>7} {r['bad_responses']:>5}  "
                     f"{r['loadavg_1m_before']:>4.1f}  {note}")
    if filing:
        lines.append(f"{'complaint filing, 4 processes':<32} {'sqlite':<13} {filing['complaints_per_s']:>7.0f} "
                     f"{filing['p50_ms'] or 0:>8.1f} {filing['p99_ms'] or 0:>8.1f} {'-':>7} "
                     f"{sum(filing['errors'].values()):>5}        complaints/s via complaints.filing.file_complaint")
        lines.append(f"    committed {filing['committed']}, stored {filing['stored']}, lost {filing['lost']}, "
                     f"'database is locked' {filing['database_is_locked']}, duplicate tracking numbers "
                     f"{filing['duplicate_tracking_numbers']}, events {filing['events']}, "
                     f"audit entries {filing['audit_entries_filed']}, audit chain ok: {filing['audit_chain_ok']}")
    if rss:
        lines.append(f"worker RSS MiB ({rss['workers']} workers, --max-requests 0): "
                     f"{rss['rss_mib_after_first_requests']} after the first requests → {rss['rss_mib_after_run']} "
                     f"after {rss['requests']:,} more ({rss['seconds']} s); master {rss['master_rss_mib']}")
    if costs:
        lines.append("")
        lines.append(f"{'in-process, one request':<32} {'backend':<13} {'SQL':>4} {'CPU ms':>8} {'wall ms':>8} "
                     f"{'× hello CPU':>11}  cookie")
        for backend, pages in costs.items():
            if not pages:
                continue
            hello = pages.get("hello_reference", {}).get("cpu_ms")
            for name, p in pages.items():
                if name in ("hello_reference", "service_times"):
                    continue
                ratio = f"{hello / p['cpu_ms']:.3f}" if hello and p.get("cpu_ms") else "-"
                lines.append(f"{name + ' (' + str(p['status']) + ')':<32} {backend:<13} {p['queries']:>4} "
                             f"{p['cpu_ms']:>8.2f} {p['in_process_ms']:>8.2f} {ratio:>11}  "
                             f"{'Set-Cookie' if p.get('set_cookie') else ''}")
            if hello:
                lines.append(f"{'hello world':<32} {'-':<13} {0:>4} {hello:>8.3f}")
        lines.append("")
        lines.append(f"{'in-process, one at a time':<32} {'backend':<13} {'URLs':>5} {'p50 ms':>8} {'p99 ms':>8} "
                     f"{'CPU p50':>8} {'CPU p99':>8} {'load':>5}  target (wall)")
        for backend, pages in costs.items():
            for name, t in ((pages or {}).get("service_times") or {}).items():
                verdict = ""
                if name in SEARCH_LABELS:
                    verdict = (f"p50 ≤ {SEARCH_P50_MS:g}, p99 ≤ {SEARCH_P99_MS:g} ms: "
                               f"{'met' if search_target_met(t) else 'MISSED'}")
                lines.append(f"{SEARCH_LABELS.get(name, name):<32} {backend:<13} {t['requests']:>5} "
                             f"{t['p50_ms']:>8.2f} {t['p99_ms']:>8.2f} {t.get('cpu_p50_ms', 0):>8.2f} "
                             f"{t.get('cpu_p99_ms', 0):>8.2f} {t.get('loadavg_1m', 0):>5.1f}  {verdict}")
    return "\n".join(lines)


def exclusive_run():
    """One bench run at a time: they share the PostgreSQL database `bench`, the ports' machine and its CPU."""
    import fcntl

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    handle = open(DATA_DIR / "bench.lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        raise SystemExit(f"bench: another run is in progress ({handle.read().strip() or 'unknown pid'}); "
                         "runs share the PostgreSQL database `bench` and the CPU, so they must not overlap")
    handle.truncate(0)
    handle.write(f"pid {os.getpid()}, started {datetime.now(timezone.utc).isoformat(timespec='seconds')}")
    handle.flush()
    return handle


def main(argv=None) -> int:
    args = parse_args(argv)
    # A SIGTERM (or Ctrl-C) unwinds the with-blocks, so every server this run started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with exclusive_run():
        bench = Bench(args)
        if args.only == "filing-photos":
            bench.run_only()
        else:
            bench.run()
    return 1 if bench.report.get("targets_missed") else 0


if __name__ == "__main__":
    sys.exit(main())
