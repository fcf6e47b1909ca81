"""The shop owner's pages issue 15 changed, in a real Chromium at 390 px and 1280 px: an invitation letter's QR
scanned while logged out (login → register → claim), the shop desk with its PDF posters, share card and the
re-issue confirmation set apart, forms that name every problem at once, the login page and a suspended shop's
page. Screenshots go to test-artifacts/screenshots/owner-*.png.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from registry.extensions import db
from tests.browser.pages import newest_sms_code
from tests.browser.test_journeys import log_in, seed_signed_shop
from tests.campaigns.conftest import qr_texts
from tests.conftest import PASSWORD, shop_details

pytestmark = pytest.mark.browser

SIZES = ("phone", "desktop")


def pages(phone_context, desktop_context):
    return {"phone": phone_context().new_page(), "desktop": desktop_context().new_page()}


def seed_invited_shop(live) -> dict:
    """A shop an officer registered at its door: no owner yet, an invitation code for the letter."""
    from registry.auth.services import create_user
    from registry.auth.models import Role
    from registry.campaigns.claims import claim_url
    from registry.campaigns.models import ShopInvitation
    from registry.campaigns.onsite import register_on_site
    from sqlalchemy import select

    with live.app.app_context():
        officer = create_user("13700000001", PASSWORD, "张工作", Role.STAFF)
        shop = register_on_site(officer, shop_details(name="老街小吃", contact_phone="13987650123"))
        invitation = db.session.scalar(select(ShopInvitation).where(ShopInvitation.merchant_id == shop.id))
        facts = {"url": claim_url(invitation), "code": invitation.code, "credit_code": shop.credit_code,
                 "shop_id": shop.id}
        db.session.commit()
        db.session.remove()
    return facts


def test_an_invitation_qr_scanned_logged_out_leads_through_registration_to_the_claim(live_server, phone, shot):
    invited = seed_invited_shop(live_server)
    page = phone

    page.goto(invited["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("商户登录")
    expect(page.locator("main")).to_contain_text("登录后继续认领店铺")
    field = page.get_by_label("手机号或邮箱")
    assert field.get_attribute("type") == "text" and field.get_attribute("autocomplete") == "username"
    shot(page, "owner-phone-claim-01-login")

    page.get_by_role("link", name="注册并认领店铺").click()
    expect(page.locator(".steps .current + li")).to_have_text("认领店铺")
    page.get_by_label("您的姓名").fill("王老街")
    page.get_by_label("手机号", exact=True).fill("13912340000")
    shot(page, "owner-phone-claim-02-register")
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(newest_sms_code(live_server, "13912340000", "register"))
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.get_by_role("button", name="注册").click()

    # Back on the claim page with the letter's code filled in: only the phone digits are typed.
    expect(page.get_by_role("heading", level=1)).to_have_text("认领店铺")
    expect(page.locator(".flash-success")).to_contain_text("注册成功")
    expect(page.get_by_label("邀请码")).to_have_value(invited["code"])
    shot(page, "owner-phone-claim-03-claim")
    page.get_by_label("联系电话后 4 位").fill("0123")
    page.get_by_role("button", name="认领").click()
    expect(page.locator(".flash-success")).to_contain_text("认领成功")
    expect(page.get_by_role("heading", level=1)).to_have_text("签署诚信经营倡议书")
    shot(page, "owner-phone-claim-04-sign")


def test_a_credit_code_staff_registered_leads_to_the_claim(live_server, phone_context, desktop_context, shot):
    from registry.auth.services import create_user

    invited = seed_invited_shop(live_server)
    with live_server.app.app_context():
        create_user("13912340001", PASSWORD, "王老街")
        db.session.commit()
        db.session.remove()
    for size, page in pages(phone_context, desktop_context).items():
        log_in(page, live_server, "13912340001")
        page.goto(f"{live_server.url}/my/shops/new")
        page.get_by_label("店铺名称").fill("老街小吃")
        page.get_by_label("统一社会信用代码").fill(invited["credit_code"])
        page.get_by_role("button", name="保存").click()
        # Every problem at once, and the way to the claim rather than a dead end.
        expect(page.locator(".error")).to_have_count(7)  # the code, and the six fields left empty
        offer = page.locator(".claim-offer")
        expect(offer).to_contain_text("邀请码")
        expect(page.get_by_label("店铺名称")).to_have_value("老街小吃")
        shot(page, f"owner-{size}-shop-form-all-errors")
        offer.get_by_role("link", name="用邀请码认领").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("认领店铺")


def test_staff_land_on_their_dashboard_and_owners_on_their_shops(live_server, phone_context, desktop_context, shot):
    from registry.auth.services import create_user
    from registry.auth.models import Role

    with live_server.app.app_context():
        create_user("13700000002", PASSWORD, "李工作", Role.STAFF)
        create_user("13700000003", PASSWORD, "赵管理", Role.ADMIN)
        db.session.commit()
        db.session.remove()
    for size, page in pages(phone_context, desktop_context).items():
        page.goto(f"{live_server.url}/login")
        shot(page, f"owner-{size}-login")
        for login in ("13700000002", "13700000003"):
            log_in(page, live_server, login)
            assert page.url == f"{live_server.url}/staff/"
            page.get_by_role("button", name="退出").click()


def test_the_shop_desk_offers_pdf_posters_and_pictures_and_asks_before_reissuing(live_server, phone_context,
                                                                                desktop_context, shot, tmp_path):
    facts = seed_signed_shop(live_server, "13900000011", seed=21)
    for size, page in pages(phone_context, desktop_context).items():
        log_in(page, live_server, "13900000011")
        page.goto(f"{live_server.url}/my/shops/{facts['shop_id']}")
        danger = page.locator(".danger-zone")
        expect(danger).to_contain_text("已经打印、张贴的海报都会失效")
        # Set apart: below the downloads, not in the badge card.
        downloads_bottom = page.get_by_role("link", name="诚信码 PNG").bounding_box()
        assert danger.bounding_box()["y"] > downloads_bottom["y"] + downloads_bottom["height"] + 24
        assert page.locator(".badge-card form").count() == 0
        shot(page, f"owner-{size}-shop-desk")

        for paper in ("A4", "A5"):
            with page.expect_download() as download_info:
                page.get_by_role("link", name=f"{paper} 海报 PDF").click()
            pdf = tmp_path / f"{size}-{paper}.pdf"
            download_info.value.save_as(pdf)
            assert qr_texts(pdf.read_bytes()) == [[facts["badge_url"]]]
        with page.expect_download() as download_info:
            page.get_by_role("link", name="分享卡片 PNG").click()
        card = tmp_path / f"{size}-card.png"
        download_info.value.save_as(card)
        with Image.open(card) as image:
            assert [r.text for r in zxingcpp.read_barcodes(image)  # the QR; digits of the text can read as a 1D code
                    if r.format == zxingcpp.BarcodeFormat.QRCode] == [facts["badge_url"]]

        page.get_by_role("link", name="重新签发诚信码").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("重新签发诚信码")
        expect(page.locator(".consequences")).to_contain_text("顾客扫旧码会看到“已作废”")
        shot(page, f"owner-{size}-reissue-confirm")
        page.get_by_role("button", name="确认重新签发").click()
        expect(page.locator(".error")).to_contain_text("请先勾选确认")
        shot(page, f"owner-{size}-reissue-not-ticked")
        page.get_by_role("link", name="不签发，返回").click()
        expect(page.locator(".flash-success")).to_have_count(0)
        expect(page.locator("a.break")).to_have_attribute("href", facts["badge_url"])
        page.get_by_role("button", name="退出").click()


def test_the_pictures_an_owner_shares(live_server, desktop, screenshot_dir):
    """The share card and the badge PNG as a chat app or a phone's gallery shows them, kept as artifacts."""
    facts = seed_signed_shop(live_server, "13900000012", name="老杭州面馆", seed=22)
    page = desktop
    page.goto(f"{live_server.url}/m/{facts['public_code']}")
    card_url = page.locator('meta[property="og:image"]').get_attribute("content")
    assert card_url == f"{live_server.url}/m/{facts['public_code']}/card.png"
    assert "老杭州面馆" == page.locator('meta[property="og:title"]').get_attribute("content")
    assert "有效承诺" in page.locator('meta[name="description"]').get_attribute("content")
    card = page.request.get(card_url)
    assert card.ok and card.headers["content-type"] == "image/png"
    (screenshot_dir / "owner-share-card.png").write_bytes(card.body())
    badge = page.request.get(f"{live_server.url}/badge/{facts['serial']}.png")
    (screenshot_dir / "owner-badge-png.png").write_bytes(badge.body())
    for data in (card.body(), badge.body()):
        with Image.open(io.BytesIO(data)) as image:
            assert [r.text for r in zxingcpp.read_barcodes(image)  # the QR; digits of the text can read as a 1D code
                    if r.format == zxingcpp.BarcodeFormat.QRCode] == [facts["badge_url"]]


def test_registration_and_complaint_forms_name_every_problem_at_once(live_server, phone_context, desktop_context,
                                                                    shot):
    facts = seed_signed_shop(live_server, "13900000013", seed=23)
    for size, page in pages(phone_context, desktop_context).items():
        page.goto(f"{live_server.url}/register")
        page.get_by_label("手机号", exact=True).fill("139123")
        page.get_by_role("button", name="获取验证码").click()
        expect(page.locator(".error")).to_have_count(2)
        expect(page.get_by_label("手机号", exact=True)).to_have_value("139123")
        shot(page, f"owner-{size}-register-all-errors")

        # The complaint form: a consumer whose phone is confirmed submits it half filled, no photo chosen.
        phone = "1390000002" + ("1" if size == "phone" else "2")
        page.goto(f"{live_server.url}/m/{facts['public_code']}/complain")
        page.get_by_label("手机号").fill(phone)
        page.get_by_role("button", name="发送验证码").click()
        page.get_by_label("短信验证码").fill(newest_sms_code(live_server, phone, "complaint"))
        page.get_by_role("button", name="确认", exact=True).click()
        page.get_by_label("发生了什么？").fill("太短了")
        page.get_by_role("button", name="提交投诉").click()
        errors = page.locator(".error")
        expect(errors.first).to_be_visible()
        assert errors.count() >= 5
        expect(page.locator("body")).not_to_contain_text("请重新选择")
        expect(page.get_by_label("发生了什么？")).to_have_value("太短了")
        shot(page, f"owner-{size}-complaint-all-errors")


def test_a_suspended_shop_says_how_it_is_reinstated(live_server, phone_context, desktop_context, shot):
    from registry.auth.services import create_user
    from registry.auth.models import Role
    from registry.clock import china_date, utcnow
    from registry.merchants.models import Merchant
    from registry.moderation import sanctions
    from registry.moderation.sanctions import SanctionInput

    facts = seed_signed_shop(live_server, "13900000014", seed=24)
    with live_server.app.app_context():
        officer = create_user("13700000004", PASSWORD, "周工作", Role.STAFF)
        sanctions.suspend(db.session.get(Merchant, facts["shop_id"]), officer,
                          SanctionInput("counterfeit", "经现场检查，店内销售假冒品牌洗发水，责令下架整改。"),
                          china_date(utcnow()) + timedelta(days=30), False)
        db.session.commit()
        db.session.remove()
    for size, page in pages(phone_context, desktop_context).items():
        log_in(page, live_server, "13900000014")
        page.goto(f"{live_server.url}/my/shops/{facts['shop_id']}")
        steps = page.locator(".reinstatement")
        expect(steps).to_contain_text("次日起自动恢复")
        expect(steps).to_contain_text("可以申请信用修复")
        expect(steps.get_by_role("link", name="发表说明")).to_be_visible()
        shot(page, f"owner-{size}-suspended")
        page.get_by_role("button", name="退出").click()
