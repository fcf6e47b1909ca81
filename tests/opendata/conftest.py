"""Fixtures of the open-data tests: the export directory, a seeded registry and the export's moment."""

from __future__ import annotations

import pytest

from registry.clock import china_date as china_date_of
from registry.clock import utcnow
from tests.api.test_views import seed_registry


@pytest.fixture
def export_dir(app, tmp_path):
    path = tmp_path / "opendata"
    app.config["OPENDATA_DIR"] = str(path)
    # No AUDIT_CHECKPOINT_KEY in tests: the export signs with a development key kept here.
    app.config["AUDIT_CHECKPOINT_DEV_KEY_FILE"] = str(tmp_path / "audit-checkpoint-dev-key.pem")
    return path


@pytest.fixture
def seeded(app, make_shop, make_user, tmp_path, export_dir):
    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    return seed_registry(make_shop, make_user)


@pytest.fixture
def moment(seeded):
    """The export's time (after seeding, so every signature already holds) and its Beijing date."""
    now = utcnow()
    return now, china_date_of(now)
