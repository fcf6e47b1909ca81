"""The public certificate of a signature."""

from __future__ import annotations

import hashlib

import pytest

from registry.extensions import db
from registry.pledges.signing import latest_signature

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


def test_the_certificate_shows_the_hash_and_that_it_verifies(client, make_shop):
    shop = make_shop()
    signature = latest_signature(shop)

    response = client.get(f"/certificate/{signature.certificate_code}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert signature.text_sha256 in html
    assert "核验通过" in html
    assert shop.name in html and shop.credit_code in html


def test_a_certificate_whose_text_was_altered_says_so(client, make_shop):
    shop = make_shop()
    signature = latest_signature(shop)
    signature.signed_text = signature.signed_text.replace("不制假售假", "可以售假")
    db.session.commit()

    html = client.get(f"/certificate/{signature.certificate_code}").get_data(as_text=True)

    assert "核验失败" in html and "核验通过" not in html


def test_the_certificate_text_download_hashes_to_the_stored_sha256(client, make_shop, login_as):
    shop = make_shop()
    signature = latest_signature(shop)
    login_as(client, shop.owner)

    response = client.get(f"/certificate/{signature.certificate_code}.txt")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"  # one charset, not two
    assert response.headers["Content-Disposition"] == f'attachment; filename="pledge-{signature.certificate_code}.txt"'
    assert hashlib.sha256(response.data).hexdigest() == signature.text_sha256
    assert response.data.decode("utf-8") == signature.signed_text


@pytest.mark.parametrize("path", ["/certificate/nosuchcertificat", "/certificate/nosuchcertificat.txt"])
def test_an_unknown_certificate_is_404(client, make_shop, path):
    make_shop()

    assert client.get(path).status_code == 404


def test_the_public_sees_the_signer_masked_the_owner_and_staff_in_full(app, client, make_shop, make_user, login_as):
    shop = make_shop(owner_name="欧阳美好")
    signature = latest_signature(shop)
    assert signature.signer_name == "欧阳美好"
    page = f"/certificate/{signature.certificate_code}"

    public = client.get(page).get_data(as_text=True)
    assert "欧阳美好" not in public and "欧***" in public
    assert client.get(page + ".txt").status_code == 403
    login_as(client, make_user())  # another shop owner is the public too
    assert "欧阳美好" not in client.get(page).get_data(as_text=True)

    for viewer in (shop.owner, make_user(role="staff")):
        with app.test_client() as own:
            login_as(own, viewer)
            assert "欧阳美好" in own.get(page).get_data(as_text=True)
            assert own.get(page + ".txt").status_code == 200
