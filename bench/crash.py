"""`python -m bench --only crash`: consumers file complaints with photos and readers scan QR pages while two
gunicorn workers are killed with SIGKILL; then nothing acknowledged may be missing and nothing but the
killed requests may have failed. SQLite and PostgreSQL each, from the bench's cached data.

The server is deployed as in production (gunicorn.conf.py, 4 sync workers, REGISTRY_ENV=production, Redis
limiter storage, SMS_SENDER=outbox) but serves TLS itself with a self-signed certificate: production's
session cookie is `__Host-session` + Secure, which a client only sends back over https, and Flask-WTF
checks the Referer of https POSTs. No nginx in front: nginx replaces X-Forwarded-For, and every simulated
consumer needs an address of its own (PROXY_COUNT=1, one X-Forwarded-For per filing) so that the per-IP
limits apply per consumer as they would on the internet. Each filing also uses a phone of its own
(the per-phone limits allow 5 codes an hour and 5 complaints a day).

A killed sync worker drops the one connection it was serving: the client sees the connection closed
without an answer. Such an error is "in a kill window" when the request was in flight at the moment of
the kill and the access log has no answer to it; every other 5xx or connection error is a failure.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bench.settings import PRODUCTION_EXTRAS
from bench import generate, inprocess, servers
from bench.generate import PROJECT_ROOT, log

DEFAULT_SOURCE_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_crash"
LIMITER_STORAGE = "redis://127.0.0.1:6379/2"
# Gunicorn writes one access-log line per answer: which request (the client's id), which worker, status.
ACCESS_FORMAT = "%({x-bench-request}i)s %(p)s %(s)s %(L)s"
CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
SUBMISSION_RE = re.compile(r'<input[^>]*name="submission_key"[^>]*value="([^"]+)"')
TRACKING_RE = re.compile(r"TS\d{8}-\d{4,}")
CODE_RE = re.compile(r"(\d{6})")


# --- what the clients saw -------------------------------------------------------------------------

@dataclass
class Call:
    rid: str
    kind: str
    start: float
    end: float
    status: int | None
    error: str | None
    flow: int | None


@dataclass
class Filing:
    flow: int
    phone: str
    shop: str
    photos: int = 0
    submission_key: str | None = None
    posted: bool = False        # the complaint form (with its photos) was sent
    acknowledged: bool = False  # the answer was the 302 to /c/<token>
    tracking_number: str | None = None
    failed_step: str | None = None
    failure: str | None = None


@dataclass
class Kill:
    before: float  # monotonic time just before os.kill …
    after: float   # … and just after it returned
    pid: int
    chosen: str    # why this worker
    workers_before: list[int]
    replaced_after_s: float | None = None
    workers_after: list[int] = field(default_factory=list)


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.filings: list[Filing] = []
        self.ids = itertools.count(1)
        # Requests sent and not yet answered: request id → {"kind", "start", "port": the client's local port}.
        self.in_flight: dict[str, dict] = {}

    def next_id(self, kind: str) -> str:
        with self.lock:
            return f"{kind}-{next(self.ids)}"


def make_photos(longest: int = 1440, count: int = 8, seed: int = 6) -> list[bytes]:
    """JPEGs up to `longest` pixels wide (1440: 200–550 KB; 4000: a phone camera's 2–4.5 MB): noise over a
    blurred base, so they neither compress to nothing nor look like anything; the worker decodes, cleans
    and re-encodes each one with Pillow, as it does a real photo."""
    import io

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    photos = []
    for i in range(count):
        width = int(longest * rng.choice((0.7, 0.8, 0.9, 1.0)))
        height = width * 3 // 4
        base = Image.effect_noise((width // 4, height // 4), 60).resize((width, height)).convert("RGB")
        img = Image.blend(base, Image.effect_noise((width, height), 30).convert("RGB"), 0.5)
        ImageDraw.Draw(img).rectangle((80 + i * 20, 90, 500, 380), fill=(rng.randrange(256), 40, 40))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=rng.choice((75, 82, 88)))
        photos.append(out.getvalue())
    return photos


_CONNECTING = threading.local()


def _port_noting_adapter():
    """A requests adapter whose connections note their local port in the calling thread's in-flight
    record: the killer finds the worker serving a given upload by that port (/proc/net/tcp)."""
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPSConnection
    from urllib3.connectionpool import HTTPSConnectionPool

    class Connection(HTTPSConnection):
        def connect(self):
            super().connect()
            record = getattr(_CONNECTING, "record", None)
            if record is not None:
                record["port"] = self.sock.getsockname()[1]

    class Pool(HTTPSConnectionPool):
        ConnectionCls = Connection

    adapter = HTTPAdapter()
    adapter.poolmanager.pool_classes_by_scheme = {**adapter.poolmanager.pool_classes_by_scheme, "https": Pool}
    return adapter


class Client:
    """One https client per simulated person: its own cookies and its own X-Forwarded-For."""

    def __init__(self, base: str, cert: Path, recorder: Recorder, address: str) -> None:
        import requests

        self.base, self.recorder = base, recorder
        self.last_error: str | None = None
        self.session = requests.Session()
        # Not the environment's CA bundle or proxies (REQUESTS_CA_BUNDLE would replace `verify`).
        self.session.trust_env = False
        self.session.verify = str(cert)
        self.session.mount("https://", _port_noting_adapter())
        self.session.headers["X-Forwarded-For"] = address
        self.session.headers["User-Agent"] = "chengxinma-bench-crash"

    def call(self, method: str, path: str, kind: str, flow: int | None = None, referer: str | None = None, **kw):
        import requests

        rid = self.recorder.next_id(kind)
        headers = {"X-Bench-Request": rid}
        if referer:
            headers["Referer"] = self.base + referer
        start = time.monotonic()
        _CONNECTING.record = self.recorder.in_flight[rid] = {"kind": kind, "start": start, "port": None}
        try:
            # No retries anywhere (requests' default): a POST cut by a kill is not silently sent again.
            response = self.session.request(method, self.base + path, headers=headers, allow_redirects=False,
                                            timeout=90, **kw)
            response.content  # noqa: B018 — read the whole body inside the timed call
            status, error = response.status_code, None
        except requests.RequestException as exc:
            response, status, error = None, None, describe(exc)
        finally:
            _CONNECTING.record = None
            self.recorder.in_flight.pop(rid, None)
        self.last_error = error
        self.recorder.calls.append(Call(rid, kind, start, time.monotonic(), status, error, flow))
        return response


def describe(exc: Exception) -> str:
    """The exception class and its cause, without the URL (so equal failures count together)."""
    text = str(exc)
    text = text.split("Caused by ", 1)[1] if "Caused by " in text else text
    text = re.sub(r"HTTPS?Connection(Pool)?\(host='[^']*', port=\d+\)(: Max retries exceeded with url: \S+)?", "", text)
    return f"{type(exc).__name__}: {text.strip()[:120]}"


def read_code(engine, phone: str, limit: float = 5.0) -> str | None:
    """The code from the newest outbox message to `phone` (the outbox is what SMS_SENDER=outbox keeps)."""
    from sqlalchemy import text

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            body = conn.execute(text("SELECT body FROM outbox_messages WHERE phone = :p ORDER BY id DESC LIMIT 1"),
                                {"p": phone}).scalar()
        if body and (match := CODE_RE.search(body)):
            return match.group(1)
        time.sleep(0.1)
    return None


def file_one(client: Client, engine, filing: Filing, photos: list[bytes], rng: random.Random) -> None:
    """The consumer journey: complain page, send code, read it, confirm, details, file with photos, case page."""
    shop, flow = filing.shop, filing.flow
    complain = f"/m/{shop}/complain"

    def fail(step: str, response) -> None:
        filing.failed_step = step
        filing.failure = f"status {response.status_code}" if response is not None else client.last_error

    response = client.call("GET", complain, "complain_page", flow)
    if response is None or response.status_code != 200 or not (csrf := CSRF_RE.search(response.text)):
        return fail("complain page", response)
    token = csrf.group(1)
    response = client.call("POST", complain, "send_code", flow, referer=complain,
                           data={"csrf_token": token, "phone": filing.phone, "send": "发送验证码"})
    if response is None or response.status_code != 200:
        return fail("send code", response)
    code = read_code(engine, filing.phone)
    if code is None:
        filing.failed_step, filing.failure = "read code", "no outbox message"
        return None
    response = client.call("POST", complain, "confirm_code", flow, referer=complain,
                           data={"csrf_token": token, "phone": filing.phone, "code": code, "confirm": "确认"})
    if response is None or response.status_code != 302 or "/complain/details" not in response.headers.get("Location", ""):
        return fail("confirm code", response)
    details = f"{complain}/details"
    response = client.call("GET", details, "details_page", flow)
    if response is None or response.status_code != 200 or not (key := SUBMISSION_RE.search(response.text)):
        return fail("details page", response)
    filing.submission_key = key.group(1)
    filing.photos = rng.randint(2, 6)
    files = [("photos", (f"IMG_{flow}_{i}.jpg", photo, "image/jpeg"))
             for i, photo in enumerate(rng.sample(photos, filing.photos))]
    form = {"csrf_token": CSRF_RE.search(response.text).group(1), "submission_key": filing.submission_key,
            "clause": "4", "description": "标价和结账价格不一致，多收了十几元，店员不肯退差价。",
            "purchase_date": (time_today() - timedelta(days=2)).isoformat(), "amount": "15.00",
            "demands": ["refund", "apology"], "consumer_name": "王小明", "privacy_consent": "y",
            "submit": "提交投诉"}
    filing.posted = True
    response = client.call("POST", details, "file_complaint", flow, referer=details, data=form, files=files)
    location = response.headers.get("Location", "") if response is not None else ""
    if response is None or response.status_code != 302 or "/c/" not in location:
        return fail("file complaint", response)
    filing.acknowledged = True
    response = client.call("GET", urlsplit(location).path, "case_page", flow)
    if response is None or response.status_code != 200:
        return fail("case page", response)
    if match := TRACKING_RE.search(response.text):
        filing.tracking_number = match.group(0)
    return None


def time_today():
    """Today in China, as the app counts purchase dates."""
    from registry.clock import utcnow
    from registry.clock import china_date

    return china_date(utcnow())


# --- the run on one database ----------------------------------------------------------------------

class CrashRun:
    """One database: serve, load, kill two workers, stop, then check what reached the database."""

    def __init__(self, backend: str, database_url: str, workdir: Path, args, shops: list[str], qr_urls: list[str],
                 photos: list[bytes]) -> None:
        self.backend, self.database_url, self.workdir, self.args = backend, database_url, workdir, args
        self.shops, self.qr_urls, self.photos = shops, qr_urls, photos
        self.recorder = Recorder()
        self.kills: list[Kill] = []
        self.evidence_dir = workdir / f"evidence-{backend}"
        self.access_log = workdir / f"crash-{backend}-access.log"

    def env(self) -> dict:
        env = dict(os.environ)
        env.update(**PRODUCTION_EXTRAS, REGISTRY_ENV="production", SECRET_KEY=inprocess.SECRET, PUBLIC_BASE_URL="https://cxm.example.cn",
                   DATABASE_URL=self.database_url, PROXY_COUNT="1", RATELIMIT_ENABLED="1",
                   RATELIMIT_STORAGE_URI=LIMITER_STORAGE, SMS_SENDER="outbox", EVIDENCE_DIR=str(self.evidence_dir),
                   GUNICORN_ACCESSLOG=str(self.access_log))
        for name in ("TRUSTED_HOSTS", "GUNICORN_MAX_REQUESTS", "FLASK_APP"):
            env.pop(name, None)
        return env

    def consumer(self, index: int, base: str, cert: Path, deadline: float, flows) -> None:
        from sqlalchemy import create_engine

        rng = random.Random(f"{self.backend}-{index}")
        engine = create_engine(self.database_url)
        try:
            while time.monotonic() < deadline:
                flow = next(flows)
                # A new person each time: own phone, own address (10.x.y.z), own cookies.
                filing = Filing(flow=flow, phone=f"13{8 if self.backend == 'sqlite' else 9}{flow:08d}",
                                shop=rng.choice(self.shops))
                self.recorder.filings.append(filing)
                client = Client(base, cert, self.recorder, f"10.{flow >> 16 & 255}.{flow >> 8 & 255}.{flow & 255}")
                try:
                    file_one(client, engine, filing, self.photos, rng)
                finally:
                    client.session.close()
        finally:
            engine.dispose()

    def reader(self, index: int, base: str, cert: Path, deadline: float) -> None:
        rng = random.Random(f"reader-{self.backend}-{index}")
        client = Client(base, cert, self.recorder, f"172.16.0.{index + 1}")
        while time.monotonic() < deadline:
            client.call("GET", rng.choice(self.qr_urls), "qr")
        client.session.close()

    def pick_victim(self, server, deadline: float) -> tuple[int, str]:
        """The worker serving a complaint upload that has been in flight for a moment (found by the
        connection's port); failing that by `deadline`, the busiest worker serving anybody, else the busiest."""
        while True:
            workers = server.workers()
            serving = connections_by_worker(workers, server.port)
            uploads = [r for r in list(self.recorder.in_flight.values())
                       if r["kind"] == "file_complaint" and r["port"] and time.monotonic() - r["start"] > 0.2]
            for record in uploads:
                for pid, ports in serving.items():
                    if record["port"] in ports:
                        return pid, "serving a complaint upload"
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        before = {pid: servers.cpu_seconds(pid) for pid in workers}
        time.sleep(0.3)
        busy = {pid: servers.cpu_seconds(pid) - before[pid] for pid in workers}
        candidates = [pid for pid in workers if serving.get(pid)] or workers
        return max(candidates, key=lambda pid: busy[pid]), "busiest worker"

    def killer(self, server, started: float, moments: list[float]) -> None:
        """At each moment (or up to 5 s later), SIGKILL the worker serving a complaint upload, never the
        master; then wait for gunicorn to replace it."""
        for moment in moments:
            time.sleep(max(0.0, started + moment - time.monotonic()))
            victim, why = self.pick_victim(server, time.monotonic() + 5)
            workers = server.workers()
            assert victim != server.pid and victim in workers
            before_kill = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            kill = Kill(before=before_kill, after=time.monotonic(), pid=victim, chosen=why, workers_before=workers)
            self.kills.append(kill)
            log(f"  kill -9 {victim} (worker, {why}; master {server.pid}) at {kill.before - started:.1f} s")
            while time.monotonic() - kill.after < 60:
                now = server.workers()
                if victim not in now and len(now) >= len(workers):
                    kill.replaced_after_s = round(time.monotonic() - kill.after, 2)
                    kill.workers_after = now
                    break
                time.sleep(0.05)

    def run(self) -> dict:
        """The run on this database and its verdict (see verify)."""
        import redis

        args = self.args
        shutil.rmtree(self.evidence_dir, ignore_errors=True)
        self.access_log.unlink(missing_ok=True)
        # The bench's own limiter database: counters of a previous run must not throttle this one.
        redis.Redis.from_url(LIMITER_STORAGE).flushdb()
        cert = servers.self_signed_certificate(self.workdir)
        seconds = args.crash_seconds
        with servers.gunicorn(f"crash-{self.backend}", "wsgi:app", self.env(), self.workdir, args.crash_workers,
                              extra=["--access-logformat", ACCESS_FORMAT], ready_path="/m/bench-ready-check",
                              tls=cert) as server:
            base = f"https://127.0.0.1:{server.port}"
            log(f"crash run ({self.backend}): {args.crash_consumers} consumers filing with 2–6 photos, "
                f"{args.crash_readers} QR readers, {seconds:.0f} s, {args.crash_workers} workers (pids "
                f"{server.workers()}), kill -9 of two workers at {seconds * 0.3:.0f} s and {seconds * 0.65:.0f} s")
            load_before = os.getloadavg()[0]
            started = time.monotonic()
            deadline = started + seconds
            flows = itertools.count(1)
            threads = [threading.Thread(target=self.consumer, args=(i, base, cert[0], deadline, flows), daemon=True)
                       for i in range(args.crash_consumers)]
            threads += [threading.Thread(target=self.reader, args=(i, base, cert[0], deadline), daemon=True)
                        for i in range(args.crash_readers)]
            killer = threading.Thread(target=self.killer, args=(server, started, [seconds * 0.3, seconds * 0.65]),
                                      daemon=True)
            for thread in threads:
                thread.start()
            killer.start()
            for thread in threads:
                # A flow started just before the deadline finishes; each request is bounded (90 s).
                thread.join(timeout=seconds + 600)
            killer.join(timeout=120)
            elapsed = time.monotonic() - started
            load_after = os.getloadavg()[0]
            master = server.pid
        log_text = server.log_path.read_text(errors="replace")
        result = self.verify(started, elapsed, log_text, master)
        result.update(loadavg_1m_before=round(load_before, 2), loadavg_1m_after=round(load_after, 2),
                      gunicorn_log=str(server.log_path.relative_to(PROJECT_ROOT)),
                      access_log=str(self.access_log.relative_to(PROJECT_ROOT)))
        return result

    # -- afterwards: what reached the database, what failed and why --
    def answered(self) -> dict[str, tuple[int, str]]:
        """Request id → (worker pid, status) from gunicorn's access log."""
        out = {}
        if self.access_log.exists():
            for line in self.access_log.read_text(errors="replace").splitlines():
                parts = line.split()
                if len(parts) >= 3 and parts[0] != "-":
                    out[parts[0]] = (int(parts[1].strip("<>")), parts[2])
        return out

    def verify(self, started: float, elapsed: float, log_text: str, master: int) -> dict:
        """Every figure of the run: what the clients saw, what the database and the disk hold, the logs."""
        from sqlalchemy import bindparam, create_engine, text

        calls, filings = self.recorder.calls, self.recorder.filings
        answered = self.answered()
        killed = {k.pid for k in self.kills}
        killed_requests, five_xx, errors_outside = attribute(calls, self.kills, answered)
        unexpected_4xx = [c for c in calls if c.status is not None and 400 <= c.status < 500]

        # The database: every filing that was sent, by its form's submission key, and by the phone.
        posted = [f for f in filings if f.posted and f.submission_key]
        engine = create_engine(self.database_url)
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT id, submission_key, tracking_number, consumer_phone FROM complaints "
                "WHERE submission_key IN :keys").bindparams(bindparam("keys", expanding=True)),
                {"keys": [f.submission_key for f in posted] or ["-"]}).all()
            by_phone = dict(conn.execute(text(
                "SELECT consumer_phone, COUNT(*) FROM complaints WHERE consumer_phone IN :phones "
                "GROUP BY consumer_phone").bindparams(bindparam("phones", expanding=True)),
                {"phones": [f.phone for f in filings] or ["-"]}).all())
            ids = [r.id for r in rows] or [-1]
            photos = conn.execute(text(
                "SELECT complaint_id, stored_name, size_bytes, sha256 FROM evidence_photos "
                "WHERE complaint_id IN :ids").bindparams(bindparam("ids", expanding=True)), {"ids": ids}).all()
            events = dict(conn.execute(text(
                "SELECT complaint_id, COUNT(*) FROM complaint_events WHERE kind = 'filed' AND complaint_id IN :ids "
                "GROUP BY complaint_id").bindparams(bindparam("ids", expanding=True)), {"ids": ids}).all())
            audits = dict(conn.execute(text(
                "SELECT subject_id, COUNT(*) FROM audit_entries WHERE action = 'complaint.filed' "
                "AND subject_type = 'complaint' AND subject_id IN :ids GROUP BY subject_id")
                .bindparams(bindparam("ids", expanding=True)), {"ids": ids}).all())
            all_stored_names = {r[0] for r in conn.execute(text("SELECT stored_name FROM evidence_photos")).all()}
        engine.dispose()
        stored = {r.submission_key: r for r in rows}
        photos_of: dict[int, list] = {}
        for p in photos:
            photos_of.setdefault(p.complaint_id, []).append(p)

        def problems(filing: Filing) -> list[str]:
            row = stored[filing.submission_key]
            found = []
            if by_phone.get(filing.phone, 0) != 1:
                found.append(f"{by_phone.get(filing.phone, 0)} complaints with this phone")
            if filing.tracking_number and row.tracking_number != filing.tracking_number:
                found.append(f"tracking number {row.tracking_number} ≠ shown {filing.tracking_number}")
            mine = photos_of.get(row.id, [])
            if len(mine) != filing.photos:
                found.append(f"{len(mine)} photo rows for {filing.photos} photos")
            for p in mine:
                path = self.evidence_dir / p.stored_name
                if not path.is_file() or path.stat().st_size != p.size_bytes:
                    found.append(f"photo file {p.stored_name} missing or wrong size")
                elif hashlib.sha256(path.read_bytes()).hexdigest() != p.sha256:
                    found.append(f"photo file {p.stored_name} does not match its sha256")
            if events.get(row.id, 0) != 1:
                found.append(f"{events.get(row.id, 0)} 'filed' events")
            if audits.get(row.id, 0) != 1:
                found.append(f"{audits.get(row.id, 0)} complaint.filed audit entries")
            return found

        acknowledged = [f for f in filings if f.acknowledged]
        lost = [f for f in acknowledged if f.submission_key not in stored]
        incomplete = {f.submission_key: problems(f) for f in posted if f.submission_key in stored}
        incomplete = {k: v for k, v in incomplete.items() if v}
        unacked_stored = [f for f in posted if not f.acknowledged and f.submission_key in stored]
        on_disk = {p.name for p in self.evidence_dir.glob("*")} if self.evidence_dir.exists() else set()
        orphans = sorted(n for n in on_disk if n not in all_stored_names)

        verify = subprocess.run([str(Path(sys.executable).parent / "flask"), "audit", "verify"], cwd=PROJECT_ROOT,
                                env=generate.app_env(self.database_url), capture_output=True, text=True)
        chain_message = (verify.stdout + verify.stderr).strip().splitlines()[-1:] or [""]

        def pct(values: list[float], q: float) -> float | None:
            values = sorted(values)
            return round(values[min(len(values) - 1, int(len(values) * q))] * 1000, 1) if values else None

        qr_ok = [c.end - c.start for c in calls if c.kind == "qr" and c.status == 200]
        file_ok = [c.end - c.start for c in calls if c.kind == "file_complaint" and c.status == 302]
        completed = [c for c in calls if c.status is not None]
        kinds: dict[str, dict[str, int]] = {}
        for c in calls:
            bucket = kinds.setdefault(c.kind, {})
            label = str(c.status) if c.status is not None else "error"
            bucket[label] = bucket.get(label, 0) + 1
        failures_by_step: dict[str, int] = {}
        for f in filings:
            if f.failed_step:
                label = f"{f.failed_step}: {f.failure}"
                failures_by_step[label] = failures_by_step.get(label, 0) + 1
        # Once per failed statement (SQLAlchemy's line; the traceback also names sqlite3's own error).
        locked = log_text.count("(sqlite3.OperationalError) database is locked")
        result = {
            "backend": self.backend, "seconds": round(elapsed, 1), "workers": self.args.crash_workers,
            "consumers": self.args.crash_consumers, "readers": self.args.crash_readers,
            "filings_started": len(filings), "filings_posted": len(posted),
            "filings_acknowledged": len(acknowledged), "acknowledged_stored": len(acknowledged) - len(lost),
            "lost": len(lost), "lost_detail": [asdict(f) for f in lost][:20],
            "stored_incomplete": len(incomplete), "stored_incomplete_detail": dict(list(incomplete.items())[:20]),
            "unacknowledged_but_stored": len(unacked_stored),
            "unacknowledged_but_stored_detail": [asdict(f) for f in unacked_stored][:20],
            "photos_uploaded_acknowledged": sum(f.photos for f in acknowledged),
            "orphan_evidence_files": len(orphans), "orphan_evidence_files_sample": orphans[:10],
            "qr_reads": sum(1 for c in calls if c.kind == "qr" and c.status == 200),
            "requests": len(calls), "requests_answered": len(completed),
            "rps": round(len(completed) / elapsed, 1) if elapsed else None,
            "qr_p50_ms": pct(qr_ok, 0.5), "qr_p99_ms": pct(qr_ok, 0.99),
            "filing_post_p50_ms": pct(file_ok, 0.5), "filing_post_p99_ms": pct(file_ok, 0.99),
            "statuses_by_kind": kinds, "filing_failures_by_step": failures_by_step,
            "kills": [{"pid": k.pid, "at_s": round(k.before - started, 2), "chosen": k.chosen,
                       "replaced_after_s": k.replaced_after_s, "workers_before": k.workers_before,
                       "workers_after": k.workers_after,
                       "cut": [c.kind for c in killed_requests if ending_kill(c, self.kills) is k]}
                      for k in self.kills],
            "killed_worker_answers": sum(1 for pid, _s in answered.values() if pid in killed),
            "errors_in_killed_requests": len(killed_requests),
            "killed_requests": [dict(asdict(c), start=round(c.start - started, 2), end=round(c.end - started, 2))
                                for c in killed_requests],
            "5xx_outside_kill_windows": len(five_xx),
            "5xx_sample": [dict(asdict(c), start=round(c.start - started, 2), end=round(c.end - started, 2),
                                worker=answered.get(c.rid, (None,))[0]) for c in five_xx[:20]],
            "connection_errors_outside_kill_windows": len(errors_outside),
            "connection_errors_sample": [dict(asdict(c), start=round(c.start - started, 2),
                                              end=round(c.end - started, 2)) for c in errors_outside[:20]],
            "unexpected_4xx": len(unexpected_4xx),
            "database_is_locked_in_log": locked,
            "worker_sigkill_in_log": log_text.count("SIGKILL") + log_text.count("signal 9"),
            # gunicorn's own kill of a request slower than its timeout (30 s) is not one of ours.
            "worker_timeouts_in_log": log_text.count("WORKER TIMEOUT"),
            "unhandled_errors_in_log": log_text.count("unhandled error, request id"),
            "audit_chain_ok": verify.returncode == 0, "audit_verify": chain_message[0],
            "master_pid": master,
        }
        result["targets_missed"] = targets_missed(result)
        return result


def connections_by_worker(workers: list[int], port: int) -> dict[int, set[int]]:
    """For each worker, the client ports of the established connections it holds on 127.0.0.1:`port`
    (its sockets' inodes in /proc/<pid>/fd matched against /proc/net/tcp)."""
    remote_by_inode = {}
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if state == "01" and int(local.split(":")[1], 16) == port:
                remote_by_inode[inode] = int(remote.split(":")[1], 16)
    out: dict[int, set[int]] = {}
    for pid in workers:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in remote_by_inode:
                out.setdefault(pid, set()).add(remote_by_inode[target[8:-1]])
    return out


def in_window(call: Call, kill: Kill) -> bool:
    """The request was in flight when the worker died: sent before the kill, failed after it."""
    return call.start <= kill.after and call.end >= kill.before


def ending_kill(call: Call, kills: list[Kill]) -> Kill | None:
    """The kill that cut this request: the last one while it was in flight (a long upload can span two)."""
    return max((k for k in kills if in_window(call, k)), key=lambda k: k.before, default=None)


def attribute(calls: list[Call], kills: list[Kill], answered: dict) -> tuple[list[Call], list[Call], list[Call]]:
    """Failed requests split into (cut by a kill, 5xx answers, connection errors outside the kills).

    Only a connection error can be a killed request (a dead worker answers nothing), and only when it was
    in flight at a kill and no worker logged an answer to it. Every 5xx is the app's own answer."""
    failed = [c for c in calls if c.error is not None or (c.status or 0) >= 500]
    cut = [c for c in failed if c.status is None and c.rid not in answered and any(in_window(c, k) for k in kills)]
    five_xx = [c for c in failed if c.status is not None]
    errors = [c for c in failed if c.status is None and c not in cut]
    return cut, five_xx, errors


def targets_missed(r: dict) -> list[str]:
    """What fails the run, in words; empty when every target is met."""
    missed = []
    if r["lost"]:
        missed.append(f"{r['lost']} acknowledged complaint(s) lost")
    if r["stored_incomplete"]:
        missed.append(f"{r['stored_incomplete']} stored complaint(s) without all their photos/event/audit entry")
    if r["5xx_outside_kill_windows"]:
        missed.append(f"{r['5xx_outside_kill_windows']} 5xx answer(s) outside the kill windows")
    if r["connection_errors_outside_kill_windows"]:
        missed.append(f"{r['connection_errors_outside_kill_windows']} connection error(s) outside the kill windows")
    if r["unexpected_4xx"]:
        missed.append(f"{r['unexpected_4xx']} 4xx answer(s) in a journey that should pass")
    if not r["audit_chain_ok"]:
        missed.append(f"audit chain: {r['audit_verify']}")
    if len(r["kills"]) != 2 or any(k["replaced_after_s"] is None for k in r["kills"]):
        missed.append("two workers were not both killed and replaced")
    if not r["filings_acknowledged"] or not r["qr_reads"]:
        missed.append("no filing acknowledged or no QR read: nothing was tested")
    return [f"{r['backend']}: {m}" for m in missed]


# --- both databases -------------------------------------------------------------------------------

def clone_postgres(source_url: str) -> str:
    """A fresh copy of the loaded source database for this run (CREATE DATABASE … TEMPLATE)."""
    import psycopg

    plain = source_url.replace("postgresql+psycopg://", "postgresql://")
    server, source = plain.rsplit("/", 1)
    target = f"{source}_run"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    return source_url.rsplit("/", 1)[0] + "/" + target


def run_crash(bench) -> list[str]:
    """The step for Bench.run (`--only crash`): data, then one run per database; returns the targets missed."""
    from bench.run import ensure_postgres_database

    args = bench.args
    source_pg = args.crash_postgres_url
    postgres = not args.skip_postgres and ensure_postgres_database(source_pg)
    data = generate.prepare_databases(args.size, source_pg if postgres else None, schema=args.schema)
    sqlite_path, _meta = data["sqlite"]
    workdir = bench.workdir
    photos = make_photos(args.crash_photo_width)
    log(f"photos: {len(photos)} JPEGs of {min(map(len, photos)) // 1000}–{max(map(len, photos)) // 1000} KB")
    runs = []
    copy = workdir / "crash.sqlite3"
    shutil.copyfile(sqlite_path, copy)
    runs.append(("sqlite", f"sqlite:///{copy}"))
    if postgres:
        runs.append(("postgresql", clone_postgres(source_pg)))
    results = {}
    for backend, url in runs:
        (workdir / backend).mkdir(exist_ok=True)
        qr = inprocess.build_url_files(url, workdir / backend, sample=5000)["qr"].read_text().splitlines()
        shops = sorted({line.split("/")[2].split("?")[0] for line in qr})
        results[backend] = bench.phase(f"crash run ({backend})", CrashRun(backend, url, workdir, args, shops, qr,
                                                                          photos).run)
        if results[backend]:
            log("  " + summary_line(results[backend]))
    bench.report["crash"] = {
        "what": "concurrent complaint filings (2–6 JPEG photos each) + QR reads over https against gunicorn "
                "(gunicorn.conf.py, sync workers, self-signed TLS in gunicorn itself); two workers killed "
                "with SIGKILL during the run",
        "server": {"tls": "gunicorn --certfile/--keyfile (self-signed, 127.0.0.1)", "proxy": "none",
                   "PROXY_COUNT": 1, "client_addresses": "one X-Forwarded-For per filing, per reader",
                   "limiter_storage": LIMITER_STORAGE, "SMS_SENDER": "outbox"},
        "photos": {"widest_px": args.crash_photo_width, "kb": [len(p) // 1000 for p in photos],
                   "per_filing": "2–6, drawn at random"},
        "postgres_source": source_pg if postgres else None, "results": results,
    }
    missed = []
    for backend, result in results.items():
        missed += result["targets_missed"] if result else [f"{backend}: the run failed (see failures)"]
    bench.report["crash"]["targets_missed"] = missed
    return missed


def summary_line(r: dict) -> str:
    """One log line per database."""
    return (f"{r['backend']}: filings acknowledged {r['filings_acknowledged']}, lost {r['lost']}, "
            f"unacknowledged but stored {r['unacknowledged_but_stored']}, QR reads {r['qr_reads']}, "
            f"5xx outside kills {r['5xx_outside_kill_windows']}, errors in killed requests "
            f"{r['errors_in_killed_requests']}, 'database is locked' {r['database_is_locked_in_log']}")


def render_table(crash: dict) -> str:
    """The crash runs' table, printed and stored with the results."""
    head = (f"{'crash run (kill -9 ×2)':<24} {'acked':>6} {'stored':>6} {'lost':>5} {'unacked':>7} {'QR':>6} "
            f"{'req/s':>6} {'5xx out':>7} {'err out':>7} {'killed':>6} {'locked':>6} {'QR p50':>7} {'QR p99':>7} "
            f"{'file p50':>8} {'file p99':>8}  audit")
    sub = (f"{'':<24} {'':>6} {'':>6} {'':>5} {'+stored':>7} {'reads':>6} {'':>6} {'kills':>7} {'kills':>7} "
           f"{'errors':>6} {'(log)':>6} {'ms':>7} {'ms':>7} {'ms':>8} {'ms':>8}")
    lines = [head, sub, "-" * len(head)]
    for backend, r in crash["results"].items():
        if not r:
            lines.append(f"{backend:<24} run failed")
            continue
        lines.append(
            f"{backend:<24} {r['filings_acknowledged']:>6} {r['acknowledged_stored']:>6} {r['lost']:>5} "
            f"{r['unacknowledged_but_stored']:>7} {r['qr_reads']:>6} {r['rps']:>6.1f} {r['5xx_outside_kill_windows']:>7} "
            f"{r['connection_errors_outside_kill_windows']:>7} {r['errors_in_killed_requests']:>6} "
            f"{r['database_is_locked_in_log']:>6} {r['qr_p50_ms'] or 0:>7.0f} {r['qr_p99_ms'] or 0:>7.0f} "
            f"{r['filing_post_p50_ms'] or 0:>8.0f} {r['filing_post_p99_ms'] or 0:>8.0f}  "
            f"{'ok' if r['audit_chain_ok'] else 'BROKEN'}")
        kills = ", ".join(f"{k['pid']} at {k['at_s']} s (cut: {', '.join(k['cut']) or 'nothing in flight'}; "
                          f"replaced in {k['replaced_after_s']} s)" for k in r["kills"])
        lines.append(f"    {r['seconds']} s, {r['consumers']} consumers + {r['readers']} readers, {r['workers']} workers; "
                     f"killed {kills}; filings started {r['filings_started']}, posted {r['filings_posted']}; "
                     f"4xx {r['unexpected_4xx']}; orphan photo files {r['orphan_evidence_files']}; "
                     f"worker timeouts {r['worker_timeouts_in_log']}; unhandled errors {r['unhandled_errors_in_log']}; "
                     f"load {r['loadavg_1m_before']}→{r['loadavg_1m_after']}")
        if r["filing_failures_by_step"]:
            lines.append(f"    failed filings: {r['filing_failures_by_step']}")
    for missed in crash.get("targets_missed", []):
        lines.append(f"TARGET MISSED: {missed}")
    if not crash.get("targets_missed"):
        lines.append("all targets met: no acknowledged complaint lost, no 5xx or connection error outside the kills")
    return "\n".join(lines)
