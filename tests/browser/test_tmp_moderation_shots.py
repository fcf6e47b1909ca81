"""TEMPORARY: screenshots of every moderation page (deleted after review)."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from tests.browser.test_staff_moderation import load_demo, log_in

pytestmark = pytest.mark.browser


def test_shots(live_server, phone_context, desktop_context, shot):
    from registry.auth.models import Role
    from registry.auth.services import create_user, user_by_login
    from registry.complaints.evidence import process_evidence
    from registry.demo import DEMO_PASSWORD
    from registry.merchants.models import Merchant
    from registry.moderation import services
    from registry.moderation.services import SanctionInput
    from PIL import Image

    live = live_server
    facts = load_demo(live)
    with live.app.app_context():
        staff = user_by_login("staff@demo.cxm")
        second = create_user("staff2@demo.cxm", DEMO_PASSWORD, "李干事", Role.STAFF, district="西湖区")
        shops = list(db.session.scalars(select(Merchant).order_by(Merchant.id)))
        a, b, c, d = shops[0], shops[1], shops[2], shops[3]
        services.issue_warning(b, second, SanctionInput("price_fraud", "多次被投诉价签与结算价不符，经核实属实。"))
        proposal = services.propose_revocation(c, second, SanctionInput("counterfeit", "销售假冒白酒，情节严重。"))
        services.approve_revocation(proposal, staff)
        susp = services.suspend(d, second, SanctionInput("inferior", "以陈米冒充新米销售。"), None, True)
        buf = io.BytesIO()
        Image.new("RGB", (800, 600), (200, 180, 120)).save(buf, "JPEG")
        buf.seek(0)
        services.submit_appeal(susp, d.owner, "我们已全部下架问题大米并向消费者退款，进货单据齐全，请求撤销暂停。", [process_evidence(buf, "进货单.jpg")])
        services.propose_revocation(a, second, SanctionInput("false_advertising", "虚假宣传“纯手工”，拒不整改。"))
        services.raise_staff_flag(a, second, "多名居民反映缺斤少两。")
        ids = dict(b=b.id, c=c.id, d=d.id, a=a.id, bcode=b.public_code, ccode=c.public_code, dcode=d.public_code,
                   sanction=susp.id, proposal_a=None, d_owner=d.owner.login)
        ids["proposal_a"] = db.session.scalar(select(services.Sanction.id).where(services.Sanction.merchant_id == a.id, services.Sanction.status == "proposed"))
        db.session.commit()
        db.session.remove()

    desk = desktop_context().new_page()
    log_in(desk, live, "staff@demo.cxm", DEMO_PASSWORD)
    for name, url in [("dashboard", "/staff/"), ("flags", "/staff/flags"), ("flag", "/staff/flags/1"),
                      ("shop", f"/staff/shops/{ids['a']}"), ("sanctions", "/staff/sanctions?view=all"),
                      ("proposal", f"/staff/sanctions/{ids['proposal_a']}"), ("appeal", f"/staff/sanctions/{ids['sanction']}"),
                      ("appeals", "/staff/appeals"), ("shops", "/staff/shops?q=超市")]:
        desk.goto(live.url + url)
        shot(desk, f"tmp-desktop-{name}")
    desk.goto(live.url + f"/staff/shops/{ids['a']}")
    desk.get_by_role("heading", name="暂停", exact=True).click()
    shot(desk, "tmp-desktop-shop-open")
    ph = phone_context().new_page()
    log_in(ph, live, "staff@demo.cxm", DEMO_PASSWORD)
    for name, url in [("dashboard", "/staff/"), ("shop", f"/staff/shops/{ids['a']}"), ("appeal", f"/staff/sanctions/{ids['sanction']}")]:
        ph.goto(live.url + url)
        shot(ph, f"tmp-phone-staff-{name}", check_overflow=False)
    admin = desktop_context().new_page()
    log_in(admin, live, "admin@demo.cxm", DEMO_PASSWORD)
    admin.goto(live.url + "/admin/flag-rules")
    shot(admin, "tmp-desktop-rules")
    consumer = phone_context().new_page()
    for name, code in [("warned", ids["bcode"]), ("revoked", ids["ccode"]), ("rectify", ids["dcode"])]:
        consumer.goto(f"{live.url}/m/{code}")
        shot(consumer, f"tmp-phone-qr-{name}")
    owner = phone_context().new_page()
    log_in(owner, live, ids["d_owner"], DEMO_PASSWORD)
    owner.goto(f"{live.url}/my/shops/{ids['d']}")
    shot(owner, "tmp-phone-owner-shop")
    with live.app.app_context():
        warned = db.session.get(Merchant, ids["b"])
        blogin = warned.owner.login
        w = db.session.scalar(select(services.Sanction.id).where(services.Sanction.merchant_id == ids["b"]))
        db.session.remove()
    o2 = phone_context().new_page()
    log_in(o2, live, blogin, DEMO_PASSWORD)
    o2.goto(f"{live.url}/my/shops/{ids['b']}")
    shot(o2, "tmp-phone-owner-warned")
    o2.goto(f"{live.url}/my/sanctions/{w}/appeal")
    shot(o2, "tmp-phone-appeal-form")
