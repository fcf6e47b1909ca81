"""What each part of the request path costs on the public pages (issue 16): `python -m bench.hooks [SIZE]`.

On the cached bench SQLite database (make bench generates it), for the QR page served from the page
cache and the badge 304, the CPU microseconds per request spent in each before/after/teardown hook,
the session's open and save, the locale selection, the user loader, the view itself, and the whole
request through the test client; then the same for bench/hello.py. Each hook is timed by wrapping it;
the wrappers cost about a microsecond each.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from functools import wraps

from bench.generate import DATA_DIR
from bench.inprocess import production_app

REQUESTS = 2000


def _timed(costs: dict, name: str, function):
    @wraps(function)
    def timed(*args, **kwargs):
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            costs[name] += time.process_time() - started
    return timed


def instrument(app, costs: dict) -> None:
    for kind in ("before_request_funcs", "after_request_funcs", "teardown_request_funcs",
                 "teardown_appcontext_funcs"):
        registry = getattr(app, kind)
        functions = registry if isinstance(registry, list) else registry.setdefault(None, [])
        for index, function in enumerate(list(functions)):
            name = f"{kind.split('_')[0]}:{getattr(function, '__qualname__', repr(function))}"
            functions[index] = _timed(costs, name, function)
    interface = app.session_interface
    interface.open_session = _timed(costs, "session: open", interface.open_session)
    interface.save_session = _timed(costs, "session: save", interface.save_session)
    for endpoint in ("lookup.shop", "badges.badge_png"):
        app.view_functions[endpoint] = _timed(costs, f"view: {endpoint}", app.view_functions[endpoint])
    babel = app.extensions["babel"]
    babel.locale_selector = _timed(costs, "babel: locale selection", babel.locale_selector)
    login = app.login_manager
    if login._user_callback is not None:
        login._user_callback = _timed(costs, "flask-login: user loader", login._user_callback)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    size = int(argv[0]) if argv else 10_000
    found = sorted(DATA_DIR.glob(f"shops{size}-*.sqlite3"))
    runs = sorted((DATA_DIR / "runs").glob(f"*-shops{size}"))
    if not found or not runs:
        raise SystemExit(f"no bench data for {size} shops: run `make bench SIZE={size}` first")
    database_url = f"sqlite:///{found[-1]}"
    qr = (runs[-1] / "urls-qr.txt").read_text().splitlines()[0]
    badge, etag = (runs[-1] / "urls-badge304.txt").read_text().splitlines()[0].split("\t")
    app = production_app(database_url, PAGE_CACHE_URL=None)
    costs: dict[str, float] = defaultdict(float)
    instrument(app, costs)
    print(f"CPU µs per request, {REQUESTS} requests each, {found[-1].name}")
    for label, target, headers in (("QR page (page cache)", qr, {}), ("badge 304", badge, {"If-None-Match": etag})):
        for _ in range(50):
            app.test_client(use_cookies=False).get(target, headers=headers)
        costs.clear()
        client = app.test_client(use_cookies=False)
        status = client.get(target, headers=headers).status_code
        costs.clear()
        started = time.process_time()
        for _ in range(REQUESTS):
            client.get(target, headers=headers)
        total = (time.process_time() - started) / REQUESTS * 1e6
        print(f"\n{label} {target} → {status}: {total:.0f} µs per request in all (test client included)")
        for name, value in sorted(costs.items(), key=lambda item: -item[1]):
            if value / REQUESTS * 1e6 >= 1:
                print(f"  {value / REQUESTS * 1e6:7.0f}  {name}")
    from bench.hello import app as hello

    client = hello.test_client()
    for _ in range(50):
        client.get("/")
    started = time.process_time()
    for _ in range(REQUESTS):
        client.get("/")
    print(f"\nhello world: {(time.process_time() - started) / REQUESTS * 1e6:.0f} µs per request in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
