"""Staff's slow campaign work holds no write lock (issue 10, item 3): a shop list of 5,000 rows is read
and checked, and PDFs of up to 500 letters or posters are drawn, from a read snapshot; only the short
record of it is written. Meanwhile (on SQLite) another connection must get the write lock at once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.campaigns import pdf, spreadsheets
from registry.campaigns.models import ImportBatch, ShopInvitation
from registry.extensions import db
from tests.campaigns.conftest import csv_text, shop_row
from tests.campaigns.test_views import claim, count, imported_batch, post_file
from tests.write_lock import another_writer_blocked

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


@pytest.fixture
def staff(make_user, login_as, client):
    user = make_user(role="staff", name="张工作")
    login_as(client, user)
    return user


@pytest.fixture
def probe(monkeypatch):
    """probe(module, name): wrap that function; `seen` gets, per call, who blocked a writer meanwhile."""
    seen = []

    def wrap(module, name):
        real = getattr(module, name)

        def probed(*args, **kwargs):
            seen.append(another_writer_blocked())
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, probed)
        return seen

    return wrap


def actions(action: str) -> int:
    return db.session.scalar(select(func.count()).where(AuditEntry.action == action))


def test_an_uploaded_list_is_read_and_checked_without_the_write_lock(client, staff, probe):
    seen = probe(spreadsheets, "read_shop_list")
    response = post_file(client, csv_text([shop_row(name="甲店"), shop_row(name="乙店")]).encode())
    assert response.status_code == 302
    assert seen == [None]
    assert count(ImportBatch) == 1 and db.session.scalars(select(ImportBatch)).one().valid_count == 2


def test_the_letters_pdf_is_drawn_without_the_write_lock(client, staff, probe):
    batch = imported_batch(client, [shop_row(name="甲店"), shop_row(name="乙店")])
    seen = probe(pdf, "invitation_letters")
    response = client.post(f"/staff/campaigns/batches/{batch.id}/letters.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert seen == [None]
    assert actions("campaign.letters_printed") == 1


def test_the_posters_pdf_is_drawn_without_the_write_lock(client, staff, probe, make_user, login_as, pledge, app):
    batch = imported_batch(client, [shop_row(name=f"老街小吃{i}号店") for i in range(2)])
    owner_client = login_as(app.test_client(), make_user())
    for invitation in db.session.scalars(select(ShopInvitation)):
        shop = invitation.merchant
        claim(owner_client, invitation.code, shop.contact_phone[-4:])
        owner_client.post(f"/my/shops/{shop.id}/sign", data={
            "clauses": [c.number for c in pledge.clauses], "signer_name": "王美好", "signer_title": "店主",
            "version_id": str(pledge.id)})
    seen = probe(pdf, "badge_posters")

    started = client.post("/staff/campaigns/posters", data={"batch": str(batch.id), "district": "", "township": ""})
    response = client.get(f"{started.location}/file")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert seen == [None]
    assert actions("campaign.posters_printed") == 1
