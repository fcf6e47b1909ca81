"""Door-to-door signing on a tablet, in a real Chromium: an officer registers a shop at its door, the owner
confirms with the code texted to the shop's phone, and the public QR page says it was signed on site and by
which organisation — never the officer's name."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from registry.auth.models import Role
from registry.extensions import db
from tests.browser.pages import log_in, newest_sms_code
from tests.conftest import PASSWORD, unique_mobile, valid_credit_code

pytestmark = pytest.mark.browser

TABLET = dict(viewport={"width": 820, "height": 1180}, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
OFFICER = "上门专员乙"


def test_an_officer_signs_a_shop_up_at_its_door(live_server, new_context, shot):
    from registry.auth.services import create_user

    with live_server.app.app_context():
        create_user("door@xihu.example.cn", PASSWORD, OFFICER, Role.STAFF, "西湖区")
        db.session.commit()
        db.session.remove()
    tablet = new_context(**TABLET).new_page()
    log_in(tablet, live_server, "door@xihu.example.cn", PASSWORD)
    tablet.goto(f"{live_server.url}/staff/onsite")
    phone = unique_mobile()
    form = tablet.locator("form[action$='/staff/onsite/new']")
    form.get_by_label("店铺名称").fill("巷口早餐店")
    form.get_by_label("统一社会信用代码").fill(valid_credit_code())
    form.get_by_label("类别").select_option("catering")
    form.get_by_label("乡镇/街道").select_option("转塘街道")
    form.get_by_label("详细地址").fill("转塘直街 66 号")
    form.get_by_label("经营者姓名").fill("林老板")
    form.get_by_label("联系电话（手机）").fill(phone)
    shot(tablet, "tablet-onsite-01-register")
    form.get_by_role("button", name="登记店铺并继续签署").click()
    expect(tablet.locator(".flash-success")).to_contain_text("店铺已登记")

    tablet.get_by_role("button", name="发送确认码到店主手机").click()
    expect(tablet.get_by_text("确认码已发送")).to_be_visible()
    signing = tablet.locator("form[action$='/sign/code']")
    for checkbox in signing.get_by_role("checkbox").all():
        checkbox.check()
    signing.get_by_label("店主手机收到的确认码").fill(newest_sms_code(live_server, phone, "onsite_sign"))
    shot(tablet, "tablet-onsite-02-code")
    signing.get_by_role("button", name="确认并签署").click()
    expect(tablet.locator(".flash-success")).to_contain_text("签署成功")
    shot(tablet, "tablet-onsite-03-signed")

    tablet.get_by_role("link", name="签署证书").click()
    expect(tablet.locator(".facts")).to_contain_text("现场签署（店主手机验证码确认）")
    anonymous = new_context(**TABLET).new_page()
    anonymous.goto(tablet.url)
    expect(anonymous.locator(".facts")).to_contain_text("经办单位：西子市消费者协会（西湖区）")
    expect(anonymous.locator("body")).not_to_contain_text(OFFICER)
    anonymous.get_by_role("link", name="巷口早餐店").click()
    expect(anonymous.locator("body")).to_contain_text("现场签署（店主手机验证码确认）")
    expect(anonymous.locator("body")).not_to_contain_text(OFFICER)
    shot(anonymous, "tablet-onsite-04-qr-page")
