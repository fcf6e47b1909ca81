"""The appeal form on the owner's shop page, and its decision by another officer."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.moderation import appeals, sanctions
from registry.moderation.models import Appeal, AppealPhoto, Sanction
from registry.moderation.sanctions import SanctionInput

from .helpers import REASON, count, fresh, jpeg_bytes, plain, text

pytestmark = pytest.mark.usefixtures("fresh_request_globals")


# --- Appeals ----------------------------------------------------------------------------------------

def test_the_owner_sees_the_sanction_and_appeals_once(client, world, login_as, evidence_dir):
    sanction = sanctions.issue_warning(world.shop, world.staff, SanctionInput("counterfeit", REASON))
    db.session.commit()
    login_as(client, world.owner)
    desk = plain(text(client.get(f"/my/shops/{world.shop.id}")))
    assert "您的店铺被公开警示" in desk and REASON in desk and "对这项处理提出申诉" in desk
    assert f"/my/sanctions/{sanction.id}/appeal" in text(client.get(f"/my/shops/{world.shop.id}"))

    form = text(client.get(f"/my/sanctions/{sanction.id}/appeal"))
    assert "申诉理由" in form and REASON in form
    short = client.post(f"/my/sanctions/{sanction.id}/appeal", data={"text": "不对"})
    assert short.status_code == 400 and "请用至少 10 个字说明申诉理由。" in text(short)
    fake = client.post(f"/my/sanctions/{sanction.id}/appeal", content_type="multipart/form-data", data={
        "text": "我们的羊毛衫有正规进货票据。", "photos": [(io.BytesIO(b"<html>not a photo</html>"), "票据.jpg")]})
    assert fake.status_code == 400 and "票据.jpg" in text(fake)
    assert count(Appeal) == 0

    sent = client.post(f"/my/sanctions/{sanction.id}/appeal", content_type="multipart/form-data", data={
        "text": "我们的羊毛衫有正规进货票据。", "photos": [(io.BytesIO(jpeg_bytes()), "票据.jpg")]})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/my/shops/{world.shop.id}")
    appeal = db.session.scalar(select(Appeal))
    assert (appeal.text, len(appeal.photos)) == ("我们的羊毛衫有正规进货票据。", 1)

    again = client.post(f"/my/sanctions/{sanction.id}/appeal", data={"text": "再申诉一次，理由同上。"})
    assert again.status_code == 200 and "只能申诉一次" in text(again)
    assert count(Appeal) == 1
    assert "等待审理" in text(client.get(f"/my/shops/{world.shop.id}"))


def test_another_merchant_cannot_appeal(client, world, login_as):
    sanction = sanctions.issue_warning(world.shop, world.staff, SanctionInput("counterfeit", REASON))
    db.session.commit()
    login_as(client, world.other_owner)
    assert client.get(f"/my/sanctions/{sanction.id}/appeal").status_code == 403
    assert client.post(f"/my/sanctions/{sanction.id}/appeal", data={"text": "冒名申诉冒名申诉"}).status_code == 403
    assert count(Appeal) == 0


def test_the_appeal_is_decided_by_another_officer_and_the_shop_is_told(app, world, login_as, evidence_dir):
    from registry.uploads import process_image

    sanction = sanctions.suspend(world.shop, world.staff, SanctionInput("counterfeit", REASON), None, True)
    appeal = appeals.submit_appeal(sanction, world.owner, "所售商品均有正规进货票据。",
                                    [process_image(io.BytesIO(jpeg_bytes()), "票据.jpg")])
    db.session.commit()
    issuer = login_as(app.test_client(), world.staff)
    other = login_as(app.test_client(), world.staff2)

    page = text(issuer.get(f"/staff/sanctions/{sanction.id}"))
    assert "所售商品均有正规进货票据。" in page and "申诉须由作出该处理决定以外的工作人员审理。" in page
    assert "decide-decision" not in page
    refused = issuer.post(f"/staff/appeals/{appeal.id}/decide", data={"decide-decision": "grant", "decide-note": "同意"})
    assert refused.status_code == 302
    assert db.session.get(Appeal, appeal.id).status == "pending"

    photo = db.session.scalar(select(AppealPhoto))
    image = other.get(f"/staff/appeals/photos/{photo.id}")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert image.headers["X-Content-Type-Options"] == "nosniff" and image.headers["Cache-Control"] == "no-store"
    assert image.get_data() == (evidence_dir / "appeals" / photo.stored_name).read_bytes()
    image.close()  # a sent file stays open until the server closes the response

    missing = other.post(f"/staff/appeals/{appeal.id}/decide", data={"decide-decision": "grant", "decide-note": ""})
    assert missing.status_code == 400 and "请填写处理说明，商家会看到它。" in text(missing)
    granted = other.post(f"/staff/appeals/{appeal.id}/decide",
                         data={"decide-decision": "grant", "decide-note": "票据齐全，撤销暂停。"})
    assert granted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status == "granted"
    assert db.session.get(Sanction, sanction.id).status == "ended" and fresh(world.shop).standing == "active"

    owner = login_as(app.test_client(), world.owner)
    desk = plain(text(owner.get(f"/my/shops/{world.shop.id}")))
    assert "申诉成立" in desk and "票据齐全，撤销暂停。" in desk and "您的店铺诚信码已被暂停" not in desk


# --- How a suspended shop is reinstated -------------------------------------------------------------

def test_a_suspension_until_a_date_says_it_ends_by_itself_and_when_repair_opens(client, world, login_as, frozen):
    sanctions.suspend(world.shop, world.staff, SanctionInput("counterfeit", REASON), date(2026, 6, 1), False)
    db.session.commit()
    login_as(client, world.owner)

    desk = plain(text(client.get(f"/my/shops/{world.shop.id}")))

    assert "怎样恢复" in desk
    assert "暂停到 2026-06-01 为止，次日起自动恢复，不用申请" in desk
    assert "发表说明" in desk
    # Repair opens 6 months after the start (12 for food shops); the page says the first day.
    assert "处理满 6 个月后（2026-09-02 起）可以申请信用修复" in desk


def test_a_suspension_until_rectified_says_whom_to_call_for_the_review(client, world, login_as, frozen, app):
    sanctions.suspend(world.shop, world.staff, SanctionInput("counterfeit", REASON), None, True)
    db.session.commit()
    login_as(client, world.owner)

    desk = plain(text(client.get(f"/my/shops/{world.shop.id}")))

    assert "整改完成前不会自动恢复" in desk
    assert f"整改完成后，致电{app.config['ISSUER_NAME']} {app.config['ISSUER_PHONE']} 申请复查" in desk
    assert "可以申请信用修复" in desk


def test_once_the_minimum_period_has_passed_the_suspended_owner_is_led_to_credit_repair(client, world, login_as,
                                                                                       frozen):
    sanction = sanctions.suspend(world.shop, world.staff, SanctionInput("counterfeit", REASON), None, True)
    db.session.commit()
    frozen.advance(days=400)
    login_as(client, world.owner)

    html = text(client.get(f"/my/shops/{world.shop.id}"))

    assert "现在就可以申请信用修复" in plain(html)
    assert f"/my/sanctions/{sanction.id}/repair" in html
