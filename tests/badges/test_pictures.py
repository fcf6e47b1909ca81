"""What an owner sends from a phone: the poster as a PDF (A4, A5), the badge PNG with the name and code under
the QR, and the share card; every QR on them decodes to the badge's URL."""

from __future__ import annotations

import io
from urllib.parse import unquote

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from registry.badges.services import badge_url, current_badge
from registry.extensions import db
from registry.merchants.models import Merchant
from tests.campaigns.conftest import page_texts, pdf_pages, qr_texts

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


def picture(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def decoded(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image) if result.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.mark.parametrize(("size", "points"), [("A4", (595, 842)), ("A5", (420, 595))])
def test_the_poster_pdf_is_the_poster_and_its_qr_opens_the_shop(client, make_shop, login_as, pledge, size, points):
    shop = make_shop(name="美好生活超市")
    badge = current_badge(shop)
    login_as(client, shop.owner)

    response = client.get(f"/my/shops/{shop.id}/poster.pdf?size={size}")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert f'filename="chengxinma-poster-{badge.serial}-{size}.pdf"' in disposition
    assert f"诚信码海报-美好生活超市-{size}.pdf" in unquote(disposition)
    (page,) = pdf_pages(response.data)
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == points
    (text,) = page_texts(response.data)
    code = badge.verification_code
    assert "美好生活超市" in text and f"验证码{code[:4]}-{code[4:]}" in text and badge.serial in text
    assert all("".join(clause.text.split()) in text for clause in pledge.clauses)
    assert qr_texts(response.data) == [[badge_url(shop, badge)]]


def test_an_unknown_size_is_a4_and_another_owner_gets_nothing(client, make_shop, make_user, login_as):
    shop = make_shop()
    login_as(client, shop.owner)
    (page,) = pdf_pages(client.get(f"/my/shops/{shop.id}/poster.pdf?size=B5").data)
    assert round(float(page.mediabox.width)) == 595

    login_as(client, make_user())
    assert client.get(f"/my/shops/{shop.id}/poster.pdf").status_code == 403


def test_an_unsigned_shop_has_no_poster_pdf_yet(client, make_shop, login_as):
    shop = make_shop(signed=False)
    login_as(client, shop.owner)

    response = client.get(f"/my/shops/{shop.id}/poster.pdf")

    assert response.status_code == 302 and response.headers["Location"].endswith(f"/my/shops/{shop.id}")


def test_the_badge_png_has_room_under_the_qr_for_the_name_and_code(client, make_shop):
    shop = make_shop(name="老街小吃")
    badge = current_badge(shop)

    image = picture(client.get(f"/badge/{badge.serial}.png").data)

    # The QR is square; the name and the code are drawn on the white below it.
    assert image.height > image.width + 80
    assert decoded(image) == [badge_url(shop, badge)]
    below = image.crop((0, image.width, image.width, image.height)).convert("L")
    assert below.getextrema()[0] < 100  # something dark (the words) is drawn there


def test_renaming_the_shop_draws_a_new_badge_png(client, make_shop):
    shop = make_shop(name="老街小吃")
    serial = current_badge(shop).serial
    before = client.get(f"/badge/{serial}.png")

    db.session.get(Merchant, shop.id).name = "老街小吃总店"
    db.session.commit()
    after = client.get(f"/badge/{serial}.png", headers={"If-None-Match": before.headers["ETag"]})

    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert after.data != before.data


def test_the_share_card_is_an_open_graph_picture_whose_qr_opens_the_shop(client, make_shop):
    shop = make_shop(name="美好生活超市")
    badge = current_badge(shop)

    response = client.get(f"/m/{shop.public_code}/card.png")

    assert response.status_code == 200 and response.mimetype == "image/png"
    image = picture(response.data)
    assert image.size == (1200, 630)
    assert decoded(image) == [badge_url(shop, badge)]
    assert response.headers["Cache-Control"] == "public, max-age=300"
    again = client.get(f"/m/{shop.public_code}/card.png", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    download = client.get(f"/m/{shop.public_code}/card.png?download=1")
    assert download.headers["Content-Disposition"] == f'attachment; filename="chengxinma-{shop.public_code}.png"'


def test_a_renamed_shop_or_a_new_badge_gets_a_new_card(client, make_shop, login_as):
    shop = make_shop()
    first = client.get(f"/m/{shop.public_code}/card.png").headers["ETag"]

    login_as(client, shop.owner)
    client.post(f"/my/shops/{shop.id}/badge/reissue", data={"understood": "y"})
    second = client.get(f"/m/{shop.public_code}/card.png")

    assert second.headers["ETag"] != first
    assert decoded(picture(second.data)) == [badge_url(shop, current_badge(shop))]


def test_a_pending_or_unknown_shop_has_no_card(client, make_shop):
    pending = make_shop(signed=False)

    assert client.get(f"/m/{pending.public_code}/card.png").status_code == 404
    assert client.get("/m/nosuchcode/card.png").status_code == 404


def test_a_long_name_still_fits_the_card_and_the_badge(client, make_shop):
    shop = make_shop(name="杭州市西湖区转塘街道美好生活便民连锁超市有限公司第二十八分店")
    badge = current_badge(shop)

    assert decoded(picture(client.get(f"/m/{shop.public_code}/card.png").data)) == [badge_url(shop, badge)]
    assert decoded(picture(client.get(f"/badge/{badge.serial}.png").data)) == [badge_url(shop, badge)]


def test_the_qr_page_tells_chat_apps_the_name_standing_issuer_and_card(client, make_shop, app):
    shop = make_shop(name="美好生活超市")

    html = client.get(f"/m/{shop.public_code}?s={current_badge(shop).serial}").get_data(as_text=True)

    base = "https://cxm.example.cn"
    issuer = app.config["ISSUER_NAME"]
    assert '<meta property="og:title" content="美好生活超市">' in html
    assert f'<meta property="og:image" content="{base}/m/{shop.public_code}/card.png">' in html
    assert f'<meta property="og:url" content="{base}/m/{shop.public_code}">' in html
    description = ("美好生活超市：有效承诺。这家店铺已签署现行诚信经营倡议书，承诺在有效期内，没有受到处理。"
                   "查看承诺内容、处理记录和近 12 个月的投诉情况。")
    assert html.count('<meta name="description"') == 1  # the page's own, not also the site's default
    assert f'<meta name="description" content="{description}">' in html
    assert f'<meta property="og:description" content="{description} 签发单位：{issuer}。">' in html
    assert html.count('<meta property="og:image"') == 1
    assert db.session.scalar(select(Merchant.id).where(Merchant.id == shop.id))


def test_without_the_cjk_font_the_badge_png_is_the_bare_qr_and_the_card_says_what_to_install(client, make_shop, app,
                                                                                             tmp_path):
    shop = make_shop()
    badge = current_badge(shop)
    app.config["CJK_FONT_DIR"] = str(tmp_path)  # no fonts there

    png = client.get(f"/badge/{badge.serial}.png")
    card = client.get(f"/m/{shop.public_code}/card.png")

    image = picture(png.data)
    assert png.status_code == 200 and image.width == image.height
    assert decoded(image) == [badge_url(shop, badge)]
    assert card.status_code == 503 and "fonts-noto-cjk" in card.get_data(as_text=True)


def test_a_poster_drawn_before_is_served_again_until_something_printed_on_it_changes(client, make_shop, login_as):
    shop = make_shop(name="老街小吃")
    login_as(client, shop.owner)
    first = client.get(f"/my/shops/{shop.id}/poster.pdf").data

    assert client.get(f"/my/shops/{shop.id}/poster.pdf").data == first
    db.session.get(Merchant, shop.id).name = "老街小吃总店"
    db.session.commit()
    (text,) = page_texts(client.get(f"/my/shops/{shop.id}/poster.pdf").data)
    assert "老街小吃总店" in text
