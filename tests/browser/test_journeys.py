"""End-to-end journeys in a real Chromium against the app on a live server.

A shop owner signs up on a phone and gets a QR badge; the QR, decoded from the downloaded PNG,
opens the consumer page with the live standing. Screenshots of every step are written to
test-artifacts/screenshots/ for a human to look at.
"""

from __future__ import annotations

import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from registry.extensions import db
from tests.browser.pages import newest_sms_code
from tests.conftest import PASSWORD, valid_credit_code

pytestmark = pytest.mark.browser

OWNER_LOGIN = "13912345678"
SHOP_NAME = "美好生活超市"


PDF_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def pdf_page_count(data: bytes) -> int:
    """Pages of a PDF printed by Chromium (Skia writes page objects uncompressed)."""
    try:
        import pypdf
    except ImportError:
        return len(PDF_PAGE_OBJECT.findall(data))
    import io

    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def decode_qr(path) -> str:
    with Image.open(path) as image:
        image.load()
        results = zxingcpp.read_barcodes(image)
    assert len(results) == 1, f"expected one QR code in {path}, found {len(results)}"
    return results[0].text


def is_green(css_colour: str) -> bool:
    r, g, b = (int(v) for v in re.findall(r"\d+", css_colour)[:3])
    return g > 100 and g > r + 40 and g > b + 40


def register_signed_shop(owner, name: str, seed: int, township: str = "转塘街道"):
    """Inside an app context: a shop registered and signed through the services (it gets its badge)."""
    from registry.merchants.services import ShopDetails, register_shop
    from registry.pledges.signing import sign_pledge
    from registry.pledges.versions import current_version

    shop = register_shop(owner, ShopDetails(
        name=name, credit_code=valid_credit_code(seed), category="supermarket", district="西湖区",
        township=township, address="转塘直街 88 号", contact_phone="13987654321", owner_name=owner.display_name))
    version = current_version()
    sign_pledge(shop, version, owner, owner.display_name, "店主", "127.0.0.1", {c.number for c in version.clauses})
    return shop


def seed_signed_shop(live, login: str, name: str = SHOP_NAME, seed: int = 7) -> dict:
    """A registered, signed shop made through the services; returns what the test needs to know."""
    from registry.auth.services import create_user
    from registry.badges.services import badge_url, current_badge

    with live.app.app_context():
        owner = create_user(login, PASSWORD, "王美好")
        shop = register_signed_shop(owner, name, seed)
        badge = current_badge(shop)
        facts = {"shop_id": shop.id, "public_code": shop.public_code, "credit_code": shop.credit_code,
                 "serial": badge.serial, "verification_code": badge.verification_code,
                 "badge_url": badge_url(shop, badge)}
        db.session.commit()
        db.session.remove()
    return facts


def log_in(page, live, login: str) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("手机号或邮箱").fill(login)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_shop_owner_signs_and_consumer_sees_green_standing(live_server, phone, phone_context, shot, screenshot_dir, tmp_path):
    page = phone
    credit_code = valid_credit_code(1)
    typed_code = f"{credit_code[:8]} {credit_code[8:]}".lower()

    # 1. Register an account.
    page.goto(f"{live_server.url}/register")
    page.get_by_label("您的姓名").fill("王美好")
    page.get_by_label("手机号", exact=True).fill(OWNER_LOGIN)
    shot(page, "phone-01-register")
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(newest_sms_code(live_server, OWNER_LOGIN, "register"))
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    shot(page, "phone-01-register-code")
    page.get_by_role("button", name="注册").click()

    # 2. Register the shop; the credit code is typed in lower case with a space.
    expect(page.get_by_role("heading", name="登记店铺")).to_be_visible()
    expect(page.locator(".flash-success")).to_contain_text("注册成功")
    page.get_by_label("店铺名称").fill(SHOP_NAME)
    page.get_by_label("统一社会信用代码").fill(typed_code)
    page.get_by_label("类别").select_option(label="超市/零售")
    page.get_by_label("区/县").select_option("西湖区")
    page.get_by_label("乡镇/街道").select_option("转塘街道")
    page.get_by_label("详细地址").fill("转塘直街 88 号")
    page.get_by_label("经营者姓名").fill("王美好")
    page.get_by_label("联系电话（手机）").fill("13987654321")
    shot(page, "phone-02-shop-form")
    page.get_by_role("button", name="保存").click()

    # 3. Sign the pledge: every clause ticked, signer name and title.
    expect(page.get_by_role("heading", name="签署诚信经营倡议书")).to_be_visible()
    shot(page, "phone-03-sign-empty")
    boxes = page.locator(".clause-checks input[type=checkbox]")
    assert boxes.count() >= 5
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.get_by_label("签署人姓名").fill("王美好")
    page.get_by_label("职务").fill("店主")
    shot(page, "phone-03-sign")
    page.get_by_role("button", name="确认签署").click()

    # 4. The owner's shop page with the QR badge.
    expect(page.get_by_role("heading", level=1, name=SHOP_NAME)).to_be_visible()
    expect(page.locator(".flash-success")).to_contain_text("签署成功")
    expect(page.locator("img.qr")).to_be_visible()
    assert page.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, "phone-04-shop-detail")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="诚信码 PNG").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".png")
    png_path = tmp_path / download.suggested_filename
    download.save_as(png_path)
    scanned_url = decode_qr(png_path)
    assert scanned_url.startswith(f"{live_server.url}/m/")
    assert page.locator("a.break").get_attribute("href") == scanned_url

    # 5. A consumer opens the scanned URL.
    qr_page = phone_context().new_page()  # the consumer's own phone: not logged in
    qr_page.goto(scanned_url)
    pill = qr_page.locator(".pill-active")
    expect(pill).to_have_text("有效承诺")
    assert is_green(pill.evaluate("e => getComputedStyle(e).backgroundColor"))
    expect(qr_page.locator(".standing-card")).to_have_class(re.compile(r"\bstanding-active\b"))
    expect(qr_page.get_by_role("heading", level=1)).to_have_text(SHOP_NAME)
    expect(qr_page.locator(".facts")).to_contain_text(credit_code.upper())
    expect(qr_page.locator(".checked-at")).to_contain_text("查询时间")
    expect(qr_page.locator(".void-banner")).to_have_count(0)
    shot(qr_page, "phone-05-qr-page")

    # 6. The A4 poster: on screen, its QR scans to the same URL, and it prints on one sheet.
    page.get_by_role("link", name="A4 打印页").click()
    expect(page.locator(".poster-shop")).to_have_text(SHOP_NAME)
    poster_qr = page.locator(".poster-qr img")
    expect(poster_qr).to_be_visible()
    shot(page, "phone-06-poster-a4")
    qr_shot = tmp_path / "poster-qr.png"
    poster_qr.screenshot(path=str(qr_shot))
    assert decode_qr(qr_shot) == scanned_url

    pdf = page.pdf(format="A4", print_background=True)
    (screenshot_dir.parent / "poster-a4.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    assert pdf_page_count(pdf) == 1

    # What the printer gets, as an image: the sheet at 96 dpi in print media.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})
    shot(page, "print-poster-a4", check_overflow=False)

    # The A5 poster asks for A5 paper itself (@page a5sheet) and also fits one sheet.
    page.goto(page.url.replace("size=A4", "size=A5"))
    expect(page.locator(".poster-shop")).to_have_text(SHOP_NAME)
    pdf_a5 = page.pdf(prefer_css_page_size=True, print_background=True)
    (screenshot_dir.parent / "poster-a5.pdf").write_bytes(pdf_a5)
    assert pdf_page_count(pdf_a5) == 1
    media_box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)", pdf_a5)
    assert media_box and abs(float(media_box[1]) - 419.5) < 3 and abs(float(media_box[2]) - 595.3) < 3
    page.set_viewport_size({"width": 560, "height": 794})
    shot(page, "print-poster-a5", check_overflow=False)


def test_desktop_pages(live_server, desktop, desktop_context, shot):
    from sqlalchemy import select

    from registry.auth.services import user_by_login
    from registry.badges.services import badge_url, current_badge
    from registry.demo import load_demo
    from registry.merchants.models import Merchant

    with live_server.app.app_context():
        assert load_demo(shop_count=20) > 0
        # The demo has one 超市 among 20 shops; a few more make the result list worth looking at.
        owner = user_by_login("13800138000")
        for seed, (name, township) in enumerate([("联华超市（转塘店）", "转塘街道"), ("好邻居生活超市", "西溪街道"),
                                                 ("惠民平价超市", "三墩镇")], start=100):
            register_signed_shop(owner, name, seed, township)
        db.session.commit()
        shop = db.session.scalar(select(Merchant).where(Merchant.name == SHOP_NAME))
        badge = current_badge(shop)
        qr_url, code, credit_code = badge_url(shop, badge), badge.verification_code, shop.credit_code
        db.session.remove()

    page = desktop
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot(page, "desktop-01-home")

    page.locator("#q").fill("超市")
    page.get_by_role("button", name="搜索").click()
    expect(page).to_have_url(re.compile(r"/search\?"))
    results = page.locator(".result")
    expect(results.first).to_be_visible()
    expect(page.locator(".result-list")).to_contain_text(SHOP_NAME)
    assert results.count() >= 4
    for i in range(results.count()):
        assert "超市" in results.nth(i).locator("strong").inner_text()
    shot(page, "desktop-02-search")

    page.locator(".result-link", has_text=SHOP_NAME).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SHOP_NAME)
    expect(page.locator(".pill-active")).to_have_text("有效承诺")

    page.goto(qr_url)
    expect(page.locator(".pill-active")).to_have_text("有效承诺")
    expect(page.locator(".facts")).to_contain_text(credit_code)
    expect(page.locator(".checked-at")).to_contain_text("查询时间")
    shot(page, "desktop-03-qr-page")

    # A wrong code: the error is shown next to the field and the typed value is kept.
    page.goto(live_server.url + "/verify")
    code_input = page.get_by_label("8 位验证码")
    code_input.fill("0000-0000")
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.locator(".field .error")).to_contain_text("没有找到这个验证码")
    expect(page.get_by_label("8 位验证码")).to_have_value("0000-0000")
    expect(page.get_by_label("8 位验证码")).to_have_attribute("aria-invalid", "true")
    shot(page, "desktop-04-verify-error")

    # The right code, typed sloppily, opens the shop's page.
    page.get_by_label("8 位验证码").fill(f"{code[:4].lower()} {code[4:].lower()}")
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SHOP_NAME)

    # Without JavaScript the QR page still tells the consumer everything.
    plain = desktop_context(java_script_enabled=False).new_page()
    plain.goto(qr_url)
    expect(plain.locator(".pill-active")).to_have_text("有效承诺")
    expect(plain.get_by_role("heading", level=1)).to_have_text(SHOP_NAME)
    expect(plain.locator(".checked-at")).to_contain_text("查询时间")
    shot(plain, "desktop-05-qr-page-nojs")


def test_reissued_badge_says_void(live_server, phone, shot):
    facts = seed_signed_shop(live_server, "13900000001")
    page = phone
    log_in(page, live_server, "13900000001")
    page.goto(f"{live_server.url}/my/shops/{facts['shop_id']}")
    expect(page.locator("a.break")).to_have_attribute("href", facts["badge_url"])

    page.get_by_role("link", name="重新签发诚信码").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("重新签发诚信码")
    page.get_by_role("button", name="确认重新签发").click()  # not ticked: refused, nothing voided
    expect(page.locator(".error")).to_contain_text("请先勾选确认")
    page.get_by_label("我知道：已经打印、张贴或发出去的旧诚信码会立即作废").check()
    page.get_by_role("button", name="确认重新签发").click()
    expect(page.locator(".flash-success")).to_contain_text("已重新签发")
    new_url = page.locator("a.break").get_attribute("href")
    assert new_url != facts["badge_url"]
    shot(page, "phone-07a-reissued")

    page.goto(facts["badge_url"])
    banner = page.locator(".void-banner")
    expect(banner).to_contain_text("此二维码已作废")
    expect(banner).to_contain_text(facts["serial"])
    shot(page, "phone-07-void")

    page.goto(new_url)
    expect(page.locator(".void-banner")).to_have_count(0)
    expect(page.locator(".pill-active")).to_have_text("有效承诺")


def test_qr_page_in_english(live_server, phone, shot):
    facts = seed_signed_shop(live_server, "13900000002", seed=8)
    page = phone
    page.goto(facts["badge_url"])
    expect(page.locator(".pill-active")).to_be_visible()
    page.locator(".lang-switch a[lang=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(facts["badge_url"])
    expect(page.locator(".pill-active")).to_be_visible()
    shot(page, "phone-08-qr-page-en")


def test_phone_home_and_search(live_server, phone, shot):
    from registry.auth.services import create_user

    with live_server.app.app_context():
        owner = create_user("13900000003", PASSWORD, "李惠民")
        for seed, (name, township) in enumerate([(SHOP_NAME, "转塘街道"), ("联华超市（转塘店）", "转塘街道"),
                                                 ("世纪华联生活超市（蒋村店）", "蒋村街道")], start=200):
            register_signed_shop(owner, name, seed, township)
        db.session.commit()
        db.session.remove()

    page = phone
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot(page, "phone-09-home")

    page.locator("#q").fill("超市")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator(".result")).to_have_count(3)
    shot(page, "phone-10-search")
