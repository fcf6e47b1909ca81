"""Nothing written for staff only ever reaches the parties or the public (issue 11, item 1).

One case walks its whole life (filed → accepted → the shop's reply and offer → mediation scheduled
with a note → outcome → survey), beside a flag, a sanction and a decided appeal of the same shop and a
consultation, with a unique marker in every field labelled internal. After every step each page the
consumer and the shop open, the QR page, the search page, the API answers, the open-data page and
every SMS are read: no marker may appear. The staff pages show every marker, so they are real.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from registry.clock import utcnow
from registry.complaints import handling
from registry.consultations.services import ConsultationInput, record_consultation
from registry.extensions import db
from registry.messaging.models import OutboxMessage
from registry.moderation import appeals, flags, sanctions
from registry.moderation.sanctions import SanctionInput

from .helpers import MEDIATION_WHEN, OFFER, OFFER_CENTS, REPLY, SUMMARY, file

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

# One per internal field; plain Latin letters, so no page's escaping can hide one.
MARKERS = {
    "case note before acceptance": "QXNOTEFILED",
    "mediation note": "QXMEDIATIONNOTE",
    "case note after closing": "QXNOTECLOSED",
    "staff flag reason": "QXFLAGREASON",
    "flag dismissal note": "QXFLAGDISMISSAL",
    "sanction internal note": "QXSANCTIONNOTE",
    "appeal decision internal part": "QXAPPEALINTERNAL",
    "consultation summary": "QXCONSULTATION",
}


def test_no_internal_note_ever_reaches_the_consumer_the_shop_or_the_public(app, world, login_as):
    shop, staff = world.shop, world.staff
    consumer = app.test_client()
    owner = login_as(app.test_client(), world.owner)
    public = app.test_client()
    written: list[str] = []
    complaint, token = file(shop)
    sanction_id = None

    def pages():
        """(who, url) for every page a party or the public reads at this point of the case."""
        urls = [(consumer, f"/c/{token}")]
        if complaint.decided_at is not None:
            urls += [(owner, "/my/complaints/"), (owner, f"/my/complaints/{complaint.id}")]
        urls += [(owner, f"/my/shops/{shop.id}"), (public, f"/m/{shop.public_code}"),
                 (public, f"/search?q={shop.name}"), (public, f"/api/v1/shops/{shop.public_code}"),
                 (public, f"/api/v1/shops/{shop.public_code}/complaints"), (public, "/open-data")]
        if sanction_id is not None:
            urls.append((owner, f"/my/sanctions/{sanction_id}/appeal"))
        return urls

    def nothing_leaked(step: str):
        db.session.commit()
        for client, url in pages():
            response = client.get(url)
            assert response.status_code == 200, (step, url)
            text = response.get_data(as_text=True)
            for marker in written:
                assert marker not in text, f"after {step}: {marker} on {url}"
        for body in db.session.scalars(db.select(OutboxMessage.body)):
            for marker in written:
                assert marker not in body, f"after {step}: {marker} in an SMS"

    def note(field: str) -> str:
        written.append(MARKERS[field])
        return MARKERS[field]

    nothing_leaked("filing")
    handling.add_staff_note(complaint, staff, note("case note before acceptance"))
    handling.accept_complaint(complaint, staff, complaint.version, SUMMARY)
    nothing_leaked("acceptance")
    handling.merchant_reply(complaint, world.owner, REPLY, OFFER, OFFER_CENTS)
    nothing_leaked("the shop's reply")
    handling.respond_to_offer(complaint, False, "只退差价不够")
    handling.schedule_mediation(complaint, staff, complaint.version, MEDIATION_WHEN, "西湖区消保委调解室",
                                note("mediation note"))
    nothing_leaked("mediation scheduled")
    handling.record_mediation(complaint, staff, complaint.version, True, 2000, "商家退还货款 20 元。")
    handling.add_staff_note(complaint, staff, note("case note after closing"))
    nothing_leaked("the outcome")
    handling.answer_followup(complaint, True, 4, "处理得还可以")
    nothing_leaked("the survey")

    flag = flags.raise_staff_flag(shop, staff, note("staff flag reason"))
    flags.report_misused_badge(shop, "扫码显示的店名不对", None)
    nothing_leaked("flags raised")
    flags.dismiss_flag(flag, staff, note("flag dismissal note"))
    nothing_leaked("a flag dismissed")

    sanction = sanctions.issue_warning(shop, staff, SanctionInput("price_fraud", "多次价格欺诈，经核实属实。",
                                                                  note("sanction internal note")))
    sanction_id = sanction.id
    nothing_leaked("a warning")
    appeal = appeals.submit_appeal(sanction, world.owner, "我们已经整改，更新了全部价签，请求撤销警示。", [])
    nothing_leaked("the appeal")
    appeals.decide_appeal(appeal, world.admin, False, "价签问题属实，维持警示。", note("appeal decision internal part"))
    nothing_leaked("the appeal decided")

    record_consultation(staff, ConsultationInput("phone", "价格问题", shop.district, None,
                                                 f"询问退差价的规定 {note('consultation summary')}", "answered",
                                                 utcnow() - timedelta(hours=1)))
    nothing_leaked("a consultation")

    assert written == list(MARKERS.values())
    # The staff pages show every marker: the fields were really written and really shown to staff.
    staff_client = login_as(app.test_client(), world.admin)
    staff_text = "".join(staff_client.get(url).get_data(as_text=True) for url in (
        f"/staff/complaints/{complaint.id}", f"/staff/flags/{flag.id}", f"/staff/sanctions/{sanction.id}",
        "/staff/consultations"))
    assert [m for m in MARKERS.values() if m not in staff_text] == []
