"""Bounded load on 127.0.0.1: wrk when installed (Debian's `wrk`), else a Python load generator.

Every run has a fixed duration (and the fixed-count driver a fixed number of requests); nothing
here talks to any address but 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.generate import BENCH_DIR, log

WRK_SCRIPT = BENCH_DIR / "wrk.lua"
HOST = "127.0.0.1"


@dataclass
class LoadResult:
    tool: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict = field(default_factory=dict)
    statuses: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)


def ensure_wrk() -> bool:
    """wrk from Debian when possible (installed here if missing and we may); False → Python fallback."""
    if shutil.which("wrk"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk is missing: apt-get install -y wrk")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        result = subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env, capture_output=True)
        if result.returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env, capture_output=True)
    return shutil.which("wrk") is not None


def read_lines(path: Path) -> list[tuple[str, str | None]]:
    out = []
    for line in path.read_text().splitlines():
        if line.strip():
            target, _, etag = line.partition("\t")
            out.append((target, etag or None))
    return out


def run_wrk(port: int, urls: Path, seconds: float, connections: int) -> LoadResult:
    env = dict(os.environ, BENCH_URLS=str(urls))
    # One wrk thread: the machine has two cores and the servers under test need them more.
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(WRK_SCRIPT),
            f"http://{HOST}:{port}"]
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")
    data = json.loads(line[len("BENCHJSON "):])
    duration = data["duration_us"] / 1e6
    return LoadResult("wrk", data["requests"], round(duration, 2), round(data["requests"] / duration, 1),
                      data["p50_us"] / 1000, data["p90_us"] / 1000, data["p99_us"] / 1000, data["max_us"] / 1000,
                      data["errors"], data["statuses"], data["cache"])


def _python_worker(args) -> dict:
    port, lines, seconds, threads, seed = args
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    cache: dict[str, int] = {}
    errors = {"connect": 0, "read": 0}
    lock = threading.Lock()

    def loop():
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        local, local_status, local_cache = [], {}, {}
        while time.monotonic() < deadline:
            target, etag = lines[rng.randrange(len(lines))]
            started = time.perf_counter()
            try:
                conn.request("GET", target, headers={"If-None-Match": etag} if etag else {})
                response = conn.getresponse()
                response.read()
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                with lock:
                    errors["read"] += 1
                continue
            local.append(time.perf_counter() - started)
            local_status[str(response.status)] = local_status.get(str(response.status), 0) + 1
            cached = response.getheader("X-Cache-Status")
            if cached:
                local_cache[cached] = local_cache.get(cached, 0) + 1
            if response.will_close:
                conn.close()
        with lock:
            latencies.extend(local)
            for k, v in local_status.items():
                statuses[k] = statuses.get(k, 0) + v
            for k, v in local_cache.items():
                cache[k] = cache.get(k, 0) + v

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return {"latencies": latencies, "statuses": statuses, "cache": cache, "errors": errors}


def run_python(port: int, urls: Path, seconds: float, connections: int) -> LoadResult:
    """The fallback: 4 processes × (connections / 4) threads of http.client, for `seconds`."""
    lines = read_lines(urls)
    processes = 4
    per = max(1, connections // processes)
    started = time.monotonic()
    with multiprocessing.Pool(processes) as pool:
        parts = pool.map(_python_worker, [(port, lines, seconds, per, i) for i in range(processes)])
    elapsed = time.monotonic() - started
    latencies = sorted(x for p in parts for x in p["latencies"])
    statuses: dict[str, int] = {}
    cache: dict[str, int] = {}
    errors = {"connect": 0, "read": 0}
    for p in parts:
        for target, source in ((statuses, p["statuses"]), (cache, p["cache"]), (errors, p["errors"])):
            for k, v in source.items():
                target[k] = target.get(k, 0) + v

    def pct(q):
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 2) if latencies else 0.0

    return LoadResult("python", len(latencies), round(elapsed, 2), round(len(latencies) / elapsed, 1), pct(0.5),
                      pct(0.9), pct(0.99), round(latencies[-1] * 1000, 2) if latencies else 0.0, errors, statuses,
                      cache)


def timed_load(port: int, urls: Path, seconds: float, warmup: float, connections: int, use_wrk: bool) -> LoadResult:
    runner = run_wrk if use_wrk else run_python
    if warmup:
        runner(port, urls, warmup, connections)
    return runner(port, urls, seconds, connections)


def fixed_count(port: int, urls: Path, count: int, threads: int = 8, limit_seconds: float = 300) -> dict:
    """Exactly `count` requests (or fewer if `limit_seconds` runs out) from `threads` threads."""
    lines = read_lines(urls)
    remaining = [count]
    lock = threading.Lock()
    statuses: dict[str, int] = {}
    latencies: list[float] = []
    deadline = time.monotonic() + limit_seconds

    def loop(seed):
        rng = random.Random(seed)
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            target, etag = lines[rng.randrange(len(lines))]
            started = time.perf_counter()
            try:
                conn.request("GET", target, headers={"If-None-Match": etag} if etag else {})
                response = conn.getresponse()
                response.read()
                status = str(response.status)
                if response.will_close:
                    conn.close()
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                status = "error"
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    return {"requests": sum(statuses.values()), "seconds": round(elapsed, 1), "statuses": statuses,
            "median_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None}
