"""Every consumer form, and the staff and shop-owner forms of the same case, in the production
configuration over https: CSRF with its strict referrer check, `__Host-session`, one proxy in front
(tests/production.py). Each POST is sent the way a browser sends it from the page that holds the form,
with the Referer that page's Referrer-Policy allows; issue 10: the complaint pages said `no-referrer`,
so every one of these was refused with 400 in production while the http suite passed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.complaints.models import Complaint
from registry.extensions import db
from registry.messaging.models import OutboxMessage
from tests.conftest import PASSWORD
from tests.production import PRODUCTION_URL, BrowserClient

from .helpers import DESCRIPTION, OFFER, PHONE, REPLY, SUMMARY, complaint_form, file, jpeg_bytes, walk

pytestmark = pytest.mark.production

CODE_IN_SMS = re.compile(r"验证码是 (\d{6})")


def flash_text(page) -> str:
    return " ".join(re.findall(r'<div class="flash[^"]*" role="status">(.*?)</div>', page.text, re.S))


def complaint_at(token_url: str) -> Complaint:
    db.session.expire_all()
    from registry.complaints.filing import complaint_by_token

    return complaint_by_token(token_url.rsplit("/", 1)[1])


def file_as_consumer(browser: BrowserClient, shop, phone: str = PHONE) -> str:
    """Scan → 投诉 → SMS code → file with a photo; returns the case link the browser lands on."""
    qr = browser.get(f"/m/{shop.public_code}")
    assert qr.status == 200
    start = browser.get(f"/m/{shop.public_code}/complain")
    assert start.status == 200 and start.policy == "same-origin"
    sent = browser.submit({"phone": phone}, button="send")
    assert sent.status == 200, sent.text[:300]
    assert f"验证码已发送到 {phone}" in sent.text
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.phone == phone)
                                .order_by(OutboxMessage.id.desc()).limit(1))
    confirmed = browser.submit({"code": CODE_IN_SMS.search(message.body).group(1)}, button="confirm")
    assert confirmed.status == 200 and confirmed.url.endswith("/complain/details"), confirmed.text[:300]
    filed = browser.submit(complaint_form(), files={"photos": [(jpeg_bytes(), "IMG_0042.JPG")]}, button="submit")
    assert filed.status == 200 and re.fullmatch(rf"{re.escape(browser.origin)}/c/[0-9a-f]{{32}}", filed.url), filed.text[:300]
    assert "投诉已提交" in flash_text(filed)
    return filed.url


def test_a_consumer_files_and_follows_a_case_through_every_form_over_https(app, world):
    consumer = BrowserClient(app)
    case_url = file_as_consumer(consumer, world.shop)
    complaint = complaint_at(case_url)
    assert (complaint.status, complaint.description, len(complaint.photos)) == ("filed", DESCRIPTION, 1)
    # The session cookie is the production one, and a browser keeps it (Secure, Path=/, no Domain).
    assert consumer.cookie("__Host-session") is not None and consumer.cookie("session") is None
    # Every consumer POST carried the full page address as Referer, and only to our own origin.
    posts = [(url, referrer) for method, url, referrer in consumer.requests if method == "POST"]
    assert len(posts) == 3 and all(referrer and referrer.startswith(PRODUCTION_URL + "/") for _url, referrer in posts)

    added = consumer.submit({"body": "补充：小票编号 0042。"}, action="/information")
    assert added.status == 200 and "已提交" in flash_text(added)
    last = complaint_at(case_url).events[-1]
    assert (last.kind, last.body) == ("consumer_added", "补充：小票编号 0042。")

    # The officer logs in and accepts; the shop owner logs in and replies with an offer.
    staff = BrowserClient(app, client_ip="198.51.100.20")
    staff.get("/login")
    assert staff.submit({"login": world.staff.login, "password": PASSWORD}).status == 200
    staff.get(f"/staff/complaints/{complaint.id}")
    accepted = staff.submit({"public_summary": SUMMARY}, action="/accept")
    assert accepted.status == 200 and "已受理" in flash_text(accepted), accepted.text[:300]
    owner = BrowserClient(app, client_ip="198.51.100.30")
    owner.get("/login")
    assert owner.submit({"login": world.owner.login, "password": PASSWORD}).status == 200
    owner.get(f"/my/complaints/{complaint.id}")
    replied = owner.submit({"body": REPLY, "offer": OFFER, "offer_amount": "10"}, button="提交回复")
    assert replied.status == 200 and "回复已提交" in flash_text(replied), replied.text[:300]
    assert complaint_at(case_url).status == "replied"

    consumer.get(case_url)
    settled = consumer.submit({"decision": "accept", "comment": "同意"}, action="/respond")
    assert settled.status == 200 and "已办结" in settled.text
    done = complaint_at(case_url)
    assert (done.status, done.outcome, done.amount_recovered_cents) == ("closed", "agreed", 1000)

    surveyed = consumer.submit({"resolved": "yes", "satisfaction": "5", "comment": "满意"}, action="/followup")
    assert surveyed.status == 200 and "已提交" in flash_text(surveyed)
    done = complaint_at(case_url)
    assert done.followup_at is not None and done.followup_resolved is True and done.followup_satisfaction == 5


def test_a_consumer_rejects_an_offer_and_withdraws_over_https(app, world):
    complaint, token = file(world.shop)
    walk(complaint, world, "replied")
    consumer = BrowserClient(app)
    consumer.get(f"/c/{token}")

    rejected = consumer.submit({"decision": "reject", "comment": "只退差价不够"}, action="/respond")
    assert rejected.status == 200 and "已提交" in flash_text(rejected)
    assert complaint_at(rejected.url).status == "disputed"
    withdrawn = consumer.submit({"reason": "已和商家协商好了"}, action="/withdraw")
    assert withdrawn.status == 200 and "已提交" in flash_text(withdrawn)
    assert complaint_at(withdrawn.url).status == "withdrawn"


def test_a_form_post_without_a_referer_is_still_refused_over_https(app, world):
    """The check the fix relies on stays on: no Referer, or another site's, is refused."""
    complaint, token = file(world.shop)
    consumer = BrowserClient(app)
    page = consumer.get(f"/c/{token}")
    token_field = dict(consumer.find_form(action="/withdraw").fields)["csrf_token"]
    for referrer in (None, "https://evil.example/"):
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Host": "cxm.example.cn",
                   "X-Forwarded-Port": "443", **({"Referer": referrer} if referrer else {})}
        refused = consumer.client.post(f"http://cxm.example.cn/c/{token}/withdraw", headers=headers,
                                       data={"csrf_token": token_field, "reason": ""},
                                       environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert refused.status_code == 400
    assert complaint_at(page.url).status == "filed"


def test_the_case_page_keeps_its_secret_link_from_other_sites(app, world):
    _complaint, token = file(world.shop)
    page = BrowserClient(app).get(f"/c/{token}")
    assert page.response.headers["Referrer-Policy"] == "same-origin"
    assert page.response.headers["Cache-Control"] == "no-store"
    assert page.response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    # What a browser sends from the case page: the link to us, nothing to anyone else.
    from tests.production import referrer_for

    assert referrer_for(page.policy, page.url, "https://other.example/") is None
    assert referrer_for(page.policy, page.url, f"{PRODUCTION_URL}/search") == page.url


def test_forms_work_on_a_non_standard_https_port(app, world):
    """nginx passes the port on (X-Forwarded-Port) and ProxyFix uses it: the Referer of a site served on
    :8443 must match the host the app sees, or CSRF's referrer check refuses every form."""
    app.config["TRUSTED_HOSTS"] = ["cxm.example.cn"]
    consumer = BrowserClient(app, origin="https://cxm.example.cn:8443")
    case_url = file_as_consumer(consumer, world.shop)
    assert case_url.startswith("https://cxm.example.cn:8443/c/")
