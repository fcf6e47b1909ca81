"""A throw-away PostgreSQL primary with a streaming hot standby, for the replica tests (tests/test_replica.py).

The shared server on 5432 allows no replication connections and its configuration is not ours to change,
so the test makes its own pair: `initdb` a primary in a temporary directory on a free 127.0.0.1 port
(`host replication all 127.0.0.1/32 trust`), `pg_basebackup -R` a standby from it on another free port,
and stops and deletes both at the end. PostgreSQL refuses to run as root (tests run as root in CI): as
root every server command runs as the `postgres` user (`runuser`), in a directory it owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.servers import free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVER_USER = "postgres"

# Fast and small: the data is thrown away. WAL is written for the standby, never fsynced.
PRIMARY_SETTINGS = ["fsync=off", "full_page_writes=off", "wal_level=replica", "max_wal_senders=4",
                    "wal_keep_size=256MB", "wal_writer_delay=10ms", "max_connections=60", "shared_buffers=32MB"]
STANDBY_SETTINGS = ["fsync=off", "hot_standby=on", "hot_standby_feedback=on", "max_connections=60",
                    "shared_buffers=32MB", "wal_receiver_status_interval=1s"]


def missing_tools() -> str | None:
    """Why a pair cannot be made here (None when it can)."""
    for tool in ("initdb", "pg_ctl", "pg_basebackup"):
        if not (PG_BIN / tool).exists():
            return f"{PG_BIN / tool} not found (apt-get install postgresql-15)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER} user to run PostgreSQL as"
    return None


def _run(argv: list[str], timeout: float = 60) -> None:
    if os.geteuid() == 0:
        argv = ["runuser", "-u", SERVER_USER, "--", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


@dataclass
class Cluster:
    """One PostgreSQL server of the pair: its data directory, port and log."""

    name: str
    data: Path
    port: int
    settings: list[str]

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.name}.log"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = " ".join(["-c listen_addresses=127.0.0.1", f"-c port={self.port}",
                            f"-c unix_socket_directories={self.data.parent}", *(f"-c {s}" for s in self.settings)])
        _run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60",
              "start"], timeout=90)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            _run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop"], timeout=90)

    def sql(self, statement: str, database: str = "postgres", *params):
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname={database}",
                             autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement, params or None)
            return cursor.fetchone() if cursor.description else None


@dataclass
class StandbyPair:
    primary: Cluster
    standby: Cluster

    def wait_until_replayed(self, timeout: float = 15.0) -> float:
        """Wait until the standby has replayed everything the primary has written so far; the seconds it took."""
        started = time.monotonic()
        target = self.primary.sql("SELECT pg_current_wal_lsn()::text")[0]
        while True:
            replayed, = self.standby.sql("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", "postgres", target)
            if replayed:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise AssertionError(f"the standby did not replay {target} within {timeout} s")
            time.sleep(0.01)

    def pause_replay(self) -> None:
        self.standby.sql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.standby.sql("SELECT pg_wal_replay_resume()")


@contextmanager
def standby_pair(database: str) -> Iterator[StandbyPair]:
    """A primary with `database` created and a streaming standby of it; both stopped and deleted on exit."""
    root = Path(tempfile.mkdtemp(prefix="registry-standby-"))
    if os.geteuid() == 0:
        server = pwd.getpwnam(SERVER_USER)
        os.chown(root, server.pw_uid, server.pw_gid)
    primary = Cluster("primary", root / "primary", free_port(), PRIMARY_SETTINGS)
    standby = Cluster("standby", root / "standby", free_port(), STANDBY_SETTINGS)
    try:
        _run([str(PG_BIN / "initdb"), "-D", str(primary.data), "-U", "postgres", "--auth=trust", "--no-sync",
              "--encoding=UTF8", "--locale=C.UTF-8"])
        with open(primary.data / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        primary.start()
        primary.sql(f'CREATE DATABASE "{database}"')
        _run([str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
              "-D", str(standby.data), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"])
        standby.start()
        yield StandbyPair(primary, standby)
    finally:
        for cluster in (standby, primary):
            try:
                cluster.stop()
            except Exception:  # noqa: BLE001 — stop what can be stopped, then delete everything
                pass
        shutil.rmtree(root, ignore_errors=True)
