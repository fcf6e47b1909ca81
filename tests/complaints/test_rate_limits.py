"""Abuse limits on the consumer's pages (SECURITY.md, "abuse"): SMS codes per phone and per IP,
complaints per verified phone; the counters live in Redis so that every worker shares them.

The verification service also refuses a second code within 60 seconds; these tests move its clock
61 seconds per code so that each request really sends one, and the limiter is what says no.
"""

from __future__ import annotations

import json
import os
import re
import time as _time
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from registry.complaints.models import Complaint
from registry.extensions import db
from registry.messaging.models import OutboxMessage

from .helpers import PHONE, complaint_form, count, hidden_value

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_overrides(request, tmp_path):
    storage = REDIS_URL if "redis_db" in request.fixturenames else "memory://"
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage, "EVIDENCE_DIR": str(tmp_path / "evidence")}


@pytest.fixture
def ticking(clock):
    """The verification clock: 61 seconds later on every reading, so no code is 'too soon'."""
    clock.tick = timedelta(seconds=61)


def send(client, shop_or_code, phone, ip):
    code = getattr(shop_or_code, "public_code", shop_or_code)
    response = client.post(f"/m/{code}/complain", data={"phone": phone, "send": "1"},
                           environ_base={"REMOTE_ADDR": ip})
    # End the request's transaction, as the end of a real request would (the test client shares the
    # test's session); on SQLite another worker could not write while it is open.
    db.session.rollback()
    return response


def codes_sent(phone=PHONE) -> int:
    return count(OutboxMessage, OutboxMessage.phone == phone)


# --- memory storage (one worker) ---------------------------------------------------------------


def test_sixth_code_for_one_phone_within_the_hour_is_refused_from_any_ip(client, world, ticking):
    # The same number typed five ways, from five addresses: one phone, one counter.
    typed = [PHONE, "138 6745 2301", "+86 13867452301", "138-6745-2301", "１３８６７４５２３０１"]
    for i, phone in enumerate(typed):
        response = send(client, world.shop, phone, f"10.0.0.{i + 1}")
        assert response.status_code == 200, i
        assert "验证码已发送" in response.get_data(as_text=True)
    assert codes_sent() == 5

    refused = send(client, world.shop, PHONE, "10.0.0.99")
    assert refused.status_code == 429
    assert "这个手机号获取验证码过于频繁" in refused.get_data(as_text=True)
    assert codes_sent() == 5  # the limiter answered before any SMS left

    # Another phone from the same address is not affected…
    assert send(client, world.shop, "13900001111", "10.0.0.99").status_code == 200
    assert codes_sent("13900001111") == 1
    # …and typing the code for the limited phone is not "sending": it is not refused.
    confirm = client.post(f"/m/{world.shop.public_code}/complain", data={"phone": PHONE, "code": "000000",
                                                                         "confirm": "1"},
                          environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert confirm.status_code == 200


def test_a_resend_within_60_seconds_is_the_services_refusal_not_the_limiters(client, world):
    assert send(client, world.shop, PHONE, "10.0.1.1").status_code == 200
    again = send(client, world.shop, PHONE, "10.0.1.1")
    assert again.status_code == 200 and "秒后再试" in again.get_data(as_text=True)
    assert codes_sent() == 1


class LimiterClock:
    """Moves the limiter's own clock (the memory storage reads time.time()) so windows can pass."""

    def __init__(self):
        self.offset = 0.0

    def time(self) -> float:
        return _time.time() + self.offset

    def advance(self, **delta) -> None:
        self.offset += timedelta(**delta).total_seconds()


@pytest.fixture
def limiter_clock(monkeypatch):
    clock = LimiterClock()
    monkeypatch.setattr("limits.storage.memory.time", clock)
    return clock


def confirm(client, shop, phone, ip):
    body = db.session.scalar(db.select(OutboxMessage.body).where(OutboxMessage.phone == phone)
                             .order_by(OutboxMessage.id.desc()).limit(1))
    response = client.post(f"/m/{shop.public_code}/complain",
                           data={"phone": phone, "code": re.search(r"验证码是 (\d{6})", body).group(1), "confirm": "1"},
                           environ_base={"REMOTE_ADDR": ip})
    db.session.rollback()
    return response


def test_many_consumers_behind_one_carrier_nat_address_verify_their_phones(app, world, ticking):
    """Phone networks put thousands behind one address: 25 consumers there each send and confirm a code
    (the old per-address limit of 20 posts an hour let 10 through)."""
    for i in range(25):
        consumer = app.test_client()  # each their own browser
        phone = f"1390000{i:04d}"
        assert send(consumer, world.shop, phone, "100.64.0.1").status_code == 200, i
        confirmed = confirm(consumer, world.shop, phone, "100.64.0.1")
        assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/complain/details"), i
    assert count(OutboxMessage) == 25


def test_the_per_phone_limits_still_hold_behind_one_address(client, world, ticking, limiter_clock):
    """5 codes an hour and 10 a day for one phone, whatever the address."""
    for i in range(5):
        assert send(client, world.shop, PHONE, "100.64.0.2").status_code == 200, i
    assert send(client, world.shop, PHONE, "100.64.0.3").status_code == 429
    limiter_clock.advance(hours=1, seconds=1)
    for i in range(5):
        assert send(client, world.shop, PHONE, f"100.64.1.{i}").status_code == 200, i
    refused = send(client, world.shop, PHONE, "100.64.0.4")
    assert refused.status_code == 429 and "这个手机号获取验证码过于频繁" in refused.get_data(as_text=True)
    limiter_clock.advance(hours=2)
    assert send(client, world.shop, PHONE, "100.64.0.5").status_code == 429  # the day's 10 are used
    assert codes_sent() == 10
    limiter_clock.advance(days=1)
    assert send(client, world.shop, PHONE, "100.64.0.5").status_code == 200


def test_one_address_may_ask_for_300_codes_an_hour(client, world, ticking):
    for i in range(300):
        assert send(client, world.shop, f"139{i:08d}", "100.64.0.6").status_code == 200, i
    assert send(client, world.shop, "13799999999", "100.64.0.6").status_code == 429
    assert codes_sent("13799999999") == 0
    # Confirming codes is counted apart (600 an hour), and other addresses are not affected.
    confirmed = confirm(client, world.shop, "13900000001", "100.64.0.6")
    assert confirmed.status_code == 200 and "验证码已过期" in confirmed.get_data(as_text=True)  # hours passed
    assert send(client, world.shop, "13799999999", "100.64.0.7").status_code == 200


def test_many_consumers_behind_one_address_file_their_complaints(app, world, verified):
    """25 verified consumers behind one address each file a complaint (the old limit stopped the 21st)."""
    url = f"/m/{world.shop.public_code}/complain/details"
    for i in range(25):
        consumer = verified(app.test_client(), f"1390000{i:04d}")
        key = hidden_value(consumer.get(url).get_data(as_text=True), "submission_key")
        filed = consumer.post(url, data=complaint_form(submission_key=key), environ_base={"REMOTE_ADDR": "100.64.0.8"})
        db.session.rollback()
        assert filed.status_code == 302 and "/c/" in filed.headers["Location"], i
    assert count(Complaint) == 25


def test_complaints_are_limited_per_verified_phone(app, world, verified):
    url = f"/m/{world.shop.public_code}/complain/details"
    client = verified(app.test_client())
    key = hidden_value(client.get(url).get_data(as_text=True), "submission_key")
    refused_form = complaint_form(submission_key=key, privacy_consent=None)  # shown again, nothing filed
    for i in range(5):
        response = client.post(url, data=refused_form, environ_base={"REMOTE_ADDR": f"10.0.3.{i + 1}"})
        assert response.status_code == 200, i
    limited = client.post(url, data=complaint_form(submission_key=key), environ_base={"REMOTE_ADDR": "10.0.3.9"})
    assert limited.status_code == 429
    assert "同一手机号每天最多提交 5 件投诉" in limited.get_data(as_text=True)
    assert count(Complaint) == 0

    # Another verified phone, from the same address as the refused post, may still file.
    other = verified(app.test_client(), "13900002222")
    key = hidden_value(other.get(url).get_data(as_text=True), "submission_key")
    filed = other.post(url, data=complaint_form(submission_key=key), environ_base={"REMOTE_ADDR": "10.0.3.9"})
    assert filed.status_code == 302
    assert count(Complaint) == 1


# --- Redis (shared by every worker) ------------------------------------------------------------


@pytest.fixture
def redis_db():
    """The test Redis database, flushed before and after; skipped when absent (fails under CI)."""
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.RedisError as error:
        connection.close()
        reason = f"Redis is not reachable at {REDIS_URL} ({error}); set TEST_REDIS_URL or start redis-server"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {reason}")
        pytest.skip(reason)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


def test_two_workers_share_the_counter_in_redis(app, world, redis_db, database_url, app_overrides, ticking):
    from tests.conftest import make_app

    code = world.shop.public_code
    worker_b = make_app(database_url, **app_overrides)  # a second create_app, as a second gunicorn worker has
    client_a, client_b = app.test_client(), worker_b.test_client()
    try:
        statuses = [send(client_a, code, PHONE, f"10.1.0.{i + 1}").status_code for i in range(3)]
        keys = [key.decode() for key in redis_db.keys("*")]
        assert any(PHONE in key for key in keys), f"the per-phone counter must be in Redis: {keys}"
        statuses += [send(client_b, code, PHONE, f"10.2.0.{i + 1}").status_code for i in range(3)]
    finally:
        with worker_b.app_context():
            db.engine.dispose()
    assert statuses == [200, 200, 200, 200, 200, 429]
    assert codes_sent() == 5


WORKER = """
import json, sys
from tests.conftest import make_app
url, code, phone, overrides = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
app = make_app(url, **overrides)
client = app.test_client()
statuses = [client.post(f"/m/{code}/complain", data={"phone": phone, "send": "1"},
                        environ_base={"REMOTE_ADDR": f"10.3.0.{i}"}).status_code for i in range(3)]
print(json.dumps(statuses))
"""


def test_a_worker_in_another_process_sees_the_same_counter(app, client, world, redis_db, database_url,
                                                           app_overrides, ticking):
    code = world.shop.public_code
    for i in range(3):
        assert send(client, code, PHONE, f"10.4.0.{i + 1}").status_code == 200, i
    db.session.remove()  # no lock or open transaction while the other process writes
    result = subprocess.run(
        [sys.executable, "-c", WORKER, database_url, code, PHONE, json.dumps(app_overrides)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # The other process's first two sends are within 60 s of ours (the service says "wait", 200);
    # its third is the sixth for this phone in the hour: refused by the shared counter.
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [200, 200, 429]
