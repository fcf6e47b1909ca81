"""Badge images (public), re-issuing and the printable poster (owner only)."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from registry.badges.models import Badge
from registry.badges.services import current_badge
from registry.extensions import db
from registry.pledges.signing import latest_signature

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

PUBLIC_BASE_URL = "https://cxm.example.cn"  # as set in conftest.make_app


def badges_of(shop) -> list[Badge]:
    db.session.expire_all()
    return list(db.session.scalars(select(Badge).where(Badge.merchant_id == shop.id).order_by(Badge.id)))


def decode_qr(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_the_badge_png_decodes_to_the_public_page_with_the_serial(client, make_shop):
    shop = make_shop()
    badge = current_badge(shop)

    response = client.get(f"/badge/{badge.serial}.png")

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert decode_qr(response.data) == [f"{PUBLIC_BASE_URL}/m/{shop.public_code}?s={badge.serial}&v={badge.offline_proof}"]


def test_the_badge_svg_is_served_as_svg(client, make_shop):
    badge = current_badge(make_shop())

    response = client.get(f"/badge/{badge.serial}.svg")

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_download_link_names_the_file_after_the_serial(client, make_shop):
    badge = current_badge(make_shop())

    response = client.get(f"/badge/{badge.serial}.png?download=1")

    assert response.headers["Content-Disposition"] == f'attachment; filename="chengxinma-{badge.serial}.png"'


def test_the_badge_png_has_an_etag_and_answers_304_when_unchanged(client, make_shop):
    badge = current_badge(make_shop())
    first = client.get(f"/badge/{badge.serial}.png")
    etag = first.headers["ETag"]
    assert etag

    again = client.get(f"/badge/{badge.serial}.png", headers={"If-None-Match": etag})
    other = client.get(f"/badge/{badge.serial}.png", headers={"If-None-Match": '"something-else"'})

    assert again.status_code == 304 and again.data == b""
    assert other.status_code == 200 and other.data == first.data


def test_a_voided_serial_has_no_image(client, make_shop, login_as):
    shop = make_shop()
    old = current_badge(shop).serial
    login_as(client, shop.owner)
    client.post(f"/my/shops/{shop.id}/badge/reissue", data={"understood": "y"})
    new = current_badge(shop).serial

    assert client.get(f"/badge/{old}.png").status_code == 404
    assert client.get(f"/badge/{old}.svg").status_code == 404
    # Not even a 304 to a client that kept the old image: the serial no longer has one.
    assert client.get(f"/badge/{old}.png", headers={"If-None-Match": f'"{old}-png"'}).status_code == 404
    assert client.get(f"/badge/{new}.png").status_code == 200
    assert client.get("/badge/CX20990101-000001-FFFF.png").status_code == 404


def test_the_owner_reissues_from_the_desk(client, make_shop, login_as):
    shop = make_shop()
    old = current_badge(shop).serial
    login_as(client, shop.owner)

    response = client.post(f"/my/shops/{shop.id}/badge/reissue", data={"understood": "y"})

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/my/shops/{shop.id}"
    badges = badges_of(shop)
    assert [b.serial for b in badges if b.is_void] == [old]
    assert len([b for b in badges if not b.is_void]) == 1


def test_reissuing_asks_first_and_says_what_happens_to_printed_posters(client, make_shop, login_as):
    shop = make_shop()
    badge = current_badge(shop)
    login_as(client, shop.owner)

    desk = client.get(f"/my/shops/{shop.id}").get_data(as_text=True)
    page = client.get(f"/my/shops/{shop.id}/badge/reissue")

    # The shop page only links to the confirmation, in its own section after the downloads.
    assert f'action="/my/shops/{shop.id}/badge/reissue"' not in desk
    assert desk.index("danger-zone") > desk.index("A5 海报 PDF")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "已经打印、张贴或发到聊天群里的旧海报和图片都会失效" in html and "已作废" in html
    assert badge.serial in html and 'type="checkbox"' in html
    assert [(b.serial, b.voided_at) for b in badges_of(shop)] == [(badge.serial, None)]


def test_reissuing_without_ticking_the_box_voids_nothing_and_says_why(client, make_shop, login_as):
    shop = make_shop()
    serial = current_badge(shop).serial
    login_as(client, shop.owner)

    response = client.post(f"/my/shops/{shop.id}/badge/reissue", data={})

    assert response.status_code == 400
    assert "请先勾选确认" in response.get_data(as_text=True)
    assert [(b.serial, b.voided_at) for b in badges_of(shop)] == [(serial, None)]


def test_another_merchant_cannot_reissue_and_nothing_is_voided(client, make_shop, make_user, login_as):
    shop = make_shop()
    serial = current_badge(shop).serial
    login_as(client, make_user())

    response = client.post(f"/my/shops/{shop.id}/badge/reissue", data={"understood": "y"})

    assert response.status_code == 403
    assert [(b.serial, b.voided_at) for b in badges_of(shop)] == [(serial, None)]


@pytest.mark.parametrize("size", ["A4", "A5", "a5"])
def test_the_poster_has_everything_a_consumer_needs(client, make_shop, login_as, pledge, size):
    shop = make_shop(name="美好生活超市")
    badge = current_badge(shop)
    login_as(client, shop.owner)

    response = client.get(f"/my/shops/{shop.id}/poster?size={size}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"size-{size.lower()}" in html
    assert shop.name in html
    for clause in pledge.clauses:
        assert clause.text in html
    assert badge.serial in html
    code = badge.verification_code
    assert len(code) == 8 and f"{code[:4]}-{code[4:]}" in html
    assert f"{PUBLIC_BASE_URL}/verify" in html
    assert f"/badge/{badge.serial}.svg" in html
    assert latest_signature(shop).expires_at.strftime("%Y") in html


def test_the_poster_of_an_unsigned_shop_redirects_to_the_desk(client, make_shop, login_as):
    shop = make_shop(signed=False)
    login_as(client, shop.owner)

    response = client.get(f"/my/shops/{shop.id}/poster")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/my/shops/{shop.id}"


def test_the_desk_shows_the_badge_and_its_verification_code(client, make_shop, login_as):
    shop = make_shop()
    badge = current_badge(shop)
    login_as(client, shop.owner)

    html = client.get(f"/my/shops/{shop.id}").get_data(as_text=True)

    assert f"/badge/{badge.serial}.png" in html
    assert f"{badge.verification_code[:4]}-{badge.verification_code[4:]}" in html
    assert f"{PUBLIC_BASE_URL}/m/{shop.public_code}?s={badge.serial}" in html
