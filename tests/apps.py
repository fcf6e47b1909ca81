"""The test apps: `make_app` (the test settings over create_app), the test client every app uses, and the
app a test gets from the `app` fixture, which is reused from the test before when it can be.

Building an app is the slowest part of a small test (~0.1–0.3 s: Werkzeug compiles a URL builder for
each of the ~100 routes, and a new SQLAlchemy engine starts with an empty SQL compilation cache). So
the `app` fixture hands a test the app the previous test used, when both asked for the same database
and settings, no other app was built in between and the test did not ask for its own
(`@pytest.mark.own_app`, for tests that add routes). Between tests the reused app is put back as
built: its config, the caches services keep in `app.extensions`, the rate limiter's memory storage
and its database connections. Everything here goes through public APIs (Flask's
`test_client_class`, Jinja's bytecode cache, Flask-Limiter's `reset`, SQLAlchemy's `dispose`).
"""

from __future__ import annotations

import copy
import weakref
from dataclasses import dataclass

from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from jinja2 import BytecodeCache

from registry import create_app
from registry.extensions import db, limiter


class FreshRequestClient(FlaskClient):
    """The test client of every test app: each request gets its own `g`, as a real request has.

    The `app` fixture keeps an application context pushed for the whole test, and Flask reuses a
    pushed context for requests, so `g` outlives a request: the user Flask-Login loaded, the
    locale Flask-Babel chose and Flask-WTF's "CSRF already checked" mark would carry over into
    the next request and make session, language and CSRF tests pass for the wrong reason.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            vars(g._get_current_object()).clear()
        return super().open(*args, **kwargs)


class _SharedTemplateCode(BytecodeCache):
    """Jinja's compiled templates, shared by the apps of this process.

    A test that builds its own app has its own Jinja environment, which would compile each template
    it renders again (~60 ms for a page test). A bytecode cache is Jinja's own way to reuse compiled
    templates; entries are keyed by template name and file and checked against the source's hash.
    """

    def __init__(self):
        self._code = {}

    def load_bytecode(self, bucket):
        code = self._code.get((bucket.key, bucket.checksum))
        if code is not None:
            bucket.code = code

    def dump_bytecode(self, bucket):
        self._code[(bucket.key, bucket.checksum)] = bucket.code


_COMPILED_TEMPLATES = _SharedTemplateCode()

# The apps of this process still alive, and the last app built: the extensions are module-level
# objects (one Limiter, one LoginManager) that init_app points at the latest app.
_apps: weakref.WeakSet[Flask] = weakref.WeakSet()
_latest: Flask | None = None


def make_app(database_url: str, **overrides) -> Flask:
    global _latest
    config = {
        "REGISTRY_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "PUBLIC_BASE_URL": "https://cxm.example.cn",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    if database_url.startswith("postgresql"):
        # Test data need not survive a crash: skipping the WAL flush on commit makes the
        # PostgreSQL run several times faster without changing what the tests observe.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True,
                                               "connect_args": {"options": "-c synchronous_commit=off"}}
    config.update(overrides)
    app = create_app(config)
    app.jinja_env.bytecode_cache = _COMPILED_TEMPLATES
    app.test_client_class = FreshRequestClient
    _apps.add(app)
    _latest = app
    return app


def close_connections() -> None:
    """Close every pooled database connection of this process's apps (before a database is replaced,
    emptied or dropped). An engine reconnects when next used, and keeps its SQL compilation cache."""
    for app in list(_apps):
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


@dataclass
class _Reusable:
    key: tuple
    app: Flask
    config: dict
    extensions: frozenset


reused: _Reusable | None = None


def app_for_test(database_url: str, overrides: dict, own: bool = False) -> Flask:
    """The previous test's app when it was built for the same database and settings and is still the
    latest app; otherwise a new one (kept for the next test unless `own`)."""
    global reused
    key = (database_url, _settings_key(overrides))
    if not own and key[1] is not None and reused is not None and reused.key == key and reused.app is _latest:
        return reused.app
    app = make_app(database_url, **overrides)
    reused = None if own or key[1] is None else _Reusable(key, app, _snapshot(app.config), frozenset(app.extensions))
    return app


def put_back(app: Flask) -> None:
    """After a test: the reused app as it was built (settings the test changed, caches it filled)."""
    if reused is None or reused.app is not app:
        return
    app.config.clear()
    app.config.update(_snapshot(reused.config))
    for name in set(app.extensions) - reused.extensions:
        del app.extensions[name]
    if app is _latest and app.config["RATELIMIT_STORAGE_URI"] == "memory://" and limiter.enabled:
        limiter.reset()  # the counters of this test's requests (the one Limiter serves the latest app)


def _settings_key(overrides: dict) -> str | None:
    """A comparable form of the settings, or None when they hold something that has no stable form."""
    try:
        return repr(sorted((name, _stable(value)) for name, value in overrides.items()))
    except TypeError:
        return None


def _stable(value):
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_stable(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((name, _stable(item)) for name, item in value.items()))
    raise TypeError(type(value))


def _snapshot(config) -> dict:
    """A copy of the settings that a test changing a nested value (a dict of options) cannot reach."""
    copied = {}
    for name, value in config.items():
        try:
            copied[name] = copy.deepcopy(value)
        except Exception:  # a value that cannot be copied (a class, a callable) is not changed in place
            copied[name] = value
    return copied
