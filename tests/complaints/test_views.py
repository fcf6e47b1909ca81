"""The complaint pages through HTTP: the consumer's flow with a real SMS code and photo, a refused
form that keeps what was typed, the secret case link, the staff queue by legal clock, the access
matrix over every staff and shop-owner route, and the next steps shown when a case ends badly."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from registry.clock import today_in_china
from registry.complaints.models import Complaint, ComplaintEvent, EvidencePhoto
from registry.messaging.verification import PhoneVerification
from registry.extensions import db
from registry.messaging.models import OutboxMessage

from .helpers import (DESCRIPTION, NAME, PHONE, REPLY, SUMMARY, complaint_form, count, events_of, file,
                      flashes, hidden_value, jpeg_bytes, snapshot, today_china, walk)

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

CODE_IN_SMS = re.compile(r"验证码是 (\d{6})")


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the consumer's flow -----------------------------------------------------------------------


def test_consumer_files_a_complaint_with_a_photo_and_follows_it(app, client, world, evidence_dir):
    base = f"/m/{world.shop.public_code}/complain"
    start = client.get(base)
    assert start.status_code == 200 and "确认手机号" in text(start)

    sent = client.post(base, data={"phone": "138 6745 2301", "send": "1"})
    assert sent.status_code == 200
    message = db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.phone == PHONE))
    assert message is not None and message.purpose == "complaint"
    code = CODE_IN_SMS.search(message.body).group(1)
    assert code not in text(sent)  # the code travels by SMS only

    confirmed = client.post(base, data={"phone": hidden_value(text(sent), "phone"), "code": code, "confirm": "1"})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith(f"{base}/details")
    assert db.session.scalar(db.select(PhoneVerification.consumed_at)) is not None

    details = client.get(f"{base}/details")
    assert details.status_code == 200 and PHONE in text(details)  # the consumer sees their own number
    key = hidden_value(text(details), "submission_key")
    form = complaint_form(submission_key=key)
    form["photos"] = [(io.BytesIO(jpeg_bytes()), "IMG_0042.JPG")]
    filed = client.post(f"{base}/details", data=form, content_type="multipart/form-data")
    assert filed.status_code == 302
    case_url = urlsplit(filed.headers["Location"]).path
    assert re.fullmatch(r"/c/[0-9a-f]{32}", case_url)

    complaint = db.session.scalar(db.select(Complaint))
    assert count(Complaint) == 1
    assert (complaint.merchant_id, complaint.consumer_phone, complaint.consumer_name, complaint.description) == (
        world.shop.id, PHONE, NAME, DESCRIPTION)
    assert (complaint.amount_cents, complaint.demand_list, complaint.status) == (1990, ["refund", "apology"], "filed")
    assert re.fullmatch(r"TS\d{8}-0001", complaint.tracking_number)
    photo = db.session.scalar(db.select(EvidencePhoto))
    assert photo.complaint_id == complaint.id and photo.content_type == "image/jpeg"
    assert (evidence_dir / photo.stored_name).is_file() or any(evidence_dir.rglob(photo.stored_name))
    assert [e[1] for e in events_of(complaint)] == ["filed"]

    page = client.get(case_url)
    assert page.status_code == 200
    html = text(page)
    assert complaint.tracking_number in html
    assert any(complaint.tracking_number in m for m in flashes(html))
    assert "待受理" in html and "已上传 1 张证据照片" in html
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "same-origin"
    # The verification was spent on this complaint: the session keeps only the right to file another
    # one on purpose, offered here (test_one_verification.py has the rule).
    assert db.session.scalar(db.select(PhoneVerification.uses)) == 1
    assert "还要投诉另一件事" in html


def test_refused_form_keeps_what_was_typed_and_creates_nothing(app, client, world, verified, evidence_dir):
    verified(client)
    url = f"/m/{world.shop.public_code}/complain/details"
    key = hidden_value(text(client.get(url)), "submission_key")
    form = complaint_form(submission_key=key, amount="88.50", privacy_consent=None)
    form["photos"] = [(io.BytesIO(jpeg_bytes()), "receipt.jpg")]
    response = client.post(url, data=form, content_type="multipart/form-data")
    assert response.status_code == 200
    html = text(response)
    assert "请阅读个人信息处理说明并勾选同意" in html
    assert DESCRIPTION in html and f'value="{NAME}"' in html and 'value="88.50"' in html
    assert hidden_value(html, "submission_key") == key  # the same form, so a resubmit is still one complaint
    assert "请重新选择" in html  # browsers drop chosen files: say so
    assert count(Complaint) == 0 and count(EvidencePhoto) == 0
    assert not evidence_dir.exists() or not any(evidence_dir.rglob("*.*"))


def test_one_bad_submit_names_every_problem_and_keeps_what_was_typed(client, world, verified):
    verified(client)
    url = f"/m/{world.shop.public_code}/complain/details"
    key = hidden_value(text(client.get(url)), "submission_key")
    # Wrong for the form (no name), and for the filing rules (too short, a future date, no demand, no consent).
    form = complaint_form(submission_key=key, consumer_name="", description="太短了", purchase_date="2999-01-01",
                          demands=[], privacy_consent=None, amount="12.30")
    # A browser sends an empty file part when no photo was chosen.
    form["photos"] = [(io.BytesIO(b""), "")]

    response = client.post(url, data=form, content_type="multipart/form-data")

    html = text(response)
    assert response.status_code == 200
    for message in ("请填写您的姓名。", "至少 10 个字", "不能晚于今天", "请至少选择一项诉求", "请阅读个人信息处理说明并勾选同意"):
        assert message in html, message
    assert "太短了" in html and 'value="12.30"' in html and 'value="2999-01-01"' in html
    assert "请重新选择" not in html  # no photo was chosen, so none is asked for again
    assert count(Complaint) == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("description", "太短了", "至少 10 个字"),
    ("amount", "-1", "请填写金额"),
    ("demands", [], "请至少选择一项诉求"),
    ("purchase_date", "2999-01-01", "不能晚于今天"),
])
def test_each_refused_field_says_why(client, world, verified, field, value, message):
    verified(client)
    url = f"/m/{world.shop.public_code}/complain/details"
    key = hidden_value(text(client.get(url)), "submission_key")
    response = client.post(url, data=complaint_form(submission_key=key, **{field: value}))
    assert response.status_code == 200
    assert message in text(response)
    assert count(Complaint) == 0


@pytest.mark.parametrize(("language", "message"), [
    ("zh", "照片总大小超过 4 KB，请少选几张或缩小后再上传。"),
    ("en", "The photos together are larger than 4 KB. Please choose fewer photos or make them smaller"),
])
def test_photos_over_the_request_cap_say_so_and_lead_back_to_the_form(app, client, world, verified, language,
                                                                      message, monkeypatch):
    """Over MAX_CONTENT_LENGTH the body is never read: not the generic 413 page but what to do, in the
    reader's language, and the way back to the form."""
    verified(client)
    url = f"/m/{world.shop.public_code}/complain/details"
    key = hidden_value(text(client.get(url)), "submission_key")
    if language == "en":
        client.get("/lang/en")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    form = complaint_form(submission_key=key)
    form["photos"] = [(io.BytesIO(jpeg_bytes((400, 400)) + bytes(8192)), "big.jpg")]

    response = client.post(url, data=form, content_type="multipart/form-data")

    assert response.status_code == 413
    html = text(response)
    assert message in html
    assert f'href="{url}"' in html
    assert count(Complaint) == 0


# --- the clause cited: any clause of the pledge the shop signed ---------------------------------


def _file_through_the_form(client, verified, shop, clause: str, phone: str):
    verified(client, phone)  # a fresh verification each time: one verification files at most three
    url = f"/m/{shop.public_code}/complain/details"
    page = client.get(url)
    key = hidden_value(text(page), "submission_key")
    response = client.post(url, data=complaint_form(submission_key=key, clause=clause))
    assert response.status_code == 302, text(response)
    return text(page), db.session.scalar(db.select(Complaint).where(Complaint.submission_key == key))


def test_a_consumer_can_complain_about_every_clause_of_the_current_pledge(client, world, verified, pledge, auth):
    assert [c.kind for c in pledge.clauses][-1] == "after_sales"  # the sixth clause, once not offered
    choices = [str(c.number) for c in pledge.clauses] + ["other"]
    for index, choice in enumerate(choices):
        page, complaint = _file_through_the_form(client, verified, world.shop, choice, f"1390000{index:04d}")
        for clause in pledge.clauses:
            assert clause.text in page  # every clause offered in the signed words
        assert complaint.pledge_version_id == pledge.id
        if choice == "other":
            assert (complaint.clause_number, complaint.clause_kind) == (None, "other")
        else:
            clause = pledge.clauses[int(choice) - 1]
            assert (complaint.clause_number, complaint.clause_kind) == (clause.number, clause.kind)
    assert count(Complaint) == len(choices)
    # Staff see the sixth clause named like the others.
    after_sales = db.session.scalar(db.select(Complaint).where(Complaint.clause_kind == "after_sales"))
    auth.login(world.staff.login)
    case = client.get(f"/staff/complaints/{after_sales.id}")
    assert case.status_code == 200 and "不履行售后义务" in text(case)


def test_a_clause_added_in_a_later_version_can_be_cited_once_signed(client, world, verified, pledge):
    from registry.pledges.defaults import DEFAULT_CLAUSES
    from registry.pledges.signing import sign_pledge
    from registry.pledges.versions import publish_version

    seventh = {"kind": "other", "text": "七日内无理由退货，不设附加条件。", "text_en": "Seven-day returns."}
    newer = publish_version("诚信经营倡议书（第二版）", "本店承诺：", DEFAULT_CLAUSES + [seventh])
    db.session.commit()
    # Until the shop signs it, the form offers the clauses it did sign.
    page, complaint = _file_through_the_form(client, verified, world.shop, "6", "13900000101")
    assert seventh["text"] not in page and complaint.pledge_version_id == pledge.id

    sign_pledge(world.shop, newer, world.owner, world.shop.owner_name, "店主", "127.0.0.1",
                {c.number for c in newer.clauses})
    db.session.commit()
    page, complaint = _file_through_the_form(client, verified, world.shop, "7", "13900000102")
    assert seventh["text"] in page
    assert (complaint.pledge_version_id, complaint.clause_number, complaint.clause_kind) == (newer.id, 7, "other")


def test_a_clause_not_in_the_signed_pledge_is_refused(client, world, verified):
    verified(client)
    url = f"/m/{world.shop.public_code}/complain/details"
    key = hidden_value(text(client.get(url)), "submission_key")
    response = client.post(url, data=complaint_form(submission_key=key, clause="7"))  # the default pledge has six
    assert response.status_code == 200 and "has-error" in text(response)
    assert count(Complaint) == 0  # the service refuses it too (test_filing.py)


def test_a_wrong_case_link_is_404(client, world):
    _, token = file(world.shop)
    assert client.get(f"/c/{token}").status_code == 200
    for wrong in ("0" * 32, token[:-1] + ("0" if token[-1] != "0" else "1"), token.upper(), "nope", "f" * 64, "a" * 65):
        assert client.get(f"/c/{wrong}").status_code == 404, wrong
        assert client.post(f"/c/{wrong}/information", data={"body": "补充"}).status_code == 404, wrong


def test_consumer_actions_through_the_case_link(client, world):
    complaint, token = file(world.shop)
    walk(complaint, world, "replied")
    page = text(client.get(f"/c/{token}"))
    assert REPLY in page and "您是否接受商家的处理方案" in page
    assert client.post(f"/c/{token}/information", data={"body": "补充：小票在照片里。"}).status_code == 302
    assert client.post(f"/c/{token}/respond", data={"decision": "accept"}).status_code == 302
    assert client.post(f"/c/{token}/followup", data={"resolved": "yes", "satisfaction": "5"}).status_code == 302
    # Withdrawing a closed case (say, from a tab opened earlier): told why, on the fresh page.
    refused = client.post(f"/c/{token}/withdraw", data={}, follow_redirects=True)
    assert refused.status_code == 200
    assert any("已办结" in m and "撤回投诉" in m for m in flashes(text(refused))), flashes(text(refused))
    again = client.post(f"/c/{token}/followup", data={"resolved": "no", "satisfaction": "1"}, follow_redirects=True)
    assert any("已经填写过回访" in m for m in flashes(text(again)))
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert (complaint.status, complaint.outcome, complaint.followup_satisfaction) == ("closed", "agreed", 5)
    assert [e[1] for e in events_of(complaint)][-4:] == ["consumer_added", "consumer_accepted", "closed", "followup"]


# --- the staff queue ----------------------------------------------------------------------------


def _set_due(complaint, days_from_today: int) -> None:
    db.session.execute(update(Complaint.__table__).where(Complaint.__table__.c.id == complaint.id)
                       .values(due_date=today_china() + timedelta(days=days_from_today)))
    db.session.commit()


def test_staff_queue_is_sorted_by_due_date_and_marks_the_overdue(client, world, login_as, make_shop):
    later, _ = file(world.shop)
    overdue, _ = file(world.shop)
    soon, _ = file(world.shop)
    elsewhere_shop = make_shop(district="滨江区", name="江边小店")
    elsewhere, _ = file(elsewhere_shop)
    for complaint, days in ((later, 5), (overdue, -2), (soon, 1), (elsewhere, -9)):
        _set_due(complaint, days)

    login_as(client, world.staff)
    response = client.get("/staff/complaints")
    assert response.status_code == 200
    html = text(response)
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, re.S)[1:]  # skip the header
    order = [re.search(r"TS\d{8}-\d{4}", row).group(0) for row in rows]
    assert order == [overdue.tracking_number, soon.tracking_number, later.tracking_number]
    marked = {re.search(r"TS\d{8}-\d{4}", row).group(0): "已逾期" in row for row in rows}
    assert marked == {overdue.tracking_number: True, soon.tracking_number: False, later.tracking_number: False}
    assert "overdue-row" in rows[0] and "overdue-row" not in rows[1]
    assert elsewhere.tracking_number not in html  # another district's case

    case = text(client.get(f"/staff/complaints/{overdue.id}"))
    assert "已逾期" in case
    assert "已逾期" not in text(client.get(f"/staff/complaints/{soon.id}"))


def test_staff_queue_tabs(client, world, login_as):
    filed, _ = file(world.shop)
    open_case, _ = file(world.shop)
    walk(open_case, world, "replied")
    closed, _ = file(world.shop)
    walk(closed, world, "refused")
    login_as(client, world.admin)
    for view, shown in (("new", filed), ("open", open_case), ("closed", closed)):
        html = text(client.get(f"/staff/complaints?view={view}"))
        numbers = set(re.findall(r"TS\d{8}-\d{4}", html))
        assert numbers == {shown.tracking_number}, view


# --- the staff case page through HTTP -----------------------------------------------------------


def test_staff_take_a_case_from_acceptance_to_mediated(client, world, login_as):
    complaint, _ = file(world.shop)
    login_as(client, world.staff)
    url = f"/staff/complaints/{complaint.id}"

    def version():
        return hidden_value(text(client.get(url)), "version")

    assert client.post(f"{url}/accept", data={"version": version(), "public_summary": SUMMARY}).status_code == 302
    assert client.post(f"{url}/mediation", data={"version": version(), "when": "2030-10-20T14:30",
                                                 "place": "消保委调解室"}).status_code == 302
    early = client.post(f"{url}/outcome", data={"version": version(), "outcome": "mediated",
                                                "amount_recovered": "19.90", "terms": "商家退款"})
    assert early.status_code == 400 and "调解定于 2030-10-20 14:30 进行" in text(early) and "商家退款" in text(early)
    today = today_in_china().isoformat()
    assert client.post(f"{url}/mediation", data={"version": version(), "when": f"{today}T09:00",
                                                 "place": "消保委调解室"}).status_code == 302
    bad = client.post(f"{url}/outcome", data={"version": version(), "outcome": "mediated", "terms": "退款"})
    assert bad.status_code == 400 and "挽回的经济损失" in text(bad)
    assert client.post(f"{url}/outcome", data={"version": version(), "outcome": "mediated",
                                               "amount_recovered": "19.90", "terms": "商家退款"}).status_code == 302
    assert client.post(f"{url}/note", data={"version": version(), "body": "已回访"}).status_code == 302
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert (complaint.status, complaint.outcome, complaint.amount_recovered_cents) == ("closed", "mediated", 1990)
    assert [e[1] for e in events_of(complaint)] == ["filed", "accepted", "forwarded", "mediation_scheduled",
                                                    "mediation_scheduled",
                                                    "mediated", "closed", "staff_note"]


def test_merchant_replies_through_the_page(client, world, login_as):
    complaint, _ = file(world.shop)
    walk(complaint, world, "accepted")
    login_as(client, world.owner)
    listing = text(client.get("/my/complaints/"))
    assert complaint.tracking_number in listing
    url = f"/my/complaints/{complaint.id}"
    assert "回复消费者" in text(client.get(url))
    response = client.post(url, data={"body": REPLY, "offer": "退差价", "offer_amount": "10"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).status == "replied"
    event = db.session.scalar(db.select(ComplaintEvent).where(ComplaintEvent.kind == "merchant_replied"))
    assert (event.body, event.actor_id, event.is_public) == (REPLY, world.owner.id, True)


# --- where to go next ---------------------------------------------------------------------------


@pytest.mark.parametrize(("variant", "shows_next_steps"), [
    ("refused", True), ("closed_failed", True), ("closed_agreed", False), ("closed_mediated", False),
    ("accepted", False),
])
def test_refused_and_failed_cases_show_where_to_go_next(client, world, variant, shows_next_steps):
    complaint, token = file(world.shop)
    walk(complaint, world, variant)
    html = text(client.get(f"/c/{token}"))
    for words in ("12315", "法律援助", "12348", "仲裁", "人民法院"):
        assert (words in html) == shows_next_steps, words
    if variant == "refused":
        assert "缺少必要信息，无法核实" in html and "请补充购物小票后再投诉。" in html
    if variant == "closed_failed":
        assert "调解未成功" in html


# --- who may open what --------------------------------------------------------------------------

ROLES = ("anonymous", "owner", "other_merchant", "staff", "staff_elsewhere", "admin")
LOGIN = "login"


def staff_only(status, elsewhere=None):
    return {"anonymous": LOGIN, "owner": 403, "other_merchant": 403, "staff": status,
            "staff_elsewhere": status if elsewhere is None else elsewhere, "admin": status}


def owner_only(status):
    return {"anonymous": LOGIN, "owner": status, "other_merchant": 403, "staff": 403, "staff_elsewhere": 403,
            "admin": 403}


def signed_in(status):
    return {"anonymous": LOGIN} | dict.fromkeys(ROLES[1:], status)


def everyone(status):
    return dict.fromkeys(ROLES, status)


ROUTES = [
    # Staff area: deny by default; district staff only see their district's cases.
    ("GET", "/staff/complaints", staff_only(200)),
    ("GET", "/staff/complaints?view=closed", staff_only(200)),
    ("GET", "/staff/complaints/{id}", staff_only(200, elsewhere=403)),
    ("GET", "/staff/complaints/999999", staff_only(404)),
    # Empty forms: in-scope staff get the page again with the errors (400); nothing changes.
    ("POST", "/staff/complaints/{id}/accept", staff_only(400, elsewhere=403)),
    ("POST", "/staff/complaints/{id}/refuse", staff_only(400, elsewhere=403)),
    ("POST", "/staff/complaints/{id}/mediation", staff_only(400, elsewhere=403)),
    ("POST", "/staff/complaints/{id}/outcome", staff_only(400, elsewhere=403)),
    ("POST", "/staff/complaints/{id}/note", staff_only(400, elsewhere=403)),
    ("POST", "/staff/complaints/{id}/callback", staff_only(400, elsewhere=403)),  # empty form
    ("GET", "/staff/complaints/{id}/letter.pdf", staff_only(404, elsewhere=403)),  # accepted: no letter
    ("POST", "/staff/complaints/{id}/duplicate", staff_only(400, elsewhere=403)),
    # Staff intake: the empty form, and an empty post shown again with the errors.
    ("GET", "/staff/complaints/new", staff_only(200)),
    ("POST", "/staff/complaints/new", staff_only(400)),
    ("POST", "/staff/complaints/businesses/999999/link", staff_only(404)),
    ("GET", "/staff/complaints/replies", staff_only(200)),
    # A reply not held (approve: refused, back to the case) and an empty hide form (back with the error).
    ("POST", "/staff/complaints/replies/{reply}/approve", staff_only(302, elsewhere=403)),
    ("POST", "/staff/complaints/replies/{reply}/hide", staff_only(302, elsewhere=403)),
    ("POST", "/staff/complaints/replies/999999/hide", staff_only(404)),
    ("GET", "/staff/evidence/{photo}", staff_only(200, elsewhere=403)),
    ("GET", "/staff/evidence/999999", staff_only(404)),
    # The shop owner's area: a signed-in account; one complaint only for its shop's owner.
    ("GET", "/my/complaints/", signed_in(200)),
    ("GET", "/my/complaints/{id}", owner_only(200)),
    ("POST", "/my/complaints/{id}", owner_only(200)),  # empty reply: shown again with the error
    ("GET", "/my/complaints/{filed_id}", signed_in(404)),  # not accepted yet: not forwarded to the shop
    ("GET", "/my/complaints/999999", signed_in(404)),
    # The consumer's pages: no account, the secret link is the key.
    ("GET", "/m/{code}/complain", everyone(200)),
    ("GET", "/m/{code}/complain/details", everyone(302)),  # no verified phone: back to the code
    ("GET", "/c/{token}", everyone(200)),
    ("GET", "/c/{token}x", everyone(404)),
    ("POST", "/c/{token}/information", everyone(400)),  # empty: shown again with the error
    ("POST", "/c/{token}/respond", everyone(400)),
    ("GET", "/c/{token}/letter.pdf", everyone(404)),  # accepted: no closing letter
]


@pytest.fixture
def matrix_world(world, evidence_dir):
    complaint, token = file(world.shop, photos=[_photo()])
    walk(complaint, world, "accepted")
    filed, _ = file(world.shop)
    replied = walk(file(world.shop)[0], world, "replied")
    return {"id": complaint.id, "filed_id": filed.id, "photo": complaint.photos[0].id, "token": token,
            "code": world.shop.public_code, "reply": replied.events[-1].id}


def _photo():
    from registry.uploads import process_image

    return process_image(io.BytesIO(jpeg_bytes()), "receipt.jpg")


def _user(world, role):
    return {"owner": world.owner, "other_merchant": world.other_owner, "staff": world.staff,
            "staff_elsewhere": world.staff_elsewhere, "admin": world.admin}.get(role)


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, world, matrix_world, login_as, role, subtests):
    client = app.test_client()
    if role != "anonymous":
        login_as(client, _user(world, role))
    ids = matrix_world
    watched = [db.session.get(Complaint, ids["id"]), db.session.get(Complaint, ids["filed_id"])]
    for method, template, expected in ROUTES:
        url = template.format(**ids)
        with subtests.test(msg=f"{method} {url} as {role}"):
            before = [snapshot(c) for c in watched]
            response = client.open(url, method=method)
            response.close()  # a sent file stays open until the server closes the response
            if expected[role] == LOGIN:
                assert response.status_code == 302
                location = urlsplit(response.headers["Location"])
                assert location.path == "/login" and parse_qs(location.query)["next"] == [url]
            else:
                assert response.status_code == expected[role]
            if response.status_code == 200 and url.startswith(("/staff", "/my", "/c/")):
                assert "no-store" in response.headers["Cache-Control"]
            assert [snapshot(c) for c in watched] == before, "a refused or empty request changed the case"


COVERED_BLUEPRINTS = {"staff_complaints", "merchant_complaints"}


def test_the_matrix_lists_every_staff_and_owner_complaint_route(app, world, matrix_world):
    adapter = app.url_map.bind("localhost")
    listed = {(adapter.match(urlsplit(template.format(**matrix_world)).path, method=method)[0], method)
              for method, template, _ in ROUTES}
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              if rule.endpoint.split(".")[0] in COVERED_BLUEPRINTS for method in rule.methods & {"GET", "POST"}}
    assert routes - listed == set()
