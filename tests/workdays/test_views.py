"""The staff calendar page: who may see it, the warning for years not entered, adding and removing days."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.extensions import db
from registry.workdays.models import CalendarDay
from registry.workdays.seeding import seed_from_library
from registry.workdays.staff_views import bp

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")

MISSING_2027 = "2027 年法定节假日尚未录入：期限暂按周一至周五计算，请在国务院办公厅公布安排后录入。"


@pytest.fixture
def app(app):
    """The shared app, with the calendar blueprint registered until create_app does it
    (allowed: no request has been handled yet)."""
    if "workdays" not in app.blueprints:
        app.register_blueprint(bp)
    return app


@pytest.fixture
def staff_client(client, make_user, login_as):
    login_as(client, make_user(role="staff", district="西湖区"))
    return client


@pytest.fixture
def admin_client(client, make_user, login_as):
    """Administrators edit the calendar; staff only read it."""
    login_as(client, make_user(role="admin"))
    return client


def stored(day: date) -> CalendarDay | None:
    db.session.expire_all()
    return db.session.get(CalendarDay, day)


def day_count() -> int:
    return db.session.scalar(select(func.count()).select_from(CalendarDay))


URLS = [("get", "/staff/calendar"), ("get", "/staff/calendar?year=2027"), ("post", "/staff/calendar/days"),
        ("post", "/staff/calendar/days/2025-10-08/remove"), ("post", "/staff/calendar/years/2027/confirm")]


@pytest.mark.parametrize(("method", "url"), URLS)
def test_anonymous_visitors_are_sent_to_login(client, method, url):
    response = getattr(client, method)(url, data={"day": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert day_count() == 0


@pytest.mark.parametrize(("method", "url"), URLS)
def test_merchants_are_refused(client, make_user, login_as, method, url):
    login_as(client, make_user(role="merchant"))
    response = getattr(client, method)(url, data={"day": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert response.status_code == 403
    assert day_count() == 0


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_see_the_page_uncached(client, make_user, login_as, role):
    login_as(client, make_user(role=role))
    response = client.get("/staff/calendar")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_staff_see_the_warning_for_a_year_not_entered(app, staff_client):
    seed_from_library([2025, 2026])
    db.session.commit()

    html = staff_client.get("/staff/calendar?year=2027").get_data(as_text=True)
    assert MISSING_2027 in html
    assert "这一年还没有录入任何节假日或调休。" in html

    known = staff_client.get("/staff/calendar?year=2025").get_data(as_text=True)
    assert "2025 年法定节假日尚未录入" not in known
    assert "2025-10-11" in known and "调休上班（国庆节）" in known


def test_posting_a_day_stores_it_as_staff_entered(admin_client):
    response = admin_client.post("/staff/calendar/days", data={"day": "2027-01-01", "kind": "holiday", "name": "元旦"})

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).query == "year=2027"
    row = stored(date(2027, 1, 1))
    assert (row.source, row.is_workday, row.name) == ("staff", False, "元旦")
    assert db.session.scalar(select(AuditEntry.action)) == "calendar.day_set"
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已保存 2027-01-01 的安排。" in html and "元旦" in html


@pytest.mark.parametrize(("data", "message"), [
    ({"day": "2027-02-08", "kind": "holiday", "name": ""}, "2027-02-08 是工作日。设为放假时请填写节假日名称，例如：国庆节。"),
    ({"day": "2027-02-30", "kind": "holiday", "name": "春节"}, "请按“2027-01-01”的格式填写日期。"),
    ({"day": "2027-02-06", "kind": "", "name": "调休上班"}, "请选择放假还是上班。"),
    ({"day": "2207-02-08", "kind": "holiday", "name": "春节"}, "请填写 2000 至 2100 年之间的日期。"),
])
def test_an_invalid_day_is_explained_keeps_what_was_typed_and_saves_nothing(admin_client, data, message):
    response = admin_client.post("/staff/calendar/days", data=data)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert f'value="{data["day"]}"' in html
    if data["name"]:
        assert f'value="{data["name"]}"' in html
    if data["kind"]:
        assert re.search(rf'<option[^>]*selected[^>]*value="{data["kind"]}"|'
                         rf'<option[^>]*value="{data["kind"]}"[^>]*selected', html)
    assert day_count() == 0


def test_the_edit_link_prefills_the_form(admin_client):
    admin_client.post("/staff/calendar/days", data={"day": "2027-02-06", "kind": "workday", "name": "调休上班（春节）"})

    html = admin_client.get("/staff/calendar?edit=2027-02-06").get_data(as_text=True)
    assert 'value="2027-02-06"' in html and 'value="调休上班（春节）"' in html
    assert re.search(r'<option[^>]*selected[^>]*value="workday"|<option[^>]*value="workday"[^>]*selected', html)


def test_removing_a_day_goes_back_to_the_weekday_rule(admin_client):
    admin_client.post("/staff/calendar/days", data={"day": "2027-01-01", "kind": "holiday", "name": "元旦"})

    response = admin_client.post("/staff/calendar/days/2027-01-01/remove")

    assert response.status_code == 302
    assert stored(date(2027, 1, 1)) is None
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2027-01-01 已恢复按常规（周一至周五上班）计算。" in html


def test_removing_a_day_that_is_not_stored_is_explained(admin_client):
    response = admin_client.post("/staff/calendar/days/2027-03-03/remove", follow_redirects=True)
    assert "2027-03-03 没有单独录入的安排，已按常规计算。" in response.get_data(as_text=True)
    assert admin_client.post("/staff/calendar/days/not-a-date/remove").status_code == 404


def test_confirming_a_year_removes_its_warning(admin_client):
    refused = admin_client.post("/staff/calendar/years/2027/confirm", follow_redirects=True)
    assert "2027 年还没有录入任何节假日或调休，请先录入，再确认。" in refused.get_data(as_text=True)

    admin_client.post("/staff/calendar/days", data={"day": "2027-01-01", "kind": "holiday", "name": "元旦"})
    confirmed = admin_client.post("/staff/calendar/years/2027/confirm", follow_redirects=True)

    html = confirmed.get_data(as_text=True)
    assert "已确认 2027 年的节假日安排。" in html
    assert MISSING_2027 not in html


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_a_post_without_the_csrf_token_changes_nothing(admin_client):
    response = admin_client.post("/staff/calendar/days", data={"day": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert response.status_code == 400
    assert admin_client.post("/staff/calendar/years/2027/confirm").status_code == 400
    assert day_count() == 0


def test_staff_read_the_calendar_but_cannot_change_it(staff_client):
    """The calendar is area-wide: a district officer sees it without the forms, and every change is a 403."""
    seed_from_library([2025])
    db.session.commit()
    before = day_count()
    html = staff_client.get("/staff/calendar?year=2025").get_data(as_text=True)
    assert "2025-10-11" in html and "由管理员维护" in html
    assert 'action="/staff/calendar/days"' not in html and "恢复常规" not in html and "/confirm" not in html

    for url in ("/staff/calendar/days", "/staff/calendar/days/2025-10-08/remove", "/staff/calendar/years/2025/confirm"):
        response = staff_client.post(url, data={"day": "2027-01-01", "kind": "holiday", "name": "元旦"})
        assert response.status_code == 403, url
        assert "只有管理员可以修改工作日历" in response.get_data(as_text=True)
    assert day_count() == before and stored(date(2027, 1, 1)) is None and stored(date(2025, 10, 8)) is not None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
