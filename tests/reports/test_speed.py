"""Complaints by channel and township: 当日受理率, acceptance time in working days, 调处率 and receptions,
checked against a small world worked out by hand on the real 2025 calendar (National Day: 1–8 October
off; Sunday 28 September and Saturday 11 October worked). Then the same figures on /stats, in the
statistics API and in the staff report's CSV."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import date, datetime, timezone

import pytest

from registry.clock import CHINA
from registry.complaints.models import Complaint, UnlistedBusiness
from registry.consultations.models import Consultation
from registry.extensions import db
from registry.reports.figures import build_report, headline_sentence
from registry.reports.speed import working_days_to_accept
from registry.workdays.seeding import seed_from_library

SEPT_OCT = (date(2025, 9, 1), date(2025, 11, 1))


def cst(*parts) -> datetime:
    return datetime(*parts, tzinfo=CHINA).astimezone(timezone.utc)


@pytest.fixture
def calendar(app):
    seed_from_library()
    db.session.commit()


def _complaint(number, channel, received_on, *, shop=None, business=None, staff=None, status="accepted",
               decided=None, closed=None, outcome=None, ground=None) -> Complaint:
    complaint = Complaint(
        tracking_number=f"TS20250901-{number:04d}", merchant_id=shop.id if shop else None,
        business_id=business.id if business else None, clause_kind="other", description="统计用的投诉内容。",
        purchase_date=date(2025, 9, 1), amount_cents=10000, demands="refund", privacy_consent_at=cst(2025, 9, 1, 9),
        access_token_hash=secrets.token_hex(32), submission_key=secrets.token_hex(16), status=status,
        channel=channel, received_on=received_on, registered_by_id=staff.id if staff and channel != "online" else None,
        consent_kind="online" if channel == "online" else "verbal", filed_at=cst(*received_on.timetuple()[:3], 9),
        decided_at=decided, closed_at=closed, outcome=outcome, refusal_ground=ground,
        amount_recovered_cents=0 if outcome else None)
    db.session.add(complaint)
    db.session.flush()
    return complaint


@pytest.fixture
def world(app, calendar, make_user, make_shop):
    """k1–k8 below, with the working days each took written next to it."""
    staff = make_user(role="staff", name="统计员")
    a = make_shop(name="甲超市", district="西湖区", township="转塘街道")
    b = make_shop(name="乙餐厅", district="滨江区", township="长河街道")
    unlisted = UnlistedBusiness(name="路边水果摊", district="西湖区", township="双浦镇", created_by_id=staff.id)
    db.session.add(unlisted)
    db.session.flush()
    k1 = _complaint(1, "online", date(2025, 9, 23), shop=a, decided=cst(2025, 9, 23, 15), status="closed",
                    closed=cst(2025, 10, 20, 10), outcome="agreed")                      # Tue → Tue: 0
    k2 = _complaint(2, "phone", date(2025, 9, 23), shop=a, staff=staff, decided=cst(2025, 9, 24, 9))  # → Wed: 1
    k3 = _complaint(3, "letter", date(2025, 9, 27), business=unlisted, staff=staff,
                    decided=cst(2025, 9, 28, 10))       # a Saturday letter, accepted on the working Sunday: 0
    _complaint(4, "visit", date(2025, 9, 30), shop=b, staff=staff, decided=cst(2025, 10, 9, 10), status="closed",
               closed=cst(2025, 10, 25, 10), outcome="failed")                           # over the holiday: 1
    _complaint(5, "phone", date(2025, 9, 29), shop=b, staff=staff, decided=cst(2025, 10, 14, 16))  # 6
    _complaint(6, "phone", date(2025, 9, 24), shop=a, staff=staff, status="refused", decided=cst(2025, 9, 25, 9),
               closed=cst(2025, 9, 25, 9), ground="no_evidence")                         # refused: not accepted
    k7 = _complaint(7, "phone", date(2025, 9, 23), shop=a, staff=staff, status="duplicate",
                    decided=cst(2025, 9, 24, 9), closed=cst(2025, 9, 26, 9))             # a duplicate of k2
    k7.duplicate_of_id = k2.id
    _complaint(8, "network", date(2025, 9, 10), shop=a, staff=staff, decided=cst(2025, 9, 12, 10))  # Wed → Fri: 2
    db.session.add(Consultation(channel="phone", topic="价格问题", district="西湖区", summary="询问明码标价。",
                                outcome="answered", received_at=cst(2025, 9, 15, 10), recorded_by_id=staff.id))
    # The letter k3 was first logged as a consultation and turned into the complaint: one reception.
    db.session.add(Consultation(channel="letter", topic="商品质量", district="西湖区", summary="来信反映水果缺斤少两。",
                                outcome="complaint", received_at=cst(2025, 9, 29, 10), recorded_by_id=staff.id,
                                complaint_id=k3.id))
    db.session.commit()
    return {"a": a, "b": b, "k1": k1}


def test_working_days_to_accept_on_the_real_calendar(calendar):
    assert working_days_to_accept(date(2025, 9, 23), cst(2025, 9, 23, 23, 59)) == 0
    assert working_days_to_accept(date(2025, 9, 27), cst(2025, 9, 28, 10)) == 0  # Sat → the working Sunday
    assert working_days_to_accept(date(2025, 10, 1), cst(2025, 10, 9, 10)) == 0  # a holiday → first day back
    assert working_days_to_accept(date(2025, 9, 30), cst(2025, 10, 9, 10)) == 1
    assert working_days_to_accept(date(2025, 9, 29), cst(2025, 10, 14, 16)) == 6


def test_figures_by_channel_and_township_match_the_hand_count(world):
    report = build_report(*SEPT_OCT)

    # Received: every complaint but the duplicate, by channel (k6, refused, was received).
    assert report.complaints_received == 7
    assert report.received_by_channel == {"online": 1, "phone": 3, "letter": 1, "visit": 1, "network": 1}
    # Accepted: k1, k2, k3, k4, k5, k8 (k6 refused, k7 a duplicate) → days 0, 1, 0, 1, 6, 2.
    assert report.complaints_accepted == 6
    assert report.acceptance == {"accepted": 6, "same_day": 2, "same_day_rate": 33.3, "median_working_days": 1.0}
    assert report.acceptance_by_channel == {
        "online": {"accepted": 1, "same_day": 1, "same_day_rate": 100.0, "median_working_days": 0.0},
        "phone": {"accepted": 2, "same_day": 0, "same_day_rate": 0.0, "median_working_days": 3.5},
        "letter": {"accepted": 1, "same_day": 1, "same_day_rate": 100.0, "median_working_days": 0.0},
        "visit": {"accepted": 1, "same_day": 0, "same_day_rate": 0.0, "median_working_days": 1.0},
        "network": {"accepted": 1, "same_day": 0, "same_day_rate": 0.0, "median_working_days": 2.0},
    }
    assert report.acceptance_by_township == [
        ("西湖区", "转塘街道", {"accepted": 3, "same_day": 1, "same_day_rate": 33.3, "median_working_days": 1.0}),
        ("滨江区", "长河街道", {"accepted": 2, "same_day": 0, "same_day_rate": 0.0, "median_working_days": 3.5}),
        ("西湖区", "双浦镇", {"accepted": 1, "same_day": 1, "same_day_rate": 100.0, "median_working_days": 0.0}),
    ]
    # The unlisted business counts in its own township and district, and in the category "other".
    assert ("西湖区", "双浦镇", 1) in report.by_township and report.by_category["other"] == 1
    # 调处: of the 6 accepted, k1 (agreed) and k4 (failed) concluded before November → 2 ÷ 6.
    assert (report.complaints_handled, report.handling_rate) == (2, 33.3)
    assert report.handled_by_channel == {"online": 1, "phone": 0, "letter": 0, "visit": 1, "network": 0}
    assert report.resolution_rate == 50.0  # k1 agreed of k1, k4 finished
    # Receptions: 2 consultations (phone, letter) + staff-registered k2, k4, k5, k6, k8 (k3 came from
    # the letter consultation, k7 is a duplicate) = 7.
    assert report.receptions_by_channel == {"phone": 4, "letter": 1, "visit": 1, "network": 1}
    assert headline_sentence(report) == ("2025年9月1日至2025年10月31日接待来信、来电、来访、咨询 7 人次；受理投诉 6 件，"
                                         "调处 2 件，调处率 33.3%；为消费者挽回经济损失 0.00 万元。")


def test_one_district_cuts_every_channel_figure(world):
    report = build_report(*SEPT_OCT, "滨江区")
    assert report.received_by_channel == {"online": 0, "phone": 1, "letter": 0, "visit": 1, "network": 0}
    assert report.acceptance == {"accepted": 2, "same_day": 0, "same_day_rate": 0.0, "median_working_days": 3.5}
    assert [row[:2] for row in report.acceptance_by_township] == [("滨江区", "长河街道")]
    assert report.receptions_by_channel == {"phone": 1, "letter": 0, "visit": 1, "network": 0}


def test_the_statistics_api_publishes_the_channel_figures(client, world):
    response = client.get("/api/v1/statistics", query_string={"start": "2025-09-01", "end": "2025-11-01"})
    data = response.get_json()

    assert response.status_code == 200
    assert data["complaints_by_channel"] == {"online": 1, "phone": 3, "letter": 1, "visit": 1, "network": 1}
    assert (data["complaints_handled"], data["handling_rate"], data["resolution_rate"]) == (2, 33.3, 50.0)
    assert data["receptions_total"] == 7
    assert data["acceptance"]["same_day_rate"] == 33.3
    assert data["acceptance_by_channel"]["phone"]["median_working_days"] == 3.5
    assert data["acceptance_by_township"][0] == {"district": "西湖区", "township": "转塘街道", "accepted": 3,
                                                 "same_day": 1, "same_day_rate": 33.3, "median_working_days": 1.0}


def test_the_staff_report_has_the_channel_tables(client, world, make_user, login_as):
    login_as(client, make_user(role="admin", name="管理员"))
    query = "kind=range&start=2025-09-01&end=2025-10-31"
    page = client.get(f"/staff/reports?{query}").get_data(as_text=True)
    assert "受理投诉 6 件，调处 2 件，调处率 33.3%" in page and "当日受理率" in page

    rows = list(csv.reader(io.StringIO(client.get(f"/staff/reports/export/channels.csv?{query}")
                                       .data.decode("utf-8-sig"))))
    assert rows[0] == ["渠道", "收到", "受理", "调处", "当日受理率（%）", "受理用时中位数（工作日）"]
    assert ["来电", "3", "2", "0", "0.0", "3.5"] in rows and ["网上", "1", "1", "1", "100.0", "0.0"] in rows
    townships = list(csv.reader(io.StringIO(client.get(f"/staff/reports/export/acceptance_townships.csv?{query}")
                                            .data.decode("utf-8-sig"))))
    assert townships[1] == ["西湖区", "转塘街道", "3", "33.3", "1.0"]


def test_stats_shows_acceptance_by_channel_and_township(client, world, clock):
    clock.set(cst(2026, 3, 1, 10))  # /stats shows this year so far and last year (2025)
    html = client.get("/stats").get_data(as_text=True)
    year_2025 = html.split('id="year-2025"')[1]
    assert "投诉（按渠道）" in year_2025 and "受理速度（按乡镇、街道）" in year_2025
    assert "西湖区 双浦镇" in year_2025 and "33.3%" in year_2025
    assert "调处率：调处件数 ÷ 受理件数" in html
