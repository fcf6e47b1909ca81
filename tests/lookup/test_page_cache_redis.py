"""The QR page cache's shared layer (PAGE_CACHE_URL): pages one worker rendered are served by the others
from Redis; with Redis unreachable pages are still served (rendered), the failure logged, never a 500."""

from __future__ import annotations

import logging
import os

import pytest
import redis

from registry.extensions import db
from registry.lookup.page_cache import page_cache
from registry.page_versions import bump_shop_pages

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused at once

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


@pytest.fixture
def app_overrides(request):
    return {"PAGE_CACHE_URL": REDIS_URL if "shared_redis" in request.fixturenames else DEAD_REDIS}


@pytest.fixture
def shared_redis():
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    connection.flushdb()  # the tests' own database (TEST_REDIS_URL)
    yield connection
    connection.flushdb()
    connection.close()


def forget_this_workers_pages(app) -> None:
    """As another worker: nothing of its own layer, only what Redis holds."""
    cache = page_cache(app)
    cache.local.entries.clear()
    cache.local.size = 0


def test_a_page_rendered_by_one_worker_is_served_by_another_from_redis(app, client, make_shop, shared_redis):
    shop = make_shop(name="美好生活超市")
    code = shop.public_code
    assert client.get(f"/m/{code}").headers["X-Page-Cache"] == "miss"
    assert len(shared_redis.keys("cxm:qr:*")) == 1
    forget_this_workers_pages(app)
    shared = client.get(f"/m/{code}")
    assert shared.headers["X-Page-Cache"] == "shared"
    assert "美好生活超市" in shared.get_data(as_text=True)
    assert client.get(f"/m/{code}").headers["X-Page-Cache"] == "local"

    bump_shop_pages(db.session, [shop.id])  # any change: the Redis entry is no longer asked for
    db.session.commit()
    forget_this_workers_pages(app)
    assert client.get(f"/m/{code}").headers["X-Page-Cache"] == "miss"


def test_redis_unreachable_pages_are_rendered_and_the_failure_is_logged(app, client, make_shop, caplog):
    code = make_shop(name="美好生活超市").public_code
    with caplog.at_level(logging.WARNING, logger="registry.lookup.page_cache"):
        first = client.get(f"/m/{code}")
        forget_this_workers_pages(app)
        second = client.get(f"/m/{code}")
    assert first.status_code == second.status_code == 200
    assert first.headers["X-Page-Cache"] == second.headers["X-Page-Cache"] == "miss"
    assert "美好生活超市" in second.get_data(as_text=True)
    assert any("Redis unreachable" in record.getMessage() for record in caplog.records)
    # The worker's own layer still serves while Redis is away.
    assert client.get(f"/m/{code}").headers["X-Page-Cache"] == "local"
