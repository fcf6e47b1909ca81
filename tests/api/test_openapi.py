"""Every /api/v1 operation fuzzed against the OpenAPI document it serves (schemathesis): valid and invalid
parameters, no 5xx, every status code documented, every body matching its schema, every invalid request
refused with a 4xx, and no consumer's or owner's personal data in any answer.

The registry is the one tests/api/test_views.py seeds; the path parameter `code` is offered the seeded shops' codes
(besides generated ones), so the 200 answers of the shop operations are checked, not only their 404s.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import make_app
from tests.api.test_views import PERSONAL, SEEDED_CODES, seed_registry

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def _served_document() -> dict:
    """The document as /api/v1/openapi.json serves it (it depends on code, not on data)."""
    app = make_app("sqlite://")
    with app.app_context():
        document = app.test_client().get("/api/v1/openapi.json").get_json()
    # Besides generated codes, try the seeded shops' (seed_registry gives them fixed codes).
    document["components"]["parameters"]["code"]["examples"] = {
        name: {"value": code} for name, code in SEEDED_CODES.items()}
    return document


schema = schemathesis.openapi.from_dict(_served_document())


@pytest.fixture
def seeded(app, make_shop, make_user, tmp_path):
    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    return seed_registry(make_shop, make_user)


@schema.parametrize()
@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_every_operation_matches_the_document(case, app, seeded):
    response = case.call(app=app)
    # Rules across parameters cannot be said in OpenAPI (year with start/end, end after start, at most
    # five years): /statistics may refuse schema-valid combinations, with a 400 naming the parameter.
    excluded = [positive_data_acceptance] if case.operation.path == "/statistics" else []
    case.validate_response(response, excluded_checks=excluded)
    if response.status_code == 400:
        assert response.json()["error"]["parameter"]
    assert response.status_code < 500
    assert "Set-Cookie" not in response.headers
    text = response.text
    for value in PERSONAL:
        assert value not in text
