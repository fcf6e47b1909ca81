"""The development outbox page (messaging/dev_views.py): there with REGISTRY_ENV=development, newest
message first; absent (404) in tests' default configuration and in production."""

from __future__ import annotations

import pytest

from registry.extensions import db
from registry.messaging.outbox import queue_sms
from tests.production import BrowserClient


@pytest.fixture
def app_overrides(request, monkeypatch, tmp_path):
    if request.node.get_closest_marker("production"):
        from tests.production import production_overrides

        return production_overrides(EVIDENCE_DIR=str(tmp_path / "evidence"))
    if getattr(request, "param", None) == "development":
        monkeypatch.setenv("SECRET_KEY", "development-secret-for-this-test-0123456789")  # no file under instance/
        return {"REGISTRY_ENV": "development", "EVIDENCE_DIR": str(tmp_path / "evidence")}
    return {}


@pytest.mark.parametrize("app_overrides", ["development"], indirect=True)
def test_a_developer_reads_the_outbox_newest_first(app, client):
    queue_sms("13812345678", "【西子消协】第一条", "test")
    queue_sms("13912345678", "【西子消协】第二条", "test")
    db.session.commit()
    response = client.get("/dev/outbox")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert html.index("第二条") < html.index("第一条")
    assert "13912345678" in html


def test_the_outbox_page_is_absent_in_tests(app, client):
    assert "dev_outbox" not in app.blueprints
    assert client.get("/dev/outbox").status_code == 404


@pytest.mark.production
def test_the_outbox_page_is_absent_in_production(app):
    assert "dev_outbox" not in app.blueprints
    assert BrowserClient(app).get("/dev/outbox").status == 404
