"""Start and stop the processes under test: gunicorn (the registry, the hello-world reference) and nginx.

Everything listens on 127.0.0.1 only, on ports picked free at start, and is stopped by its own pid.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

from bench.generate import PROJECT_ROOT, log

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
DEPLOY_DIR = PROJECT_ROOT / "deploy"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, path: str, timeout: float = 60.0, process: subprocess.Popen | None = None,
               tls: bool = False) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before it was ready")
        # TLS: the tests' self-signed certificate, so no verification (127.0.0.1 only).
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ssl._create_unverified_context()) \
            if tls else http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status < 500:
                return
            last = response.status
        except OSError as error:
            last = error  # refused while starting, or timed out while workers boot
        finally:
            conn.close()  # also after a timeout: an unclosed socket is a ResourceWarning (an error in tests)
        time.sleep(0.2)
    raise RuntimeError(f"127.0.0.1:{port}{path} not ready after {timeout} s ({last})")


def children(pid: int) -> list[int]:
    """Direct children of a process (gunicorn's workers are the master's children)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces; the ppid follows it.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, with_children: bool = False) -> float:
    """User + system CPU of a process (+ its reaped children: gunicorn workers recycled by max_requests)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICK


def tree_cpu_seconds(pids: list[int]) -> float:
    """CPU of these masters, their reaped children and their live children."""
    total = 0.0
    for pid in pids:
        total += cpu_seconds(pid, with_children=True)
        total += sum(cpu_seconds(child) for child in children(pid))
    return total


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Server:
    """A process we started; stopped with SIGTERM (then SIGKILL) to its own pid only."""

    def __init__(self, name: str, argv: list[str], env: dict, port: int, log_path: Path, ready_path: str,
                 cwd: Path = PROJECT_ROOT, tls: bool = False) -> None:
        self.name, self.port, self.log_path = name, port, log_path
        self.log_file = open(log_path, "ab")
        self.process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=self.log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        try:
            wait_ready(port, ready_path, process=self.process, tls=tls)
        except Exception:
            self.stop()
            raise RuntimeError(f"{name} did not start; see {log_path}") from None

    @property
    def pid(self) -> int:
        return self.process.pid

    def workers(self) -> list[int]:
        return children(self.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log_file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def gunicorn(name: str, app: str, env: dict, workdir: Path, workers: int, extra: list[str] | None = None,
             ready_path: str = "/", tls: tuple[Path, Path] | None = None) -> Server:
    """gunicorn with the project's gunicorn.conf.py, on a free 127.0.0.1 port, without a control socket;
    with `tls` (certificate, key) it serves https itself."""
    port = free_port()
    env = dict(env, WEB_CONCURRENCY=str(workers), GUNICORN_BIND=f"127.0.0.1:{port}")
    env.pop("GUNICORN_CONTROL_SOCKET", None)
    tls_args = ["--certfile", str(tls[0]), "--keyfile", str(tls[1])] if tls else []
    argv = [GUNICORN, "-c", str(PROJECT_ROOT / "gunicorn.conf.py"), "--no-control-socket", *tls_args, *(extra or []),
            app]
    log(f"starting {name}: gunicorn {app} on {'https' if tls else 'http'}://127.0.0.1:{port}, {workers} sync workers")
    return Server(name, argv, env, port, workdir / f"{name}.log", ready_path, tls=tls is not None)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1 (openssl CLI), valid two days: production's Secure
    `__Host-` cookies only come back over https (the bench's crash run, tests/browser/https_stack.py)."""
    cert, key = directory / "tls-cert.pem", directory / "tls-key.pem"
    if not cert.exists():
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=30)
    return cert, key


def nginx_available() -> bool:
    return shutil.which("nginx") is not None


def nginx(name: str, upstream_port: int | list[int], workdir: Path, static_root: Path, port: int | None = None,
          tls: tuple[Path, Path] | None = None, ready_path: str = "/static/bench-5k.txt") -> Server:
    """nginx with deploy/nginx/app.conf and maps.conf on 127.0.0.1, as its own master: plain HTTP, or
    TLS with `tls` = (certificate, key) as deploy/nginx.conf serves it (tests/browser/https_stack.py).
    Several upstream ports: one upstream of app instances, taken in turn (tests/test_two_instances.py)."""
    port = port or free_port()
    upstreams = upstream_port if isinstance(upstream_port, list) else [upstream_port]
    upstream_servers = " ".join(f"server 127.0.0.1:{upstream} fail_timeout=0;" for upstream in upstreams)
    ssl_lines = f"""ssl_certificate {tls[0]};
        ssl_certificate_key {tls[1]};
        ssl_protocols TLSv1.2 TLSv1.3;""" if tls else ""
    prefix = workdir / f"nginx-{name}"
    (prefix / "cache").mkdir(parents=True, exist_ok=True)
    (prefix / "tmp").mkdir(exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""
    conf = f"""
{user}
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    upstream chengxinma_app {{ {upstream_servers} }}
    proxy_cache_path {prefix}/cache levels=1:2 keys_zone=chengxinma_micro:20m max_size=512m inactive=1m
                     use_temp_path=off;
    include {DEPLOY_DIR}/nginx/maps.conf;
    server {{
        listen 127.0.0.1:{port}{" ssl" if tls else ""};
        server_name _;
        {ssl_lines}
        root {static_root};
        include {DEPLOY_DIR}/nginx/app.conf;
    }}
}}
"""
    conf_path = prefix / "nginx.conf"
    conf_path.write_text(conf)
    check = subprocess.run(["nginx", "-t", "-c", str(conf_path), "-p", str(prefix)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
    log(f"starting nginx ({name}) on 127.0.0.1:{port} → 127.0.0.1:{', '.join(map(str, upstreams))}")
    return Server(f"nginx-{name}", ["nginx", "-c", str(conf_path), "-p", str(prefix)], dict(os.environ), port,
                  workdir / f"nginx-{name}.log", ready_path, tls=tls is not None)


class PgBouncer(Server):
    """PgBouncer (Debian's /usr/sbin/pgbouncer) in transaction pooling mode on a free 127.0.0.1 port, in
    front of one PostgreSQL server; every database name passes through. Ready when it answers a query."""

    def __init__(self, name: str, server_host: str, server_port: int, workdir: Path, pool_size: int = 20) -> None:
        self.name, self.port = name, free_port()
        home = workdir / f"pgbouncer-{name}"
        home.mkdir(parents=True, exist_ok=True)
        (home / "userlist.txt").write_text('"postgres" ""\n')
        # Trust, as the test and bench servers on 127.0.0.1 do; the server's own pg_hba still applies.
        # `options`: the tests' engines ask for synchronous_commit=off at connect, which PgBouncer would refuse.
        (home / "pgbouncer.ini").write_text(f"""[databases]
* = host={server_host} port={server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {home / "userlist.txt"}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits,options
server_check_delay = 0
""")
        argv = [PGBOUNCER, str(home / "pgbouncer.ini")]
        if os.geteuid() == 0:  # PgBouncer will not run as root; -u switches user after reading the files
            argv[1:1] = ["-u", "postgres"]
        self.log_path = workdir / f"pgbouncer-{name}.log"
        self.log_file = open(self.log_path, "ab")
        log(f"starting pgbouncer ({name}) on 127.0.0.1:{self.port} → {server_host}:{server_port}, transaction pooling")
        self.process = subprocess.Popen(argv, stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            self._wait_ready()
        except Exception:
            self.stop()
            raise RuntimeError(f"pgbouncer did not start; see {self.log_path}") from None

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited with {self.process.returncode}")
            try:
                with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                                     connect_timeout=2, prepare_threshold=None) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def pgbouncer_available() -> bool:
    return os.path.exists(PGBOUNCER)


class RedisServer:
    """A Redis of the bench's own (the QR page cache, as production shares one between workers): on a
    free 127.0.0.1 port, nothing saved to disk, bounded memory evicting the least recently used page.
    Its counters (INFO) are the bench's alone, so the page cache's hit rate can be read from them."""

    def __init__(self, workdir: Path, maxmemory: str = "512mb") -> None:
        self.port = free_port()
        self.log_file = open(workdir / "redis-page-cache.log", "ab")
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--maxmemory", maxmemory, "--maxmemory-policy", "allkeys-lru", "--dir", str(workdir)],
            stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.command("PING").startswith("+PONG"):
                    break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.1)
        log(f"started redis-server (page cache) on 127.0.0.1:{self.port}")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self, *words: str) -> str:
        """One inline command, its whole reply as text (enough for PING, FLUSHALL and INFO)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall((" ".join(words) + "\r\n").encode())
            reply = sock.recv(65536)
            if reply.startswith(b"$"):  # a bulk string: read until its announced length is in
                head = reply.index(b"\r\n") + 2
                size = int(reply[1:head - 2])
                while len(reply) < head + size + 2:
                    reply += sock.recv(65536)
            return reply.decode()

    def stats(self) -> dict[str, int]:
        """keyspace_hits / keyspace_misses since start, and the keys stored."""
        info = dict(line.split(":", 1) for line in self.command("INFO").splitlines() if ":" in line)
        keys = info.get("db0", "keys=0").split(",")[0].split("=")[1]
        return {"hits": int(info["keyspace_hits"]), "misses": int(info["keyspace_misses"]), "keys": int(keys),
                "used_memory_mb": round(int(info["used_memory"]) / 1e6, 1)}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log_file.close()
