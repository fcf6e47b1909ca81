"""Every public and shop-owner page passes axe-core with no violation and logs no console error, on a phone
(390 px) and a desktop (1280 px): the QR page in each standing, a void serial, search (with and without
results), verification, the complaint steps, case tracking, 我的投诉, statistics, open data, the API page,
sign-in and registration, and the owner's shops, shop page, poster, signing, complaints, claims, appeals,
statements and credit repair. The QR page's changed parts (figures of concluded cases, older cases under
their own heading, a pledge not in force folded, the complaint button at the top) are checked and
photographed at both sizes (test-artifacts/screenshots/a11y-*)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from registry.extensions import db
from tests.browser.axe import ConsoleWatch, axe_violations, describe
from tests.browser.pages import log_in
from tests.browser.test_complaint_journey import sms_code_sent_to
from tests.browser.test_journeys import register_signed_shop
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

OWNER_LOGIN = "13912340001"
CONSUMER_PHONE = "13867452301"  # the complaints' phone (tests/complaints/helpers.py PHONE): 我的投诉 lists them
FILING_PHONE = "13700001111"  # another phone: one code per phone a minute
REASON = "经现场检查，店内销售假冒品牌洗发水，责令下架整改。"


def seed(live) -> dict:
    """One owner's shops in every standing, a void serial, and published complaints on the active shop
    (one open with the shop's reply, one concluded, one accepted 19 months ago), through the services."""
    from registry.auth.models import Role
    from registry.auth.services import create_user
    from registry.badges.services import current_badge, reissue_badge
    from registry.clock import utcnow
    from registry.complaints import figures, handling
    from registry.merchants.services import register_shop
    from registry.moderation import sanctions
    from registry.pledges.signing import latest_signature
    from tests.complaints.helpers import OFFER, OFFER_CENTS, REPLY, SUMMARY, file
    from tests.conftest import shop_details

    with live.app.app_context():
        owner = create_user(OWNER_LOGIN, PASSWORD, "王美好", phone_verified=True)
        staff = create_user("staff1@a11y.example.cn", PASSWORD, "张科长", role=Role.STAFF, district="西湖区")
        staff2 = create_user("staff2@a11y.example.cn", PASSWORD, "李干事", role=Role.STAFF, district="西湖区")
        names = {"active": "美好生活超市", "warned": "老杭州小吃店", "suspended": "好邻居便利店",
                 "revoked": "新鲜水果店", "lapsed": "百草书店"}
        shops = {standing: register_signed_shop(owner, name, seed) for seed, (standing, name)
                 in enumerate(names.items(), start=31)}
        pending = register_shop(owner, shop_details(name="未签署杂货店"))
        warning = sanctions.issue_warning(shops["warned"], staff, sanctions.SanctionInput("price_fraud", REASON))
        sanctions.suspend(shops["suspended"], staff, sanctions.SanctionInput("counterfeit", REASON), None, True)
        sanctions.approve_revocation(sanctions.propose_revocation(
            shops["revoked"], staff, sanctions.SanctionInput("counterfeit", REASON)), staff2)
        signature = latest_signature(shops["lapsed"])
        signature.signed_at, signature.expires_at = utcnow() - timedelta(days=400), utcnow() - timedelta(days=35)
        active = shops["active"]
        void_serial = current_badge(active).serial
        reissue_badge(active, owner)
        db.session.commit()

        open_case, token = file(active)
        handling.accept_complaint(open_case, staff, open_case.version, SUMMARY)
        handling.merchant_reply(open_case, owner, REPLY, OFFER, OFFER_CENTS)
        concluded, _ = file(active, clause=2)
        handling.accept_complaint(concluded, staff, concluded.version, SUMMARY)
        handling.merchant_reply(concluded, owner, REPLY, OFFER, OFFER_CENTS)
        handling.respond_to_offer(concluded, True, "同意")
        old, _ = file(active, clause=3)
        handling.accept_complaint(old, staff, old.version, SUMMARY)
        old.decided_at = utcnow() - timedelta(days=19 * 30)
        figures.refresh([active.id])
        db.session.commit()
        facts = {
            "codes": {standing: shop.public_code for standing, shop in shops.items()},
            "ids": {standing: shop.id for standing, shop in shops.items()} | {"pending": pending.id},
            "void_serial": void_serial, "token": token, "complaint_id": open_case.id, "warning_id": warning.id,
            "certificate": latest_signature(active).certificate_code,
        }
        db.session.remove()
    return facts


@dataclass
class Audit:
    """Runs axe and reads the console on each page visited; failures are gathered, not raised one by one."""

    page: object
    size: str
    watch: ConsoleWatch = field(init=False)
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.watch = ConsoleWatch(self.page)

    def visit(self, url: str, name: str):
        response = self.page.goto(url)
        assert response is not None and response.status < 400 or name.endswith("404"), (url, response.status)
        self.check(name)

    def check(self, name: str):
        self.page.wait_for_load_state("load")
        violations = axe_violations(self.page)
        errors = self.watch.take()
        if name.endswith("404"):  # the page itself answers 404, as it should: Chromium logs that, nothing else
            errors = [e for e in errors if "status of 404" not in e]
        self.checked.append(name)
        if violations:
            self.problems.append(f"[{self.size}] {name} {self.page.url}\n{describe(violations)}")
        if errors:
            self.problems.append(f"[{self.size}] {name} {self.page.url}: console errors {errors}")


def public_pages(live, facts) -> list[tuple[str, str]]:
    codes, base = facts["codes"], live.url
    return [
        ("home", "/"), ("search", "/search"), ("search-results", "/search?q=%E7%BE%8E%E5%A5%BD"),
        ("search-empty", "/search?q=%E6%B2%A1%E6%9C%89%E8%BF%99%E5%AE%B6%E5%BA%97"),
        *[(f"qr-{standing}", f"/m/{code}") for standing, code in codes.items()],
        ("qr-void-serial", f"/m/{codes['active']}?s={facts['void_serial']}"), ("qr-unknown-404", "/m/nosuchcode"),
        ("qr-report", f"/m/{codes['active']}/report"),
        ("verify", "/verify"), ("verify-wrong-code", "/verify?code=ABCD2345"), ("pledge", "/pledge"),
        ("certificate", f"/certificate/{facts['certificate']}"),
        ("case", f"/c/{facts['token']}"), ("stats", "/stats"), ("open-data", "/open-data"), ("api", "/api"),
        ("login", "/login"), ("register", "/register"), ("password-forgot", "/password/forgot"),
    ], base


def owner_pages(facts) -> list[tuple[str, str]]:
    ids = facts["ids"]
    return [
        ("owner-shops", "/my/shops"), ("owner-new-shop", "/my/shops/new"),
        *[(f"owner-shop-{standing}", f"/my/shops/{shop_id}") for standing, shop_id in ids.items()],
        ("owner-poster", f"/my/shops/{ids['active']}/poster"), ("owner-edit", f"/my/shops/{ids['pending']}/edit"),
        ("owner-sign", f"/my/shops/{ids['pending']}/sign"),
        ("owner-complaints", "/my/complaints/"), ("owner-complaint", f"/my/complaints/{facts['complaint_id']}"),
        ("owner-claim", "/my/claim"), ("owner-ownership-claim", "/my/ownership-claim"),
        ("owner-ownership-claims", "/my/ownership-claims"),
        ("owner-appeal", f"/my/sanctions/{facts['warning_id']}/appeal"),
        ("owner-statement", f"/my/sanctions/{facts['warning_id']}/statement"),
        ("owner-repair", f"/my/sanctions/{facts['warning_id']}/repair"),
        ("owner-password", "/account/password"),
    ]


def phone_code_steps(audit: Audit, live, phone: str, start: str, name: str) -> None:
    """The phone-and-SMS-code step (complaint filing, 我的投诉): each state of the form is checked."""
    page = audit.page
    audit.visit(f"{live.url}{start}", f"{name}-phone")
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="发送验证码").click()
    expect(page.get_by_label("短信验证码")).to_be_visible()
    audit.check(f"{name}-code")
    page.get_by_label("短信验证码").fill(sms_code_sent_to(live, phone))
    page.get_by_role("button", name="确认", exact=True).click()
    page.wait_for_load_state("load")
    audit.check(f"{name}-after-code")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_every_public_and_owner_page_passes_axe(live_server, phone_context, desktop_context, shot, size):
    live = live_server
    facts = seed(live)
    context = (phone_context if size == "phone" else desktop_context)()
    audit = Audit(context.new_page(), size)

    pages, base = public_pages(live, facts)
    for name, path in pages:
        audit.visit(f"{base}{path}", name)
    # The complaint's steps and 我的投诉 after the SMS code (the details form; the cases of this phone).
    phone_code_steps(audit, live, FILING_PHONE, f"/m/{facts['codes']['active']}/complain", "complain")
    expect(audit.page.get_by_role("button", name="提交投诉")).to_be_visible()
    phone_code_steps(audit, live, CONSUMER_PHONE, "/my-complaints", "my-complaints")
    expect(audit.page.locator("main")).to_contain_text("美好生活超市")
    # The QR page in English (lang attributes on the Chinese names).
    audit.page.goto(f"{base}/lang/en?next=/m/{facts['codes']['active']}")
    audit.check("qr-active-english")
    audit.page.goto(f"{base}/lang/zh?next=/")

    log_in(audit.page, live, OWNER_LOGIN, PASSWORD)
    for name, path in owner_pages(facts):
        audit.visit(f"{base}{path}", name)

    assert len(audit.checked) >= 45
    assert not audit.problems, "\n\n".join(audit.problems)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_qr_page_reads_right_in_every_standing(live_server, phone_context, desktop_context, shot, size):
    live = live_server
    facts = seed(live)
    page = (phone_context if size == "phone" else desktop_context)().new_page()
    codes = facts["codes"]

    page.goto(f"{live.url}/m/{codes['active']}")
    # The complaint button is on the first screen, whatever the phone.
    button = page.locator(".standing-card").get_by_role("link", name="投诉这家店")
    expect(button).to_be_in_viewport()
    figures = page.locator("#complaint-figures")
    # Three accepted in the window would be wrong: one was accepted 19 months ago and is listed apart.
    expect(figures.locator(".figures")).to_contain_text("2受理投诉（件）")
    expect(figures.locator(".figures")).to_contain_text("100%已解决（共办结 1 件）")  # the open case is not "unresolved"
    expect(figures.locator("h3")).to_have_text("更早的投诉（12 个月以前受理，不计入上面的数字）")
    expect(figures.locator(".public-complaints").first.locator("> li")).to_have_count(2)
    expect(figures.locator(".public-complaints").last.locator("> li")).to_have_count(1)
    shot(page, f"a11y-{size}-qr-active")
    page.locator(".quick-actions").get_by_role("link", name="近 12 个月投诉情况 ↓").click()
    expect(figures).to_be_in_viewport()

    for standing in ("suspended", "revoked", "lapsed"):
        page.goto(f"{live.url}/m/{codes[standing]}")
        folded = page.locator(".pledge-not-in-force")
        expect(folded.get_by_role("heading", level=2)).to_have_text("本店曾签署的承诺")
        expect(folded.locator("details")).not_to_have_attribute("open", "")
        expect(folded.get_by_text("有效期至", exact=False)).to_be_hidden()  # the dates only inside the fold
        shot(page, f"a11y-{size}-qr-{standing}")
        folded.locator("summary").click()
        expect(folded.get_by_text("有效期至", exact=False)).to_be_visible()
        if standing == "revoked":
            shot(page, f"a11y-{size}-qr-revoked-unfolded")

    for name, path in (("home", "/"), ("api", "/api")):
        page.goto(f"{live.url}{path}")
        shot(page, f"a11y-{size}-{name}")
    assert page.locator('head meta[property="og:image"]').get_attribute("content") == \
        f"{live.url}/static/img/og-card.png"
    assert page.request.get(f"{live.url}/favicon.ico").status == 200
