"""The issuing body on the QR page, the site footer and the owner's poster; its logo at a stable URL."""

from __future__ import annotations

import pytest
from PIL import Image

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


@pytest.fixture
def logo(app, tmp_path):
    path = tmp_path / "logo.jpg"
    Image.new("RGB", (64, 64), (179, 38, 30)).save(path, format="JPEG")
    app.config["ISSUER_LOGO_FILE"] = str(path)
    yield path
    app.config["ISSUER_LOGO_FILE"] = None


def test_the_qr_page_names_the_issuer_with_tap_to_call(client, make_shop):
    page = client.get(f"/m/{make_shop().public_code}").get_data(as_text=True)

    assert "诚信码签发单位" in page and "西子市消费者协会" in page
    assert 'href="tel:057186000315"' in page and "xizi-cxm.example.cn" in page
    assert "/issuer/logo" not in page  # no logo configured


def test_every_page_footer_names_the_issuer(client):
    assert '签发单位：<span lang="zh-CN">西子市消费者协会</span>' in client.get("/").get_data(as_text=True)


def test_without_a_logo_the_logo_url_is_not_found(client):
    assert client.get("/issuer/logo").status_code == 404


def test_a_configured_logo_is_served_and_shown(client, make_shop, logo):
    response = client.get("/issuer/logo")

    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.data == logo.read_bytes()
    assert 'src="/issuer/logo"' in client.get(f"/m/{make_shop().public_code}").get_data(as_text=True)


def test_a_logo_that_is_not_png_or_jpeg_is_not_served(client, app, tmp_path):
    fake = tmp_path / "logo.png"
    fake.write_text("<svg onload=alert(1)></svg>")
    app.config["ISSUER_LOGO_FILE"] = str(fake)
    try:
        assert client.get("/issuer/logo").status_code == 404
    finally:
        app.config["ISSUER_LOGO_FILE"] = None


def test_the_owners_poster_names_the_issuer(client, make_shop, login_as, logo):
    shop = make_shop()
    login_as(client, shop.owner)

    page = client.get(f"/my/shops/{shop.id}/poster?size=A5").get_data(as_text=True)

    assert "签发单位：西子市消费者协会 · 咨询电话 0571-86000315" in page and 'src="/issuer/logo"' in page
