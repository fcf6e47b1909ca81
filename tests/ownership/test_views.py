"""Ownership claims through the pages: the refused registration points to the claim form and the issuing
body's phone; the claim form (code first, then the photo); staff review the licence and decide; the
previous owner's shop list says what happened."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.issuer import issuing_body
from registry.merchants.models import Merchant
from registry.ownership.models import OwnershipClaim

from .conftest import REAL_PHONE, jpeg_bytes, last_code

pytestmark = pytest.mark.usefixtures("fresh_request_globals")

STATEMENT = "这家面馆是我 2019 年开的，营业执照在我名下，从未委托他人登记。"


def text(response) -> str:
    return response.get_data(as_text=True)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(OwnershipClaim))


def claim_form(dispute, **overrides):
    data = {"credit_code": dispute.shop.credit_code, "name": "陈真", "phone": REAL_PHONE, "code": "",
            "statement": STATEMENT}
    data.update(overrides)
    return data


def test_a_taken_credit_code_offers_the_claim_and_the_issuers_phone(client, dispute, login_as, shop_form):
    login_as(client, dispute.owner)
    refused = client.post("/my/shops/new", data=shop_form(credit_code=dispute.shop.credit_code))
    html = text(refused)
    assert "已登记过店铺" in html and issuing_body().phone in html
    assert f'href="/my/ownership-claim?credit_code={dispute.shop.credit_code}"' in html
    assert f'href="{issuing_body().phone_uri}"' in html
    assert 'value="王美好"' in html  # what was typed stays
    assert db.session.scalar(select(func.count()).select_from(Merchant)) == 1
    form = text(client.get(f"/my/ownership-claim?credit_code={dispute.shop.credit_code}"))
    assert f'value="{dispute.shop.credit_code}"' in form


def test_the_owner_files_a_claim_with_a_code_and_a_licence_photo(client, dispute, login_as, claim_dir):
    login_as(client, dispute.owner)
    sent = client.post("/my/ownership-claim", data=claim_form(dispute, send_code="1"))
    assert sent.status_code == 200 and "验证码已发送" in text(sent) and STATEMENT in text(sent)
    assert count() == 0
    wrong = client.post("/my/ownership-claim", content_type="multipart/form-data",
                        data=claim_form(dispute, code="000001", licence=(io.BytesIO(jpeg_bytes()), "执照.jpg")))
    assert wrong.status_code == 400 and "验证码不正确" in text(wrong) and STATEMENT in text(wrong)
    assert "浏览器不会保留已选的照片" in text(wrong)
    no_photo = client.post("/my/ownership-claim", data=claim_form(dispute, code=last_code(REAL_PHONE)))
    assert no_photo.status_code == 400 and "请上传营业执照照片。" in text(no_photo)
    assert count() == 0
    filed = client.post("/my/ownership-claim", content_type="multipart/form-data",
                        data=claim_form(dispute, code=last_code(REAL_PHONE),
                                        licence=(io.BytesIO(jpeg_bytes()), "执照.jpg")))
    assert filed.status_code == 302 and filed.headers["Location"].endswith("/my/ownership-claims")
    claim = db.session.scalar(select(OwnershipClaim))
    assert (claim.claimant_id, claim.phone, claim.statement) == (dispute.owner.id, REAL_PHONE, STATEMENT)
    assert "待核实" in text(client.get("/my/ownership-claims"))
    assert "认领申请正在核实中" in text(client.get("/my/shops"))


def _filed(client, dispute, login_as):
    login_as(client, dispute.owner)
    client.post("/my/ownership-claim", data=claim_form(dispute, send_code="1"))
    client.post("/my/ownership-claim", content_type="multipart/form-data",
                data=claim_form(dispute, code=last_code(REAL_PHONE), licence=(io.BytesIO(jpeg_bytes()), "执照.jpg")))
    return db.session.scalar(select(OwnershipClaim))


def test_staff_view_the_licence_and_transfer_the_shop(app, client, dispute, login_as):
    claim = _filed(client, dispute, login_as)
    login_as(client, dispute.staff)
    listing = text(client.get("/staff/ownership-claims/"))
    assert dispute.shop.name in listing and "138****2301" in listing
    page = text(client.get(f"/staff/ownership-claims/{claim.id}"))
    assert STATEMENT in page and f"/staff/ownership-claims/{claim.id}/licence" in page
    photo = client.get(f"/staff/ownership-claims/{claim.id}/licence")
    assert photo.status_code == 200 and photo.headers["Cache-Control"] == "no-store"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    photo.close()
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    bare = client.post(f"/staff/ownership-claims/{claim.id}/decide", data={"decision": "reject", "version": version})
    assert bare.status_code == 400 and "请填写不予通过的原因" in text(bare)
    done = client.post(f"/staff/ownership-claims/{claim.id}/decide", data={"decision": "transfer", "version": version})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Merchant, dispute.shop.id).owner_id == dispute.owner.id
    # The other officer's form, opened before: refused with the reason, nothing changed.
    login_as(client, dispute.staff2)
    late = client.post(f"/staff/ownership-claims/{claim.id}/decide",
                       data={"decision": "reject", "reason": "不属实。", "version": version})
    assert late.status_code == 302
    db.session.expire_all()
    assert db.session.get(OwnershipClaim, claim.id).status == "transferred"
    # The previous owner's list of shops says what happened, with the number to call.
    login_as(client, dispute.squatter)
    shops = text(client.get("/my/shops"))
    assert "转至营业执照上的经营者名下" in shops and issuing_body().phone in shops
    assert client.get(f"/my/shops/{dispute.shop.id}").status_code == 403
    login_as(client, dispute.owner)
    assert client.get(f"/my/shops/{dispute.shop.id}").status_code == 200


@pytest.mark.parametrize("who,status", [("staff_elsewhere", 403), ("squatter", 403), ("owner", 403)])
def test_only_staff_of_the_district_see_claims_and_licences(client, dispute, login_as, who, status):
    claim = _filed(client, dispute, login_as)
    login_as(client, getattr(dispute, who))
    for url in (f"/staff/ownership-claims/{claim.id}", f"/staff/ownership-claims/{claim.id}/licence"):
        assert client.get(url).status_code == status
    decided = client.post(f"/staff/ownership-claims/{claim.id}/decide",
                          data={"decision": "transfer", "version": str(claim.version)})
    assert decided.status_code == status
    db.session.expire_all()
    assert db.session.get(OwnershipClaim, claim.id).status == "pending"


@pytest.mark.parametrize("url", ["/my/ownership-claim", "/my/ownership-claims", "/staff/ownership-claims/"])
def test_anonymous_visitors_are_sent_to_sign_in(client, dispute, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_merchants_cannot_open_the_staff_claim_list(client, dispute, login_as):
    login_as(client, dispute.owner)
    assert client.get("/staff/ownership-claims/").status_code == 403
