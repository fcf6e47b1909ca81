"""The owner's signing page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from registry.badges.services import current_badge
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.pledges.models import Signature
from registry.pledges.signing import latest_signature

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


def sign_form(pledge, clauses=None, **fields) -> dict:
    data = {"clauses": sorted(c.number for c in pledge.clauses) if clauses is None else clauses,
            "signer_name": "王美好", "signer_title": "店主", "version_id": str(pledge.id)}
    data.update(fields)
    return data


def checkboxes(html: str) -> dict[int, bool]:
    """Clause number -> whether its box is ticked, as rendered."""
    boxes = re.findall(r'<input type="checkbox" name="clauses" value="(\d+)"( checked)?>', html)
    return {int(value): bool(checked) for value, checked in boxes}


def signature_count() -> int:
    return db.session.scalar(select(func.count(Signature.id)))


@pytest.fixture
def pending_shop(make_shop, login_as, client):
    """A registered, unsigned shop whose owner is signed in on `client`."""
    shop = make_shop(signed=False)
    login_as(client, shop.owner)
    return shop


def test_the_sign_page_shows_every_clause_unticked(client, pending_shop, pledge):
    response = client.get(f"/my/shops/{pending_shop.id}/sign")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert checkboxes(html) == {c.number: False for c in pledge.clauses}
    for clause in pledge.clauses:
        assert clause.text in html
    assert 'value="王美好"' in html  # the signer's name starts as the registered owner's


def test_signing_with_every_clause_ticked_activates_the_shop_and_issues_a_badge(client, pending_shop, pledge):
    response = client.post(f"/my/shops/{pending_shop.id}/sign", data=sign_form(pledge))

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/my/shops/{pending_shop.id}"
    db.session.expire_all()
    shop = db.session.get(Merchant, pending_shop.id)
    assert shop.standing == "active"
    assert current_badge(shop) is not None
    signature = latest_signature(shop)
    assert (signature.signer_name, signature.signer_title) == ("王美好", "店主")
    assert signature.ip_address == "127.0.0.1"


def test_a_missing_clause_keeps_what_was_typed_and_ticked_and_saves_nothing(client, pending_shop, pledge):
    response = client.post(f"/my/shops/{pending_shop.id}/sign",
                           data=sign_form(pledge, clauses=[1, 2, 4, 5, 6], signer_name="李建国", signer_title="店长"))

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "还有第 3 条未勾选" in html
    assert checkboxes(html) == {1: True, 2: True, 3: False, 4: True, 5: True, 6: True}
    assert 'value="李建国"' in html and 'value="店长"' in html
    assert signature_count() == 0
    db.session.expire_all()
    assert db.session.get(Merchant, pending_shop.id).standing == "pending"


def test_a_form_for_an_older_pledge_version_is_refused(client, pending_shop, pledge):
    response = client.post(f"/my/shops/{pending_shop.id}/sign", data=sign_form(pledge, version_id="999"))

    assert response.status_code == 200
    assert "倡议书刚刚更新了版本" in response.get_data(as_text=True)
    assert signature_count() == 0


def test_a_signed_shop_is_sent_back_to_its_desk(client, make_shop, login_as, pledge):
    shop = make_shop(signed=True)
    login_as(client, shop.owner)

    response = client.post(f"/my/shops/{shop.id}/sign", data=sign_form(pledge))

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/my/shops/{shop.id}"
    assert signature_count() == 1
