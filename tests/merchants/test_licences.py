"""Licence checks: staff of the shop's district verify the business licence (seen on site or in a photo,
name and credit code matched) or withdraw it; audited; the QR page, search and the API say the same."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.clock import today_in_china
from registry.errors import DomainError, NotPermitted
from registry.extensions import db
from registry.merchants import licences
from registry.merchants.models import LicenceCheck, LicencePhoto, Merchant
from registry.uploads import process_image

pytestmark = pytest.mark.usefixtures("fresh_request_globals")


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def photo_dir(app, tmp_path):
    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    yield tmp_path / "evidence" / "licences"
    app.config["EVIDENCE_DIR"] = None


@pytest.fixture
def people(make_user):
    return {"staff": make_user(role="staff", district="西湖区"), "other": make_user(role="staff", district="滨江区"),
            "owner": make_user()}


def actions(shop) -> list[tuple[str, dict]]:
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("licence.%")).order_by(AuditEntry.id))
    return [(row.action, json.loads(row.data)) for row in rows if json.loads(row.data)["merchant_id"] == shop.id]


def verify(shop, officer, **changes):
    values = dict(method="on_site", checked_on=today_in_china(), name_matches=True, code_matches=True, photos=[])
    values.update(changes)
    return licences.verify_licence(shop, officer, **values)


def test_staff_verify_a_licence_seen_on_site_and_it_is_audited(app, make_shop, people):
    shop = make_shop(owner=people["owner"])
    day = today_in_china() - timedelta(days=3)

    check = verify(shop, people["staff"], checked_on=day)
    db.session.commit()

    assert db.session.get(Merchant, shop.id).licence_verified_on == day
    assert (check.method, check.officer_id, check.in_force) == ("on_site", people["staff"].id, True)
    assert actions(shop) == [("licence.verified", {"merchant_id": shop.id, "method": "on_site",
                                                   "checked_on": day.isoformat(), "photos": 0, "replaced": None})]


def test_a_photo_check_keeps_the_photo_privately(app, make_shop, people, photo_dir):
    shop = make_shop(owner=people["owner"])
    with pytest.raises(DomainError) as refused:
        verify(shop, people["staff"], method="photo")
    assert refused.value.field == "photos"
    db.session.rollback()

    check = verify(shop, people["staff"], method="photo", photos=[process_image(io.BytesIO(jpeg()), "执照.jpg")])
    db.session.commit()

    stored = list(db.session.scalars(select(LicencePhoto).where(LicencePhoto.check_id == check.id)))
    assert len(stored) == 1 and (photo_dir / stored[0].stored_name).is_file()


@pytest.mark.parametrize("name_matches, code_matches", [(False, True), (True, False), (False, False)])
def test_a_licence_that_does_not_match_is_refused(app, make_shop, people, name_matches, code_matches):
    shop = make_shop(owner=people["owner"])

    with pytest.raises(DomainError, match="都与登记信息"):
        verify(shop, people["staff"], name_matches=name_matches, code_matches=code_matches)
    db.session.rollback()

    assert db.session.get(Merchant, shop.id).licence_verified_on is None
    assert db.session.scalar(select(LicenceCheck.id)) is None and actions(shop) == []


@pytest.mark.parametrize("days, field", [(-1, "checked_on"), (licences.MAX_BACKDATE_DAYS + 1, "checked_on")])
def test_a_check_dated_in_the_future_or_long_ago_is_refused(app, make_shop, people, days, field):
    shop = make_shop(owner=people["owner"])

    with pytest.raises(DomainError) as refused:
        verify(shop, people["staff"], checked_on=today_in_china() - timedelta(days=days))

    assert refused.value.field == field


def test_staff_of_another_district_and_owners_may_not(app, make_shop, people):
    shop = make_shop(owner=people["owner"])

    for who in (people["other"], people["owner"]):
        with pytest.raises(NotPermitted):
            verify(shop, who)
    db.session.rollback()
    assert db.session.get(Merchant, shop.id).licence_verified_on is None


def test_a_new_check_replaces_the_old_and_a_withdrawal_clears_it(app, make_shop, people):
    shop = make_shop(owner=people["owner"])
    first = verify(shop, people["staff"], checked_on=today_in_china() - timedelta(days=10))
    second = verify(shop, people["staff"])
    db.session.commit()
    assert first.withdraw_reason == "superseded" and second.in_force
    with pytest.raises(DomainError):
        licences.withdraw_licence_check(shop, people["staff"], "  ")
    with pytest.raises(NotPermitted):
        licences.withdraw_licence_check(shop, people["other"], "执照已注销")
    db.session.rollback()

    licences.withdraw_licence_check(shop, people["staff"], "执照已注销")
    db.session.commit()

    assert db.session.get(Merchant, shop.id).licence_verified_on is None
    assert licences.check_in_force(shop) is None
    assert [action for action, _data in actions(shop)] == ["licence.verified", "licence.verified", "licence.withdrawn"]
    with pytest.raises(DomainError):  # nothing left to withdraw
        licences.withdraw_licence_check(shop, people["staff"], "再撤一次")


# --- Pages ---------------------------------------------------------------------------------------------

def test_the_staff_page_verifies_and_withdraws(app, client, login_as, make_shop, people):
    shop = make_shop(owner=people["owner"])
    login_as(client, people["staff"])
    page = f"/staff/shops/{shop.id}/licence"
    assert client.get(page).status_code == 200

    refused = client.post(page, data={"method": "on_site", "checked_on": today_in_china().isoformat(),
                                      "name_matches": "y"})
    assert refused.status_code == 400 and "都与登记信息" in refused.get_data(as_text=True)
    done = client.post(page, data={"method": "on_site", "checked_on": today_in_china().isoformat(),
                                   "name_matches": "y", "code_matches": "y"})
    assert done.status_code == 302
    assert db.session.get(Merchant, shop.id).licence_verified_on == today_in_china()

    assert client.post(f"{page}/withdraw", data={"reason": ""}).status_code == 400
    assert client.post(f"{page}/withdraw", data={"reason": "核验有误"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Merchant, shop.id).licence_verified_on is None


def test_the_staff_page_is_for_staff_of_the_district(app, client, login_as, make_shop, people):
    shop = make_shop(owner=people["owner"])

    assert login_as(client, people["other"]).get(f"/staff/shops/{shop.id}/licence").status_code == 403
    login_as(client, people["owner"])
    assert client.get(f"/staff/shops/{shop.id}/licence").status_code in (302, 403, 404)
    assert client.post(f"/staff/shops/{shop.id}/licence", data={
        "method": "on_site", "checked_on": today_in_china().isoformat(), "name_matches": "y",
        "code_matches": "y"}).status_code in (302, 403, 404)
    assert db.session.get(Merchant, shop.id).licence_verified_on is None


def test_the_qr_page_search_and_api_say_what_was_checked(app, client, make_shop, people):
    verified, unverified = make_shop(owner=people["owner"], name="已核验超市"), make_shop(name="未核验超市")
    verify(verified, people["staff"])
    db.session.commit()
    day = today_in_china().isoformat()

    def text(url):  # the issuer's name sits in a lang="zh-CN" span
        return re.sub(r"<[^>]+>", "", client.get(url).get_data(as_text=True))

    assert f"营业执照已于 {day} 经西子消协核验" in text(f"/m/{verified.public_code}")
    page = text(f"/m/{unverified.public_code}")
    assert "商家自愿承诺；统一社会信用代码已通过格式校验；营业执照尚未经西子消协核验。" in page
    results = client.get("/search", query_string={"q": "核验超市"}).get_data(as_text=True)
    assert f"营业执照已于 {day} 核验" in results and "营业执照尚未核验" in results
    api = client.get(f"/api/v1/shops/{verified.public_code}").get_json()
    assert api["licence_verified_on"] == day and "经西子消协核验" in api["checked"]
    assert client.get(f"/api/v1/shops/{unverified.public_code}").get_json()["licence_verified_on"] is None


def test_an_owner_cannot_set_verification_through_the_shop_form(app, client, login_as, make_shop, people, shop_form):
    shop = make_shop(owner=people["owner"])
    login_as(client, people["owner"])

    response = client.post(f"/my/shops/{shop.id}/edit", data={**shop_form(credit_code=shop.credit_code), "version": str(shop.version),
                                                                 "licence_verified_on": "2026-01-01"})

    assert response.status_code == 302  # the edit itself was saved
    assert db.session.get(Merchant, shop.id).licence_verified_on is None


def test_the_upload_sweep_keeps_recorded_licence_photos_and_deletes_orphans(app, runner, make_shop, people,
                                                                            photo_dir):
    import os
    import time

    shop = make_shop(owner=people["owner"])
    check = verify(shop, people["staff"], method="photo", photos=[process_image(io.BytesIO(jpeg()), "执照.jpg")])
    db.session.commit()
    kept = photo_dir / check.photos[0].stored_name
    orphan = photo_dir / ("e" * 32 + ".jpg")
    orphan.write_bytes(b"x")
    then = time.time() - 7200
    for path in (kept, orphan):
        os.utime(path, (then, then))

    result = runner.invoke(args=["sweep-uploads"])

    assert result.exit_code == 0, result.output
    assert kept.exists() and not orphan.exists()


# --- Every licence route × every role ------------------------------------------------------------------

LICENCE_ROUTES = [  # (method, path, expected for: anonymous, owner, staff elsewhere, staff, admin)
    ("GET", "/staff/shops/{shop}/licence", ("login", 403, 403, 200, 200)),
    ("POST", "/staff/shops/{shop}/licence", ("login", 403, 403, 400, 400)),  # empty form
    ("POST", "/staff/shops/{shop}/licence/withdraw", ("login", 403, 403, 400, 400)),  # empty form
    ("GET", "/staff/shops/licence-photos/{photo}", ("login", 403, 403, 200, 200)),
    ("GET", "/staff/shops/999999/licence", ("login", 403, 404, 404, 404)),
]


@pytest.mark.parametrize("method, path, expected", LICENCE_ROUTES)
@pytest.mark.parametrize("role", ["anonymous", "owner", "other", "staff", "admin"])
def test_licence_routes_by_role(app, client, login_as, make_user, make_shop, people, photo_dir, method, path,
                                expected, role):
    shop = make_shop(owner=people["owner"])
    check = verify(shop, people["staff"], method="photo", photos=[process_image(io.BytesIO(jpeg()), "执照.jpg")])
    db.session.commit()
    user = {"owner": people["owner"], "other": people["other"], "staff": people["staff"],
            "admin": make_user(role="admin")}.get(role)
    if user is not None:
        login_as(client, user)
    before = (db.session.get(Merchant, shop.id).licence_verified_on, db.session.scalar(
        select(func.count(LicenceCheck.id))), db.session.scalar(select(func.count(AuditEntry.id))))
    answer = dict(zip(["anonymous", "owner", "other", "staff", "admin"], expected))[role]

    response = client.open(path.format(shop=shop.id, photo=check.photos[0].id), method=method)

    if answer == "login":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == answer
    if answer == 200 and "photos" in path:
        assert response.headers["Cache-Control"] == "no-store"
    response.close()
    db.session.expire_all()
    assert (db.session.get(Merchant, shop.id).licence_verified_on, db.session.scalar(
        select(func.count(LicenceCheck.id))), db.session.scalar(select(func.count(AuditEntry.id)))) == before


def test_the_owners_desk_says_whether_the_licence_was_verified(app, client, login_as, make_shop, people):
    shop = make_shop(owner=people["owner"])
    login_as(client, people["owner"])
    assert "营业执照尚未核验" in client.get(f"/my/shops/{shop.id}").get_data(as_text=True)

    verify(shop, people["staff"])
    db.session.commit()

    assert f"营业执照已于 {today_in_china().isoformat()} 核验" in client.get(f"/my/shops/{shop.id}").get_data(as_text=True)
