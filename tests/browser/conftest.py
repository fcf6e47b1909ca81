"""Browser fixtures: the system Chromium driven by pytest-playwright, and the app on a live server.

Playwright's own browser download is not available here, so the Debian Chromium is launched
through `executable_path`. Without it the tests are skipped, unless REQUIRE_BROWSER=1 (CI),
where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from registry.extensions import db
from tests.conftest import make_app, seed_areas

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True,
             locale="zh-CN", timezone_id="Asia/Shanghai")
DESKTOP = dict(viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")


def find_chromium() -> str | None:
    """CHROMIUM_PATH if set (and only it), else the Debian package's /usr/bin/chromium or one on PATH."""
    explicit = os.environ.get("CHROMIUM_PATH")
    candidates = [explicit] if explicit else ["/usr/bin/chromium", shutil.which("chromium"),
                                              shutil.which("chromium-browser")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at the system Chromium."""
    executable = find_chromium()
    if executable is None:
        message = "Chromium not found (apt-get install chromium): browser tests skipped"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message.replace("skipped", "required by REQUIRE_BROWSER=1"), pytrace=False)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url():
    """Replaces pytest-playwright's fallback `base_url`, a session fixture defined as an instance
    method, which pytest 9 deprecates (an error under filterwarnings=error). Each test has its own
    live server, so pages are opened with absolute URLs (live_server.url)."""
    return None


@pytest.fixture(autouse=True)
def _chromium_available(browser_type_launch_args):
    """Runs first in every browser test, so a missing Chromium skips before any server starts."""


class _LateApp:
    """A WSGI callable whose app is attached after the server (and so its port) exists."""

    app: Flask | None = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def live_app_overrides(tmp_path):
    """Settings for the live server's app (a test module overrides this fixture to add more).
    Evidence photos go under the test's tmp_path, never into instance/."""
    return {"EVIDENCE_DIR": str(tmp_path / "evidence")}


@pytest.fixture
def live_server(database_url, live_app_overrides):
    """The app served over real HTTP on 127.0.0.1; PUBLIC_BASE_URL is this server's address,
    so the QR codes it prints open in the test browser."""
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    thread = None
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        app = make_app(database_url, **{**live_app_overrides, "PUBLIC_BASE_URL": url})
        late.app = app
        with app.app_context():  # database_url has the schema, and no rows
            from registry.pledges.defaults import publish_default_pledge

            publish_default_pledge()
            seed_areas()
            db.session.remove()
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        yield LiveServer(url, app)
    finally:
        if thread is not None:
            server.shutdown()
            thread.join(timeout=10)
        server.server_close()
        if late.app is not None:
            with late.app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture
def phone_context(new_context):
    """phone_context(): a new phone-sized browser context (390×844 CSS px at 2×, touch, zh-CN)."""
    return lambda **extra: new_context(**{**PHONE, **extra})


@pytest.fixture
def desktop_context(new_context):
    """desktop_context(java_script_enabled=False, ...): a new 1280×900 browser context."""
    return lambda **extra: new_context(**{**DESKTOP, **extra})


@pytest.fixture
def phone(phone_context):
    return phone_context().new_page()


@pytest.fixture
def desktop(desktop_context):
    return desktop_context().new_page()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


def assert_no_horizontal_overflow(page) -> None:
    """Nothing on the page is wider than the viewport (no sideways scrolling on a phone)."""
    viewport_width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= viewport_width, f"{page.url}: page is {scroll_width}px wide in a {viewport_width}px viewport"


@pytest.fixture
def shot(screenshot_dir):
    """shot(page, "phone-01-register"): a full-page screenshot under test-artifacts/screenshots/."""

    def take(page, name: str, check_overflow: bool = True) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if check_overflow:
            assert_no_horizontal_overflow(page)
        return path

    return take


@pytest.fixture
def https_server(database_url, tmp_path):
    """The production stack as deployed (gunicorn + the shipped nginx config over TLS) on this test's
    database: tests/browser/https_stack.py. Skipped without nginx/openssl unless REQUIRE_BROWSER=1."""
    from tests.browser.https_stack import https_stack, missing_tools

    reason = missing_tools()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}: required by REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(f"{reason}: https browser tests skipped")
    with https_stack(database_url, tmp_path / "https", os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")) as stack:
        yield stack


@pytest.fixture
def https_jobs_server(database_url, tmp_path):
    """The production stack as deployed with the jobs queue on Redis and a `flask jobs worker` running it."""
    from tests.browser.https_stack import https_stack, missing_tools

    reason = missing_tools()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}: required by REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(f"{reason}: https browser tests skipped")
    with https_stack(database_url, tmp_path / "https", os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
                     with_jobs_worker=True) as stack:
        yield stack
