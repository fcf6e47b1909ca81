"""What owners and consumers see when a new pledge version is published: the deadline to re-sign on the
owner's pages, and "已过期" with its reason on the QR page once the deadline or the year has passed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from registry.clock import utcnow
from registry.extensions import db
from registry.pledges.models import PledgeVersion, Signature
from registry.clock import CHINA
from registry.pledges.signing import latest_signature
from registry.pledges.versions import current_version, publish_version

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

RESIGN = "请在 {deadline} 前签署新版倡议书"


@pytest.fixture
def shop(make_shop, client, login_as):
    shop = make_shop(name="美好生活超市")
    login_as(client, shop.owner)
    return shop


def publish_new(days: int = 7) -> PledgeVersion:
    version = publish_version("诚信经营倡议书（修订）", "本店承诺：",
                              [{"kind": "counterfeit", "text": "不制假售假。"}, {"kind": "other", "text": "诚信经营。"}],
                              resign_window_days=days)
    db.session.commit()
    return version


def shown(moment) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))


def move_deadline_to_the_past(version: PledgeVersion) -> None:
    db.session.execute(update(PledgeVersion).where(PledgeVersion.id == version.id)
                       .values(resign_deadline=utcnow() - timedelta(hours=1)))
    db.session.commit()
    db.session.expire_all()


def test_the_owner_is_told_the_deadline_with_a_link_to_sign(client, shop):
    version = publish_new(days=7)
    message = RESIGN.format(deadline=shown(version.resign_deadline))

    shops = client.get("/my/shops")
    detail = client.get(f"/my/shops/{shop.id}")

    for response in (shops, detail):
        assert message in text_of(response)
        assert f'href="/my/shops/{shop.id}/sign"' in response.get_data(as_text=True)
    # Still active until the deadline, on the owner's page and on the QR page.
    assert "有效承诺" in text_of(detail)
    assert "有效承诺" in text_of(client.get(f"/m/{shop.public_code}"))


def test_signing_the_new_version_ends_the_reminder(client, shop):
    version = publish_new(days=7)
    form = {"clauses": [1, 2], "signer_name": "王美好", "signer_title": "店主", "version_id": str(version.id)}

    assert client.post(f"/my/shops/{shop.id}/sign", data=form).status_code == 302

    assert latest_signature(shop).pledge_version_id == version.id
    assert "前签署新版倡议书" not in text_of(client.get("/my/shops"))
    assert "前签署新版倡议书" not in text_of(client.get(f"/my/shops/{shop.id}"))


def test_no_reminder_without_a_new_version(client, shop):
    assert current_version().number == 1
    assert "前签署新版倡议书" not in text_of(client.get("/my/shops"))


def test_after_the_deadline_the_qr_page_says_lapsed_and_why(client, shop):
    version = publish_new(days=7)
    move_deadline_to_the_past(version)
    deadline = db.session.get(PledgeVersion, version.id).resign_deadline
    reason = f"未在 {shown(deadline)} 前签署第 2 版倡议书。"

    page = text_of(client.get(f"/m/{shop.public_code}"))
    assert "已过期" in page and "有效承诺" not in page
    assert reason in page
    # The owner sees the same, and can sign at once.
    assert reason in text_of(client.get(f"/my/shops/{shop.id}"))
    assert reason in text_of(client.get("/my/shops"))
    assert f'href="/my/shops/{shop.id}/sign"' in client.get("/my/shops").get_data(as_text=True)
    # Nothing was written: the page tells the truth before the daily job runs.
    db.session.expire_all()
    assert shop.standing == "active"


def test_a_pledge_that_ran_out_is_shown_lapsed_with_its_end_date(client, shop):
    expired = utcnow() - timedelta(days=2)
    db.session.execute(update(Signature).where(Signature.merchant_id == shop.id).values(expires_at=expired))
    db.session.commit()

    page = text_of(client.get(f"/m/{shop.public_code}"))

    assert "已过期" in page
    assert f"承诺已于 {expired.astimezone(CHINA).date().isoformat()} 到期，未续签。" in page


def test_a_lapsed_shop_without_a_reason_to_work_out_shows_the_recorded_one(client, shop):
    db.session.execute(update(type(shop)).where(type(shop).id == shop.id)
                       .values(standing="lapsed", standing_reason="整改后恢复，须重新签署倡议书。"))
    db.session.commit()

    page = text_of(client.get(f"/m/{shop.public_code}"))

    assert "已过期" in page and "整改后恢复，须重新签署倡议书。" in page
