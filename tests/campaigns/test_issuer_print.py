"""Posters and invitation letters name the issuing body (name, phone, website) and draw its logo when
one is configured (ISSUER_LOGO_FILE), so a letter is easy to tell from a scam."""

from __future__ import annotations

import pytest
from PIL import Image
from sqlalchemy import select

from registry.campaigns import pdf, printing
from registry.campaigns.models import ImportBatch
from registry.extensions import db
from tests.campaigns.conftest import imported, page_texts, pdf_pages, shop_row
from tests.campaigns.test_printing import signed_import

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
def logo(app, tmp_path):
    path = tmp_path / "logo.png"
    Image.new("RGB", (120, 120), (179, 38, 30)).save(path)
    app.config["ISSUER_LOGO_FILE"] = str(path)
    yield path
    app.config["ISSUER_LOGO_FILE"] = None


def image_count(data: bytes) -> list[int]:
    return [len(page.images) for page in pdf_pages(data)]


def test_posters_name_the_issuing_body(app, staff, make_user, pledge):
    signed_import(staff, make_user(), pledge, [shop_row(name="老街小吃店")])
    data = pdf.badge_posters(printing.poster_items(printing.PosterSelection(), staff))

    [text] = page_texts(data)
    assert "签发单位：西子市消费者协会·咨询电话0571-86000315·https://xizi-cxm.example.cn" in text
    assert image_count(data) == [1]  # the QR only: no logo configured


def test_posters_draw_the_logo_when_one_is_configured(app, staff, make_user, pledge, logo):
    signed_import(staff, make_user(), pledge, [shop_row(name="老街小吃店")])

    assert image_count(pdf.badge_posters(printing.poster_items(printing.PosterSelection(), staff))) == [2]


def test_letters_carry_the_letterhead_and_whom_to_call(app, staff, logo):
    imported(staff, [shop_row(name="甲店")])
    batch = db.session.scalar(select(ImportBatch))
    data = pdf.invitation_letters(printing.letters_to_print(batch, staff))

    [text] = page_texts(data)
    assert text.startswith("西子市消费者协会")
    assert "请致电西子市消费者协会0571-86000315核实" in text
    assert image_count(data) == [2]  # the claim QR and the logo


def test_a_missing_or_foreign_logo_file_is_left_out(app, staff, tmp_path):
    fake = tmp_path / "logo.png"
    fake.write_text("<svg></svg>")
    app.config["ISSUER_LOGO_FILE"] = str(fake)
    try:
        imported(staff, [shop_row(name="甲店")])
        batch = db.session.scalar(select(ImportBatch))
        assert image_count(pdf.invitation_letters(printing.letters_to_print(batch, staff))) == [1]
    finally:
        app.config["ISSUER_LOGO_FILE"] = None
