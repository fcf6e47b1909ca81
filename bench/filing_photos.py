"""Complaint filing through HTTP with six large photos each, while other consumers ask for SMS codes
from a slow gateway (issue 10, item 3): `.venv/bin/python -m bench --only filing-photos`.

What runs: gunicorn (gunicorn.conf.py, `--no-control-socket`, 4 sync workers, REGISTRY_ENV=production)
on a fresh SQLite database (migrations + `flask demo load --shops 30`) on 127.0.0.1. `SMS_SENDER` is
:class:`SlowGateway` below: it sleeps 1.5 s per message, as a real provider's HTTP API can, and leaves
the text in a folder where the simulated phone "receives" it. Client threads, for a bounded time:
- filers: the whole consumer journey, each time as a new consumer: the phone page, "send code", the
  code from the SMS, "confirm", the details page, then the form with 6 photos of 12 Mpx (~2.7 MB JPEGs
  as phones take them, generated once with Pillow into bench/data/photos/);
- code requesters: the phone page and "send code", each time as a new consumer.

The figures: complaints filed per second, code-request latency p50/p99, the count of 5xx answers and of
"database is locked" in the server log (both should be 0).

How the production rules are kept while one machine plays many consumers:
- rate limits stay on (Redis storage when a local Redis answers, like the rest of the bench); every
  simulated consumer has its own phone number and its own address, sent as X-Forwarded-For with
  PROXY_COUNT=1, as nginx would set it; no limit is raised;
- the app is told the original request was https (X-Forwarded-Proto, as nginx sends it), so the
  secure `__Host-` session cookie and the strict CSRF referrer check are in force: the client keeps
  its cookies itself (an HTTP client would not send a secure cookie back over plain http) and sends
  the Referer a browser would.
"""

from __future__ import annotations

import http.client
import io
import os
import random
import re
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from bench import servers
from bench.generate import DATA_DIR, PROJECT_ROOT, log

SMS_DELAY_SECONDS = 1.5
PHOTOS_PER_COMPLAINT = 6
PHOTO_SIZE = (4032, 3024)  # 12 Mpx, a common phone camera
REQUEST_TIMEOUT = 60.0
_CODE = re.compile(r"验证码是 (\d{6})")


class SlowGateway:
    """A fake SMS provider that takes 1.5 s per message (BENCH_SMS_DELAY) and "delivers" the text to
    a file named after the phone in BENCH_SMS_DIR, where the benchmark's consumers read it."""

    def send(self, phone: str, body: str, purpose: str) -> None:
        time.sleep(float(os.environ.get("BENCH_SMS_DELAY", SMS_DELAY_SECONDS)))
        folder = Path(os.environ["BENCH_SMS_DIR"])
        partial = folder / f"{phone}.{os.getpid()}.part"
        partial.write_text(body, encoding="utf-8")
        os.replace(partial, folder / phone)


# --- Photos ------------------------------------------------------------------------------------------

def photos(count: int = PHOTOS_PER_COMPLAINT) -> list[bytes]:
    """`count` distinct 12 Mpx JPEGs of ~2.7 MB: smooth light, texture and edges, like a photo of a
    receipt on a counter; cached under bench/data/photos/."""
    folder = DATA_DIR / "photos"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"photo-{i}-{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}.jpg" for i in range(count)]
    for index, path in enumerate(paths):
        if not path.exists():
            path.write_bytes(_photo(index))
    return [path.read_bytes() for path in paths]


def _photo(seed: int) -> bytes:
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    width, height = PHOTO_SIZE
    small = Image.new("RGB", (width // 8, height // 8))
    draw = ImageDraw.Draw(small)
    base = [rng.randrange(90, 200) for _ in range(3)]
    for y in range(small.height):  # a lit scene: light falling off across the frame
        shade = 0.6 + 0.4 * y / small.height
        draw.line([(0, y), (small.width, y)], fill=tuple(int(c * shade) for c in base))
    for _ in range(40):  # objects on the counter
        x, y = rng.randrange(small.width), rng.randrange(small.height)
        w, h = rng.randrange(20, 160), rng.randrange(20, 120)
        draw.rectangle([x, y, x + w, y + h], fill=tuple(rng.randrange(256) for _ in range(3)))
    image = small.resize((width, height), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(2))
    draw = ImageDraw.Draw(image)
    paper = (rng.randrange(1000, 1600), rng.randrange(600, 1000))
    draw.rectangle([paper[0], paper[1], paper[0] + 1400, paper[1] + 1900], fill=(238, 236, 228))
    for line in range(40):  # the receipt's printed lines: sharp edges
        y = paper[1] + 60 + line * 44
        draw.rectangle([paper[0] + 80, y, paper[0] + 80 + rng.randrange(300, 1200), y + 14], fill=(40, 40, 40))
    # Sensor noise: what makes real photos large.
    noise = Image.effect_noise((width, height), 18).convert("RGB")
    image = Image.blend(image, noise, 0.2)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


# --- The app under test --------------------------------------------------------------------------------

def prepare_database(workdir: Path, env: dict) -> tuple[Path, list[str]]:
    """A fresh SQLite database: the real migrations, the calendar, 30 demo shops; their public codes."""
    path = workdir / "filing-photos.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    env = dict(env, DATABASE_URL=f"sqlite:///{path}", SMS_SENDER="outbox")
    flask = str(Path(sys.executable).parent / "flask")
    for args in (["db", "upgrade"], ["calendar", "seed"], ["demo", "load", "--shops", "30"]):
        subprocess.run([flask, "--app", "wsgi:app", *args], cwd=PROJECT_ROOT, env=env, check=True,
                       capture_output=True, timeout=600)
    with sqlite3.connect(path) as connection:
        codes = [r[0] for r in connection.execute("SELECT public_code FROM merchants WHERE standing = 'active'")]
    if not codes:
        raise RuntimeError("the demo data has no active shop")
    return path, codes


# --- One simulated consumer ------------------------------------------------------------------------

class Consumer:
    """A phone with its own number, address and cookies, talking to the app as a browser would."""

    def __init__(self, port: int, phone: str, address: str, sms_dir: Path) -> None:
        self.port, self.phone, self.address, self.sms_dir = port, phone, address, sms_dir
        self.cookies: dict[str, str] = {}
        self.origin = f"https://127.0.0.1:{port}"

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None,
                referer: str | None = None) -> tuple[int, str, dict]:
        headers = {"X-Forwarded-For": self.address, "X-Forwarded-Proto": "https",
                   "User-Agent": "bench-filing-photos", "Accept-Language": "zh-CN"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        if referer:
            headers["Referer"] = self.origin + referer
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    pair = value.split(";", 1)[0]
                    key, _eq, val = pair.partition("=")
                    self.cookies[key.strip()] = val.strip()
            return response.status, text, dict(response.getheaders())
        finally:
            connection.close()

    def post_form(self, path: str, fields: dict, referer: str) -> tuple[int, str, dict]:
        from urllib.parse import urlencode

        return self.request("POST", path, urlencode(fields, doseq=True).encode(),
                            "application/x-www-form-urlencoded", referer)

    def received_code(self, timeout: float = 30.0) -> str | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                match = _CODE.search((self.sms_dir / self.phone).read_text(encoding="utf-8"))
            except FileNotFoundError:
                match = None
            if match:
                return match.group(1)
            time.sleep(0.05)
        return None


def _field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    return match.group(1) if match else ""


def _multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: image/jpeg\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Tally:
    """What the client threads saw, under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.code_latencies: list[float] = []
        self.filing_latencies: list[float] = []
        self.filed = 0
        self.statuses: dict[str, int] = {}
        self.failures: dict[str, int] = {}

    def status(self, step: str, status: int) -> None:
        with self.lock:
            key = f"{step} {status}"
            self.statuses[key] = self.statuses.get(key, 0) + 1

    def failure(self, what: str) -> None:
        with self.lock:
            self.failures[what] = self.failures.get(what, 0) + 1


def _new_consumer(port: int, sms_dir: Path, rng: random.Random) -> Consumer:
    phone = f"1{rng.choice('3456789')}{rng.randrange(10 ** 9):09d}"
    address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return Consumer(port, phone, address, sms_dir)


def _request_code(consumer: Consumer, code: str, tally: Tally) -> str | None:
    """Open the phone page and ask for a code; the page's HTML, or None when it did not work."""
    page = f"/m/{code}/complain"
    status, html, _ = consumer.request("GET", page)
    tally.status("GET phone page", status)
    if status != 200:
        return None
    started = time.monotonic()
    status, html, _ = consumer.post_form(page, {"csrf_token": _field(html, "csrf_token"), "phone": consumer.phone,
                                                "send": "1"}, page)
    elapsed = time.monotonic() - started
    tally.status("POST send code", status)
    with tally.lock:
        tally.code_latencies.append(elapsed)
    if status != 200 or 'name="code"' not in html:
        tally.failure("code request without a code form" + (" (SMS failed)" if "短信发送失败" in html else ""))
        return None
    return html


def _file_one(consumer: Consumer, code: str, tally: Tally, photo_files: list[bytes]) -> None:
    page = f"/m/{code}/complain"
    html = _request_code(consumer, code, tally)
    if html is None:
        return
    sms = consumer.received_code()
    if sms is None:
        tally.failure("SMS never arrived")
        return
    status, _html, headers = consumer.post_form(page, {"csrf_token": _field(html, "csrf_token"),
                                                       "phone": consumer.phone, "code": sms, "confirm": "1"}, page)
    tally.status("POST confirm", status)
    if status != 302:
        tally.failure("confirm not redirected")
        return
    status, html, _ = consumer.request("GET", f"{page}/details", referer=page)
    tally.status("GET details", status)
    if status != 200:
        return
    purchase = (date.today() - timedelta(days=2)).isoformat()
    fields = [("csrf_token", _field(html, "csrf_token")), ("submission_key", _field(html, "submission_key")),
              ("clause", "4"), ("description", "货架标价 9.90 元的洗衣液，结账时按 19.90 元收费，店员拒绝退还差价。"),
              ("purchase_date", purchase), ("amount", "19.90"), ("demands", "refund"), ("demands", "apology"),
              ("consumer_name", "测试"), ("privacy_consent", "y")]
    body, content_type = _multipart(fields, [("photos", f"IMG_{i:04d}.JPG", data)
                                             for i, data in enumerate(photo_files)])
    started = time.monotonic()
    status, html, headers = consumer.request("POST", f"{page}/details", body, content_type, f"{page}/details")
    elapsed = time.monotonic() - started
    tally.status("POST complaint with photos", status)
    if status == 302 and "/c/" in headers.get("Location", ""):
        with tally.lock:
            tally.filed += 1
            tally.filing_latencies.append(elapsed)
    else:
        tally.failure("complaint not filed")


def _loop(deadline: float, work, tally: Tally) -> None:
    while time.monotonic() < deadline:
        try:
            work()
        except Exception as error:  # noqa: BLE001 — counted and reported, the run goes on
            tally.failure(f"client error: {type(error).__name__}")


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)


def run(workdir: Path, base_env: dict, seconds: float = 30.0, filers: int = 2, requesters: int = 6,
        workers: int = 4) -> dict:
    """Start the app, drive `filers` + `requesters` client threads for `seconds`, return the figures."""
    workdir.mkdir(parents=True, exist_ok=True)
    photo_files = photos()
    sms_dir = workdir / "sms"
    sms_dir.mkdir(exist_ok=True)
    env = dict(base_env, PROXY_COUNT="1", SMS_SENDER="bench.filing_photos:SlowGateway",
               BENCH_SMS_DIR=str(sms_dir), BENCH_SMS_DELAY=str(SMS_DELAY_SECONDS),
               EVIDENCE_DIR=str(workdir / "evidence"), PYTHONPATH=str(PROJECT_ROOT))
    log(f"filing with photos: preparing a fresh SQLite database in {workdir}")
    database, codes = prepare_database(workdir, env)
    env["DATABASE_URL"] = f"sqlite:///{database}"
    with sqlite3.connect(database) as connection:
        demo_complaints = connection.execute("SELECT COUNT(*) FROM complaints").fetchone()[0]
    tally = Tally()
    rng = random.Random(secrets.randbits(64))  # fresh phones and addresses every run: no stale rate limits
    with servers.gunicorn("app-filing-photos", "wsgi:app", env, workdir, workers,
                          ready_path="/m/bench-ready-check") as server:
        log(f"filing with photos: {filers} filers ({PHOTOS_PER_COMPLAINT} photos of "
            f"{sum(map(len, photo_files)) / len(photo_files) / 1e6:.1f} MB each) + {requesters} code requesters, "
            f"SMS gateway {SMS_DELAY_SECONDS} s, {workers} workers, {seconds:.0f} s")
        started = time.monotonic()
        deadline = started + seconds
        threads = [threading.Thread(target=_loop, args=(deadline, lambda: _file_one(
                       _new_consumer(server.port, sms_dir, rng), rng.choice(codes), tally, photo_files), tally))
                   for _ in range(filers)]
        threads += [threading.Thread(target=_loop, args=(deadline, lambda: _request_code(
                        _new_consumer(server.port, sms_dir, rng), rng.choice(codes), tally), tally))
                    for _ in range(requesters)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 5 * REQUEST_TIMEOUT)
        elapsed = time.monotonic() - started
        log_text = server.log_path.read_text(errors="replace") if server.log_path.exists() else ""
    server_errors = sum(v for k, v in tally.statuses.items() if k.rsplit(" ", 1)[1].startswith("5"))
    with sqlite3.connect(database) as connection:
        stored = connection.execute("SELECT COUNT(*) FROM complaints").fetchone()[0] - demo_complaints
        stored_photos = connection.execute("SELECT COUNT(*) FROM evidence_photos").fetchone()[0]
    result = {
        "seconds": round(elapsed, 1), "filers": filers, "code_requesters": requesters, "workers": workers,
        "photos_per_complaint": PHOTOS_PER_COMPLAINT, "photo_pixels": f"{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}",
        "photo_mb_mean": round(sum(map(len, photo_files)) / len(photo_files) / 1e6, 2),
        "sms_gateway_seconds": SMS_DELAY_SECONDS,
        "complaints_filed": tally.filed, "complaints_per_s": round(tally.filed / elapsed, 3) if elapsed else 0,
        "complaints_stored": stored, "photos_stored": stored_photos,
        "filing_p50_ms": _percentile(tally.filing_latencies, 0.5),
        "filing_p99_ms": _percentile(tally.filing_latencies, 0.99),
        "code_requests": len(tally.code_latencies),
        "code_request_p50_ms": _percentile(tally.code_latencies, 0.5),
        "code_request_p99_ms": _percentile(tally.code_latencies, 0.99),
        "code_request_max_ms": _percentile(tally.code_latencies, 1.0),
        "server_errors_5xx": server_errors,
        # One per failed request: the last line of SQLAlchemy's traceback (sqlite3's own line is the cause).
        "database_is_locked_in_server_log": sum(1 for line in log_text.splitlines()
                                                 if line.startswith("sqlalchemy.exc.OperationalError")
                                                 and "database is locked" in line),
        "statuses": tally.statuses, "client_failures": tally.failures,
        "rate_limits": "production limits; each simulated consumer has its own phone and X-Forwarded-For address "
                       "(PROXY_COUNT=1)",
        "https": "X-Forwarded-Proto: https as nginx sends it; cookies kept by the client, Referer sent",
        "server_log": str(server.log_path),
    }
    log(f"  filed {tally.filed} complaints ({result['complaints_per_s']}/s, p50 {result['filing_p50_ms']} ms); "
        f"{len(tally.code_latencies)} code requests p50 {result['code_request_p50_ms']} ms "
        f"p99 {result['code_request_p99_ms']} ms; 5xx {server_errors}; 'database is locked' in the log "
        f"{result['database_is_locked_in_server_log']}")
    return result


def render(result: dict) -> str:
    """Two lines for the bench table."""
    return (f"filing with {result['photos_per_complaint']} photos (HTTP, {result['workers']} workers, SQLite): "
            f"{result['complaints_per_s']} complaints/s ({result['complaints_filed']} in {result['seconds']} s, "
            f"p50 {result['filing_p50_ms']} ms)\n"
            f"    code requests with a {result['sms_gateway_seconds']} s gateway: {result['code_requests']}, "
            f"p50 {result['code_request_p50_ms']} ms, p99 {result['code_request_p99_ms']} ms; "
            f"5xx {result['server_errors_5xx']}, 'database is locked' {result['database_is_locked_in_server_log']}")
