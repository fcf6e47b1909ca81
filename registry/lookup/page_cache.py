"""The QR page's exact cache: a rendered page is served again only while nothing it shows has changed.

The key: the shop's `page_version` and the `page_generation` (registry/page_versions.py: bumped in the
same transaction as every change the page shows), read with one indexed lookup per request; the
release (templates, translations, code), the issuer settings, the language, the host and the query
string. An entry also carries a valid-until time, the first moment the clock alone changes the page (a
sanction's end, a signature's expiry, a re-sign deadline, a mark's listing period, the next Beijing
midnight): it is never served at or after it. The "checked at" time is not in the entry: the page is
stored with CHECKED_AT_SLOT, filled in as each request is answered.

Two layers: a bounded LRU in each worker (PAGE_CACHE_LOCAL_BYTES) in front of Redis shared by every
worker and host (PAGE_CACHE_URL; off when unset). Both are looked up by the same key, so the worker's
layer is as exact as the shared one.

Consistency: the version is read in the request, from the database the request reads (the primary, or
a standby within its lag bound), before the page's own queries; so a change committed on the primary is
on the next page served after the commit (well within the 1 s the issue allows), and a page rendered
from data newer than its key is only ever replaced sooner. Only anonymous visitors without flashed
messages share pages: a signed-in user's page, or one carrying a message, is rendered for them alone.
Redis unreachable: pages are rendered (the worker's layer still serves), the failure is logged and
Redis is asked again after SHARED_RETRY_SECONDS.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import time
import zlib
from collections import OrderedDict
from datetime import datetime
from pathlib import Path

from flask import current_app, request, session
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import bindparam, func, select
from werkzeug.wrappers import Request

from registry.clock import local_datetime, utcnow
from registry.config import PROJECT_ROOT
from registry.database import reading_only
from registry.extensions import db
from registry.i18n import language_of
from registry.merchants.models import Merchant, Standing
from registry.page_versions import PageGeneration
from registry.replica import reading_from_standby
from registry.web import new_request_id, security_header_items

log = logging.getLogger(__name__)

# Stands where the page says when it was checked; user text is escaped, so it cannot contain it.
CHECKED_AT_SLOT = Markup("<!--checked-at-->")
CHECKED_AT_FORMAT = "%Y-%m-%d %H:%M:%S"
# Longer query strings (not what a QR encodes) are rendered without the cache.
MAX_QUERY_BYTES = 64
SHARED_RETRY_SECONDS = 5.0

# What a response says about where its page came from (X-Page-Cache; tests and the bench read it).
LOCAL, SHARED, RENDERED, UNCACHED = "local", "shared", "miss", "off"


@functools.cache
def _version_statement():
    """(page_version, generation) of a public shop by public code; built once per process."""
    generation = select(PageGeneration.generation).where(PageGeneration.id == 1).scalar_subquery()
    return (select(Merchant.page_version, func.coalesce(generation, 0))
            .where(Merchant.public_code == bindparam("code"), Merchant.standing != Standing.PENDING.value))


@functools.cache
def release_digest(root: Path = PROJECT_ROOT) -> str:
    """What every page is drawn with: templates, translations and the code, by content (a deploy that
    changes any of them starts new keys; workers of two releases can share one Redis)."""
    digest = hashlib.blake2b(digest_size=8)
    for folder, pattern in (("templates", "**/*.html"), ("registry", "**/*.py"), ("registry/translations", "**/*.mo")):
        for path in sorted((root / folder).glob(pattern)):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


class LocalPages:
    """This worker's most recently used pages (UTF-8), at most `limit` bytes of them."""

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self.entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def get(self, key: str, now: float) -> bytes | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if now >= entry[0]:
            self._drop(key)
            return None
        self.entries.move_to_end(key)
        return entry[1]

    def put(self, key: str, valid_until: float, body: bytes) -> None:
        if len(body) > self.limit:
            return
        if key in self.entries:
            self._drop(key)
        self.entries[key] = (valid_until, body)
        self.size += len(body)
        while self.size > self.limit:
            self._drop(next(iter(self.entries)))

    def _drop(self, key: str) -> None:
        self.size -= len(self.entries.pop(key)[1])


class SharedPages:
    """Redis: pages stored zlib-compressed with their valid-until, expiring at it."""

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=0.25, socket_timeout=0.25)
        self.errors = (redis.RedisError, OSError)
        self.down_until = 0.0

    def _failed(self, error: Exception) -> None:
        log.warning("page cache: Redis unreachable (%s); pages are rendered, Redis is asked again in %s s",
                    error, SHARED_RETRY_SECONDS)
        self.down_until = time.monotonic() + SHARED_RETRY_SECONDS

    def get(self, key: str, now: float) -> tuple[float, bytes] | None:
        if time.monotonic() < self.down_until:
            return None
        try:
            stored = self.client.get(key)
        except self.errors as error:
            self._failed(error)
            return None
        if stored is None:
            return None
        head, _, packed = stored.partition(b"\n")
        valid_until = float(head)
        return (valid_until, zlib.decompress(packed)) if now < valid_until else None

    def put(self, key: str, valid_until: float, body: bytes, now: float) -> None:
        if time.monotonic() < self.down_until:
            return
        packed = f"{valid_until:.3f}\n".encode() + zlib.compress(body, 1)
        try:
            self.client.set(key, packed, px=max(1, int((valid_until - now) * 1000)))
        except self.errors as error:
            self._failed(error)


class PageCache:
    def __init__(self, app):
        config = app.config
        self.local = LocalPages(int(config.get("PAGE_CACHE_LOCAL_BYTES", 0)))
        self.shared = SharedPages(config["PAGE_CACHE_URL"]) if config.get("PAGE_CACHE_URL") else None
        issuer = repr(sorted((name, value) for name, value in config.items() if name.startswith("ISSUER_")))
        self.prefix = "cxm:qr:" + hashlib.blake2b(
            f"{release_digest()}|{issuer}|{config.get('PUBLIC_BASE_URL')}|{sorted(config['LANGUAGES'])}".encode(),
            digest_size=8).hexdigest()

    @property
    def enabled(self) -> bool:
        return self.local.limit > 0 or self.shared is not None


def page_cache(app=None) -> PageCache:
    """The app's cache, made on first use (in the worker, after gunicorn forks)."""
    app = app or current_app
    cache = app.extensions.get("page_cache")
    if cache is None:
        cache = app.extensions["page_cache"] = PageCache(app)
    return cache


def _shared_by_anyone(config, cookies, open_session) -> bool:
    """Whether the page being answered may be shared: an anonymous visitor with no flashed message."""
    if cookies.get(config.get("REMEMBER_COOKIE_NAME", "remember_token")):
        return False
    if config["SESSION_COOKIE_NAME"] not in cookies:
        return True  # no session: nobody signed in, no messages (and the session is not touched)
    if open_session is None:
        return False
    session_ = open_session()
    return "_user_id" not in session_ and "_flashes" not in session_


def _page_key(cache: PageCache, code: str, request_, locale: str) -> str | None:
    """The key of `request_`'s page (a Flask request, or a plain werkzeug one in the fast path), after
    the one indexed lookup of the shop's page version; None for an unknown or pending shop."""
    # Through the session's connection (its bind, its transaction), past the ORM's statement handling.
    row = db.session.connection().execute(_version_statement(), {"code": code.lower()}).first()
    if row is None:
        return None
    page_version, generation = row
    parts = b"|".join((str(generation).encode(), code.encode(), str(page_version).encode(), locale.encode(),
                       request_.host.encode(), request_.query_string))
    return f"{cache.prefix}:{hashlib.blake2b(parts, digest_size=16).hexdigest()}"


def _worth_a_look(cache: PageCache, code: str, request_) -> bool:
    return cache.enabled and 0 < len(code) <= 32 and len(request_.query_string) <= MAX_QUERY_BYTES


def shop_page_key(code: str) -> tuple[str | None, bool]:
    """The cache key of this request's QR page, or None when it is not shared (signed in, a message
    waiting, an unknown or pending shop, an odd query string) or the cache is off; and whether the fast
    path already found it missing (a request without a session cookie, looked up a moment ago)."""
    missed = request.environ.get(MISSED_KEY)
    # The fast path read the version on the primary. A page drawn from the standby must be keyed by the
    # standby's own version, or a lagging standby's page would be stored under the primary's newer
    # version and served as current (registry/replica.py): then the key is read again, there.
    if missed and not reading_from_standby():
        return missed, True
    return _flask_page_key(code), False


def _flask_page_key(code: str) -> str | None:
    cache = page_cache()
    if not _worth_a_look(cache, code, request) or \
            not _shared_by_anyone(current_app.config, request.cookies, lambda: session):
        return None
    return _page_key(cache, code, request, str(get_locale()))


def cached_page(key: str, now: datetime, cache: PageCache | None = None) -> tuple[bytes, str] | None:
    """(body, layer) of a page still valid at `now`, from this worker or from Redis."""
    cache, moment = cache or page_cache(), now.timestamp()
    body = cache.local.get(key, moment)
    if body is not None:
        return body, LOCAL
    if cache.shared is not None:
        found = cache.shared.get(key, moment)
        if found is not None:
            cache.local.put(key, *found)
            return found[1], SHARED
    return None


def keep(key: str, body: bytes, valid_until: datetime, now: datetime) -> None:
    """Store a page just rendered, valid until `valid_until`, in both layers."""
    cache, moment, until = page_cache(), now.timestamp(), valid_until.timestamp()
    if until <= moment:
        return
    cache.local.put(key, until, body)
    if cache.shared is not None:
        cache.shared.put(key, until, body, moment)


_SLOT_BYTES = str(CHECKED_AT_SLOT).encode()


def with_checked_at(body: bytes, now: datetime) -> bytes:
    """The page (UTF-8) with the time it is answered at."""
    return body.replace(_SLOT_BYTES, local_datetime(now, CHECKED_AT_FORMAT).encode(), 1)


# The key the fast path looked up and did not find: the view renders under it without asking again.
MISSED_KEY = "registry.page_cache.missed"

# The QR page's path; public codes are lower-case letters and digits (merchants.services).
_SHOP_PATH = re.compile(r"/m/([0-9a-z]{1,32})")


class ServeCachedPages:
    """WSGI middleware, the lean path of the most requested page: an anonymous GET of a QR page that is
    in the cache is answered here, before Flask builds a request context, opens a session, selects the
    user, checks rate limits or CSRF (none of which such a page needs). It reads the same key as the
    view (one indexed lookup through db.session in an app context) and sends the same headers
    (web.security_header_items). Anything else, a miss, or any error here goes on to Flask: a page is
    only ever stored by the view, after Flask accepted the request (host, query string, path)."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ, start_response):
        served = None
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO", "").startswith("/m/"):
            try:
                served = self._from_cache(environ)
            except Exception:  # never worse than without the fast path
                log.exception("page cache: fast path failed; the request goes on to the application")
        if served is None:
            return self.wsgi_app(environ, start_response)
        body, layer = served
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
                                  ("Cache-Control", "no-cache"), ("X-Page-Cache", layer), ("Vary", "Cookie"),
                                  *security_header_items(self.app.config), ("X-Request-Id", new_request_id())])
        return [body]

    def _from_cache(self, environ) -> tuple[bytes, str] | None:
        found = _SHOP_PATH.fullmatch(environ["PATH_INFO"])
        cache = page_cache(self.app)
        request_ = Request(environ)
        config = self.app.config
        if found is None or not _worth_a_look(cache, found[1], request_) \
                or not _shared_by_anyone(config, request_.cookies, None):
            return None
        with self.app.app_context(), reading_only():
            key = _page_key(cache, found[1], request_, language_of(request_, config["LANGUAGES"]))
            now = utcnow()
            cached = cached_page(key, now, cache) if key else None
        if cached is None:
            if key:
                environ[MISSED_KEY] = key
            return None
        return with_checked_at(cached[0], now), cached[1]
