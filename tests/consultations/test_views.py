"""The consultations page: staff only, quick entry, filters and paging, district scope, corrections."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from conftest import LOGIN_REDIRECT, MATRIX_ROLES, assert_answer
from registry.consultations.forms import local_text
from registry.consultations.models import Consultation
from registry.consultations.services import ConsultationInput, record_consultation
from registry.clock import utcnow
from registry.extensions import db

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


def form(**overrides) -> dict:
    data = {"channel": "phone", "received_at": local_text(utcnow() - timedelta(minutes=5)), "topic": "预付卡退费",
            "district": "西湖区", "township": "转塘街道", "summary": "健身房闭店，询问预付卡退款途径。",
            "outcome": "answered"}
    data.update(overrides)
    return data


def rows() -> list[tuple]:
    db.session.expire_all()
    return list(db.session.execute(select(Consultation.id, Consultation.channel, Consultation.topic,
                                          Consultation.district, Consultation.outcome, Consultation.summary,
                                          Consultation.recorded_by_id).order_by(Consultation.id)).all())


def logged(staff, district="西湖区", topic="价格问题", channel="visit", received_at=None) -> Consultation:
    consultation = record_consultation(staff, ConsultationInput(channel, topic, district, None, "询问明码标价。",
                                                                "answered", received_at))
    db.session.commit()
    return consultation


def topics_listed(response) -> list[str]:
    html = response.get_data(as_text=True)
    table = html.split('<table class="table consultation-table">')[-1] if "consultation-table" in html else ""
    return re.findall(r"<td><strong>([^<]+)</strong>", table)


# --- Who may open what ---------------------------------------------------------------------------------

STAFF_ONLY = {"anonymous": LOGIN_REDIRECT, "merchant": 403, "other_merchant": 403}
ROUTES = [
    # (method, path, answers for staff, staff_elsewhere, admin); the entry is by 西湖区 staff, in 西湖区.
    ("GET", "/staff/consultations", (200, 200, 200)),
    ("GET", "/staff/consultations?channel=phone&month=2026-11&page=2", (200, 200, 200)),
    ("POST", "/staff/consultations", (200, 200, 200)),  # empty form: shown again with errors
    ("GET", "/staff/consultations/{entry}/edit", (200, 403, 403)),  # only the author, and in district
    ("POST", "/staff/consultations/{entry}/edit", (200, 403, 403)),
    ("GET", "/staff/consultations/999999/edit", (404, 404, 404)),
]


@pytest.mark.parametrize("role", MATRIX_ROLES)
@pytest.mark.parametrize(("method", "path", "answers"), ROUTES)
def test_only_staff_reach_the_consultations_pages(client, login_as, matrix_people, method, path, answers, role):
    entry = logged(matrix_people["staff"])
    url = path.format(entry=entry.id)
    if role != "anonymous":
        login_as(client, matrix_people[role])
    before = rows()

    response = client.open(url, method=method)

    expected = STAFF_ONLY.get(role) or dict(zip(("staff", "staff_elsewhere", "admin"), answers))[role]
    assert_answer(response, expected, url)
    assert rows() == before
    if response.status_code == 200:
        assert response.headers["Cache-Control"] == "no-store"


# --- Quick entry ---------------------------------------------------------------------------------------

@pytest.fixture
def staff(make_user):
    return make_user(role="staff", name="陈工")


@pytest.fixture
def staff_client(client, login_as, staff):
    return login_as(client, staff)


def test_quick_entry_records_and_comes_back_to_a_fresh_form_with_the_same_channel(staff_client, staff):
    response = staff_client.post("/staff/consultations?channel=letter", data=form(channel="letter"))

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/consultations?channel=letter"  # the list stays filtered
    assert rows() == [(rows()[0][0], "letter", "预付卡退费", "西湖区", "answered", "健身房闭店，询问预付卡退款途径。",
                       staff.id)]
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已登记一条来信咨询。" in page
    # The next entry starts on the same channel, with nothing else carried over.
    assert re.search(r'<input checked id="channel-2" name="channel" required type="radio" value="letter">', page)
    assert re.search(r'<input[^>]*name="topic"[^>]*value=""', page)


def test_a_mistake_keeps_what_was_typed_and_saves_nothing(staff_client):
    response = staff_client.post("/staff/consultations", data=form(summary="请回电 13867452301", outcome=""))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请选择处理结果。" in html
    assert "请回电 13867452301" in html and 'value="预付卡退费"' in html
    assert rows() == []

    response = staff_client.post("/staff/consultations", data=form(summary="请回电 13867452301"))
    assert "请不要记录手机号码等个人信息，只写咨询的内容和答复。" in response.get_data(as_text=True)
    assert rows() == []


def test_a_received_time_in_the_wrong_shape_is_refused(staff_client):
    response = staff_client.post("/staff/consultations", data=form(received_at="昨天上午"))

    html = response.get_data(as_text=True)
    assert "请按“2026-11-28 09:30”的格式填写受理时间。" in html and 'value="昨天上午"' in html
    assert rows() == []


def test_district_staff_record_and_see_their_district_only(client, login_as, make_user):
    xihu, binjiang = make_user(role="staff", district="西湖区"), make_user(role="staff", district="滨江区")
    logged(binjiang, district="滨江区", topic="滨江区的咨询")
    login_as(client, xihu)

    client.post("/staff/consultations", data=form(district="滨江区", topic="西湖区的咨询"))

    assert rows()[-1][2:4] == ("西湖区的咨询", "西湖区")
    assert topics_listed(client.get("/staff/consultations")) == ["西湖区的咨询"]
    assert topics_listed(client.get("/staff/consultations?district=滨江区")) == ["西湖区的咨询"]


# --- Filters and paging --------------------------------------------------------------------------------

def test_filters_by_channel_district_and_month(staff_client, staff):
    beijing = timezone(timedelta(hours=8))
    logged(staff, topic="十月来访", channel="visit", received_at=datetime(2026, 10, 31, 23, 0, tzinfo=beijing))
    logged(staff, topic="十一月来电", channel="phone", received_at=datetime(2026, 11, 1, 0, 30, tzinfo=beijing))
    logged(staff, topic="十一月滨江来电", channel="phone", district="滨江区",
           received_at=datetime(2026, 11, 2, 9, 0, tzinfo=beijing))

    assert topics_listed(staff_client.get("/staff/consultations")) == ["十一月滨江来电", "十一月来电", "十月来访"]
    assert topics_listed(staff_client.get("/staff/consultations?month=2026-11")) == ["十一月滨江来电", "十一月来电"]
    assert topics_listed(staff_client.get("/staff/consultations?channel=visit")) == ["十月来访"]
    assert topics_listed(staff_client.get("/staff/consultations?district=西湖区&month=2026-11")) == ["十一月来电"]
    totals = staff_client.get("/staff/consultations?month=2026-11").get_data(as_text=True)
    assert re.search(r"来电 <strong>2</strong>", totals) and re.search(r"来访 <strong>0</strong>", totals)


def test_the_list_is_paged(staff_client, staff):
    start = utcnow() - timedelta(days=1)
    for number in range(32):
        record_consultation(staff, ConsultationInput("phone", f"咨询{number:02d}", "西湖区", None, "摘要。", "answered",
                                                     start + timedelta(minutes=number)))
    db.session.commit()

    first = topics_listed(staff_client.get("/staff/consultations"))
    second = topics_listed(staff_client.get("/staff/consultations?page=2"))

    assert first[:2] == ["咨询31", "咨询30"] and len(first) == 30
    assert second == ["咨询01", "咨询00"]


# --- Corrections ---------------------------------------------------------------------------------------

def test_the_author_corrects_an_entry_on_the_day(staff_client, staff):
    entry = logged(staff)
    assert f"/staff/consultations/{entry.id}/edit" in staff_client.get("/staff/consultations").get_data(as_text=True)

    page = staff_client.get(f"/staff/consultations/{entry.id}/edit").get_data(as_text=True)
    assert 'value="价格问题"' in page
    response = staff_client.post(f"/staff/consultations/{entry.id}/edit", data=form(outcome="complaint"))

    assert response.status_code == 302
    assert rows()[0][4] == "complaint"


def test_a_day_old_entry_can_no_longer_be_corrected(staff_client, staff):
    entry = logged(staff)
    db.session.execute(update(Consultation).where(Consultation.id == entry.id)
                       .values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    before = rows()

    assert f"/staff/consultations/{entry.id}/edit" not in staff_client.get("/staff/consultations").get_data(as_text=True)
    response = staff_client.post(f"/staff/consultations/{entry.id}/edit", data=form(outcome="complaint"))

    assert response.status_code == 403
    assert "只能修改自己在 24 小时内登记的记录。" in response.get_data(as_text=True)
    assert rows() == before


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_an_entry_without_the_csrf_token_is_refused(staff_client):
    response = staff_client.post("/staff/consultations", data=form())

    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Consultation.id))) == 0
