"""Two app instances behind one nginx upstream, as two hosts would run them (deploy/DEPLOY.md, "Two or more
app hosts"): gunicorn twice (production settings, one worker each, `--no-control-socket`) on this test's
database, one Redis for the rate limits and one EVIDENCE_DIR, in the upstream of the shipped nginx config
over TLS (tests/browser/https_stack.py). A browser (tests/production.py `BrowserClient` over real HTTP,
`RemoteServer`) is sent to one instance or the other: a photo filed on one is served by the other, a
sign-in on one is valid on the other, and a rate limit counts the requests of both once.
PostgreSQL only (TEST_DATABASE_URL): two hosts cannot share a SQLite file. Skipped without nginx/openssl,
unless REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from registry.complaints.models import Complaint, EvidencePhoto
from registry.extensions import db
from tests.browser.test_complaint_journey import STAFF_LOGIN
from tests.browser.test_https_journey import seed_signed_shop_and_officer
from tests.complaints.test_over_https import file_as_consumer
from tests.conftest import PASSWORD, TEST_DATABASE_URL
from tests.production import BrowserClient, RemoteServer

VERIFY_LIMIT = 30  # registry/lookup/public_views.py: /verify, 30 per minute per client address


@pytest.fixture
def two_instances(database_url, tmp_path):
    from tests.browser.https_stack import https_stack, missing_tools

    if not TEST_DATABASE_URL:
        pytest.skip("two app hosts share PostgreSQL (TEST_DATABASE_URL), not a SQLite file: skipped on SQLite")
    reason = missing_tools()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}: required by REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(f"{reason}: two-instance test skipped")
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    with https_stack(database_url, tmp_path / "stack", redis_url, workers=1, instances=2) as stack:
        yield stack


def test_two_instances_share_sign_ins_rate_limits_and_evidence_photos(two_instances):
    stack = two_instances
    first, second = (instance.port for instance in stack.instances)
    assert first != second
    shop = seed_signed_shop_and_officer(stack)

    # A consumer files a complaint with a photo on the first instance.
    consumer = BrowserClient(RemoteServer(first), origin=stack.url)
    with stack.app.app_context():
        case_url = file_as_consumer(consumer, SimpleNamespace(public_code=shop["public_code"]))
        complaint = db.session.scalar(select(Complaint).where(Complaint.merchant_id == shop["id"]))
        photo = db.session.scalar(select(EvidencePhoto).where(EvidencePhoto.complaint_id == complaint.id))
        case = {"id": complaint.id, "tracking": complaint.tracking_number, "photo": photo.id,
                "stored": photo.stored_name}
        db.session.remove()
    assert (stack.evidence / case["stored"]).is_file()

    # The officer signs in on the second instance, which serves the photo the first one stored.
    to_staff = RemoteServer(second)
    staff = BrowserClient(to_staff, origin=stack.url, client_ip="198.51.100.20")
    staff.get("/login")
    assert staff.submit({"login": STAFF_LOGIN, "password": PASSWORD}).status == 200
    image = staff.get(f"/staff/evidence/{case['photo']}")
    assert image.status == 200 and image.response.mimetype == "image/jpeg"
    assert image.response.get_data() == (stack.evidence / case["stored"]).read_bytes()

    # That sign-in is valid on the first instance too, and through nginx (either instance).
    for port, tls in ((first, False), (second, False), (stack.nginx.port, True), (stack.nginx.port, True)):
        to_staff.port, to_staff.tls = port, tls
        page = staff.get(f"/staff/complaints/{case['id']}")
        assert page.status == 200 and case["tracking"] in page.text, (port, page.status)
    # And the consumer's case link works on the second instance.
    consumer.client.application.port = second
    assert consumer.get(case_url).status == 200

    # One rate limit for both: /verify's 30 a minute, taken in turn on each instance, is spent once.
    to_visitor = RemoteServer(first)
    visitor = BrowserClient(to_visitor, origin=stack.url, client_ip="198.51.100.99")
    statuses = []
    for n in range(VERIFY_LIMIT):
        to_visitor.port = (first, second)[n % 2]
        statuses.append(visitor.get("/verify").status)
    assert statuses == [200] * VERIFY_LIMIT
    for port in (first, second):
        to_visitor.port = port
        assert visitor.get("/verify").status == 429
