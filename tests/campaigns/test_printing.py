"""Printing posters and invitation letters, without HTTP (campaigns.printing, campaigns.pdf)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.badges.services import badge_url
from registry.campaigns import claims, pdf, printing
from registry.campaigns.models import ImportBatch, ShopInvitation
from registry.clock import utcnow
from registry.errors import DomainError
from registry.extensions import db
from registry.merchants.models import Merchant
from registry.pledges.signing import sign_pledge
from tests.campaigns.conftest import (actions, assert_a4_with_embedded_fonts, imported, page_texts, qr_texts, shop_row)

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


# --- Printing ------------------------------------------------------------------------------------

def signed_import(staff, owner, pledge, rows) -> list[Merchant]:
    """Import rows, let `owner` claim every shop and sign the pledge for it."""
    shops = imported(staff, rows)
    for shop in shops:
        invitation = db.session.scalar(select(ShopInvitation).where(ShopInvitation.merchant_id == shop.id))
        claims.claim_shop(owner, invitation.code, shop.contact_phone[-4:])
        sign_pledge(shop, pledge, owner, shop.owner_name, "店主", "127.0.0.1", {c.number for c in pledge.clauses})
    db.session.commit()
    return shops


def test_posters_are_selected_by_district_township_and_batch(app, staff, make_user, make_shop, pledge):
    owner = make_user()
    batch_shops = signed_import(staff, owner, pledge, [
        shop_row(name="甲店", township="转塘街道"), shop_row(name="乙店", township="双浦镇")])
    other = make_shop(name="丙店", district="西湖区", township="转塘街道")
    make_shop(name="丁店", district="滨江区", township="长河街道")
    make_shop(name="未签署店", signed=False)
    lapsed = make_shop(name="过期店")
    db.session.execute(db.text("UPDATE signatures SET expires_at = :t WHERE merchant_id = :id"),
                       {"t": utcnow() - timedelta(days=1), "id": lapsed.id})
    db.session.commit()
    batch_id = db.session.scalar(select(ShopInvitation.batch_id).where(ShopInvitation.merchant_id == batch_shops[0].id))

    def names(**selection):
        return [item.shop.name for item in printing.poster_items(printing.PosterSelection(**selection), staff)]

    # By district, township and name (滨 < 西, 双 < 转, 丙 < 甲 in code point order); no pending, no lapsed.
    assert names() == ["丁店", "乙店", "丙店", "甲店"]
    assert names(district="西湖区", township="转塘街道") == ["丙店", "甲店"]
    assert names(batch_id=batch_id) == ["乙店", "甲店"]
    district_staff = make_user(role="staff", district="滨江区")
    assert [i.shop.name for i in printing.poster_items(printing.PosterSelection("西湖区"), district_staff)] == ["丁店"]
    assert other.id not in {item.shop.id for item in printing.poster_items(
        printing.PosterSelection(batch_id=batch_id), staff)}


def test_the_bulk_poster_pdf_has_one_page_per_shop_and_each_qr_opens_that_shops_page(app, staff, make_user, pledge):
    owner = make_user()
    signed_import(staff, owner, pledge, [shop_row(name=f"老街小吃{i}号店") for i in range(3)])
    items = printing.poster_items(printing.PosterSelection(), staff)

    data = pdf.badge_posters(items)

    texts = page_texts(data)
    assert len(texts) == 3
    assert_a4_with_embedded_fonts(data)
    assert qr_texts(data) == [[badge_url(item.shop, item.badge)] for item in items]
    for text, item in zip(texts, items):
        code = item.badge.verification_code
        assert item.shop.name in text
        assert f"验证码{code[:4]}-{code[4:]}" in text
        assert item.badge.serial in text and item.shop.credit_code in text
        assert all("".join(clause.text.split()) in text for clause in item.version.clauses)
        assert "https://cxm.example.cn/verify" in text


def test_invitation_letters_cover_the_unused_codes_and_are_recorded(app, staff, make_user):
    shops = imported(staff, [shop_row(name="甲店"), shop_row(name="乙店"), shop_row(name="丙店")])
    used = db.session.scalar(select(ShopInvitation).where(ShopInvitation.merchant_id == shops[0].id))
    claims.claim_shop(make_user(), used.code, shops[0].contact_phone[-4:])
    db.session.commit()
    batch = db.session.scalar(select(ImportBatch))

    invitations = printing.letters_to_print(batch, staff)
    data = pdf.invitation_letters(invitations)
    db.session.commit()

    assert [inv.merchant.name for inv in invitations] == ["乙店", "丙店"]
    texts = page_texts(data)
    assert len(texts) == 2
    assert_a4_with_embedded_fonts(data)
    assert qr_texts(data) == [[f"https://cxm.example.cn/my/claim?code={inv.code}"] for inv in invitations]
    for text, invitation in zip(texts, invitations):
        assert invitation.display_code in text and invitation.merchant.name in text
        assert invitation.merchant.contact_phone not in text  # the second factor is never printed
    [entry] = actions("campaign.letters_printed")
    assert (entry.subject_id, json.loads(entry.data)) == (
        batch.id, {"part": 1, "count": 2, "merchant_ids": [inv.merchant_id for inv in invitations]})


def test_large_batches_print_their_letters_in_parts(app, staff, monkeypatch):
    monkeypatch.setattr(printing, "LETTERS_PER_PDF", 2)
    shops = imported(staff, [shop_row(name=name) for name in ("甲店", "乙店", "丙店")])
    batch = db.session.scalar(select(ImportBatch))

    parts = [[inv.merchant_id for inv in printing.letters_to_print(batch, staff, part)] for part in (1, 2)]
    with pytest.raises(DomainError):
        printing.letters_to_print(batch, staff, 3)

    assert parts == [[shops[0].id, shops[1].id], [shops[2].id]]
    assert printing.letter_parts(3) == [(1, 1, 2), (2, 3, 3)]
    assert printing.letter_parts(0) == []
    assert len(actions("campaign.letters_printed")) == 2


def test_without_the_cjk_font_printing_says_what_to_install(app, staff, tmp_path):
    app.config["CJK_FONT_DIR"] = str(tmp_path)

    with pytest.raises(pdf.FontMissing) as caught:
        pdf.badge_posters([])

    assert "fonts-noto-cjk" in caught.value.message and caught.value.status_code == 503


def test_the_font_used_is_the_simplified_chinese_face(app):
    font = pdf.cjk_font()

    from fontTools.ttLib import TTCollection
    collection = TTCollection(str(font.regular), lazy=True)
    assert collection.fonts[font.index]["name"].getDebugName(1) == "Noto Sans CJK SC"
    collection.close()
