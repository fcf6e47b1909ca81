"""Redis away must not turn the rate-limited routes into 500s (issue 10, item 5).

While the limiter's Redis cannot be reached, each worker counts in its own memory (the limits still
apply, per worker), says so once in the log, and goes back to Redis when it answers again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import pytest
import redis

from registry.extensions import limiter

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused at once
FALLBACK_MESSAGE = "falling back to in-memory storage"


@pytest.fixture(autouse=True)
def limiter_state(monkeypatch):
    """The limiter is one object for every app of this process: a test's "storage is dead" must not
    outlive it (monkeypatch puts the attributes back afterwards)."""
    monkeypatch.setattr(limiter, "_storage_dead", False)
    monkeypatch.setattr(limiter, "_Limiter__check_backend_count", 0)
    monkeypatch.setattr(limiter, "_Limiter__last_check_backend", time.time())


@pytest.fixture
def app_overrides(request, tmp_path):
    storage = REDIS_URL if "redis_db" in request.fixturenames else DEAD_REDIS
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage, "API_RATE_LIMIT": "3 per minute",
            "EVIDENCE_DIR": str(tmp_path / "evidence")}


def until_refused(send, most: int) -> list[int]:
    """Statuses of `send()` up to the first 429 (at most `most` calls)."""
    statuses = []
    for _ in range(most):
        statuses.append(send().status_code)
        if statuses[-1] == 429:
            break
    return statuses


def fallback_warnings(caplog) -> int:
    return sum(FALLBACK_MESSAGE in record.getMessage() for record in caplog.records)


def test_with_redis_down_limited_routes_answer_and_limits_still_apply(app, client, make_user, make_shop, caplog):
    caplog.set_level(logging.INFO)
    staff = make_user(role="staff", login="staff@xihu.example.cn", district="西湖区")
    shop = make_shop()
    started, requests = time.monotonic(), 0

    # Staff sign in as usual…
    signed_in = client.post("/login", data={"login": staff.login, "password": "correct horse battery"})
    assert signed_in.status_code == 302
    client.post("/logout")
    # …and guessing is still limited (in this worker's memory).
    logins = until_refused(lambda: client.post("/login", data={"login": staff.login, "password": "wrong guess"}), 30)
    assert logins[-1] == 429 and set(logins[:-1]) == {200}

    # SMS codes for a complaint: sent, then limited per phone.
    codes = until_refused(lambda: client.post(f"/m/{shop.public_code}/complain",
                                              data={"phone": "13867452301", "send": "1"}), 30)
    assert codes[-1] == 429 and set(codes[:-1]) == {200}

    # /verify (30 a minute) and the API (3 a minute here).
    verify = until_refused(lambda: client.get("/verify", query_string={"code": "ABCD2345"}), 40)
    assert verify[-1] == 429 and set(verify[:-1]) == {200}
    api = until_refused(lambda: client.get("/api/v1/shops"), 10)
    assert api == [200, 200, 200, 429]
    assert client.get("/api/v1/shops").get_json()["error"]["code"] == "rate_limited"

    requests = 2 + len(logins) + len(codes) + len(verify) + len(api) + 1
    # Refused connections fail fast: no request waits on Redis.
    assert (time.monotonic() - started) / requests < 0.2
    # Said once, not once per request.
    assert fallback_warnings(caplog) == 1


class SilentServer:
    """A TCP port that accepts connections and never answers (a hung Redis, a black-holed network)."""

    def __enter__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)  # the kernel completes the handshakes; nobody reads or writes
        return f"redis://127.0.0.1:{self.socket.getsockname()[1]}/0"

    def __exit__(self, *exc):
        self.socket.close()


def test_a_redis_that_never_answers_costs_a_fraction_of_a_second_then_none(database_url, caplog):
    from conftest import make_app

    caplog.set_level(logging.INFO)
    with SilentServer() as url:
        app = make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=url)
        client = app.test_client()
        timings = []

        def ask():
            for _ in range(5):
                started = time.monotonic()
                response = client.get("/verify")
                timings.append((response.status_code, time.monotonic() - started))

        worker = threading.Thread(target=ask, daemon=True)
        worker.start()
        worker.join(timeout=10)
        assert not worker.is_alive(), "a request waited on the silent Redis"
    assert [status for status, _ in timings] == [200] * 5
    assert timings[0][1] < 2  # the first request finds out (socket timeout)…
    assert max(seconds for _, seconds in timings[1:]) < 0.5  # …the next ones count in memory at once
    assert fallback_warnings(caplog) == 1


@pytest.fixture
def redis_db():
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    connection.flushdb()
    yield connection
    connection.flushdb()


def test_counting_goes_back_to_redis_when_it_returns(app, client, redis_db, caplog):
    caplog.set_level(logging.INFO)
    client_of_redis = limiter.storage.storage
    working_pool = client_of_redis.connection_pool

    assert client.get("/verify").status_code == 200
    assert redis_db.keys("*")  # counted in Redis

    # Redis goes away: answered from memory.
    redis_db.flushdb()
    client_of_redis.connection_pool = redis.ConnectionPool.from_url(DEAD_REDIS)
    try:
        assert [client.get("/verify").status_code for _ in range(3)] == [200] * 3
        assert fallback_warnings(caplog) == 1
    finally:
        client_of_redis.connection_pool = working_pool
    assert not redis_db.keys("*")

    # Redis is back: the next backend check (the limiter spaces them out; due now) finds it.
    limiter._Limiter__last_check_backend = 0
    assert client.get("/verify").status_code == 200
    assert any("storage recovered" in record.getMessage() for record in caplog.records)
    assert redis_db.keys("*")
