"""The counts the yearly report takes from the log, and the staff list's filters."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from registry.consultations.queries import consultations_for, count_by_channel, month_range
from registry.consultations.services import ConsultationInput, record_consultation
from registry.extensions import db

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

BEIJING = timezone(timedelta(hours=8))


def log(staff, channel: str, received_at: datetime, district: str = "西湖区") -> None:
    record_consultation(staff, ConsultationInput(channel, "价格问题", district, None, "询问明码标价的规定。", "answered",
                                                 received_at), now=datetime(2030, 1, 1, tzinfo=timezone.utc))


@pytest.fixture
def year_of_consultations(make_user):
    staff = make_user(role="staff")
    # Midnight New Year in Beijing is still 2026 in UTC: the year is counted by Beijing days.
    log(staff, "visit", datetime(2027, 1, 1, 0, 0, tzinfo=BEIJING))
    log(staff, "phone", datetime(2026, 12, 31, 23, 59, tzinfo=BEIJING))
    log(staff, "phone", datetime(2026, 1, 1, 0, 0, tzinfo=BEIJING))
    log(staff, "letter", datetime(2026, 6, 15, 9, 0, tzinfo=BEIJING), district="滨江区")
    log(staff, "online", datetime(2025, 12, 31, 23, 59, tzinfo=BEIJING))
    db.session.commit()
    return staff


def test_a_year_is_counted_by_channel_in_beijing_days(year_of_consultations):
    assert count_by_channel(date(2026, 1, 1), date(2027, 1, 1)) == {"visit": 0, "phone": 2, "letter": 1, "online": 0}


def test_counts_for_one_district(year_of_consultations):
    assert count_by_channel(date(2026, 1, 1), date(2027, 1, 1), district="滨江区") == {
        "visit": 0, "phone": 0, "letter": 1, "online": 0}


def test_aware_datetimes_are_used_as_given(year_of_consultations):
    start = datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)  # 2027-01-01 00:00 in Beijing
    assert count_by_channel(start, start + timedelta(days=1)) == {"visit": 1, "phone": 0, "letter": 0, "online": 0}
    with pytest.raises(ValueError):
        count_by_channel(datetime(2026, 1, 1), datetime(2027, 1, 1))


def test_every_channel_is_present_when_there_is_nothing(app):
    assert count_by_channel(date(2026, 1, 1), date(2027, 1, 1)) == {"visit": 0, "phone": 0, "letter": 0, "online": 0}


def test_month_ranges_in_beijing_time():
    start, end = month_range("2026-12")
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00")
    assert month_range("2026-13") is None
    assert month_range("十二月") is None
    assert month_range(None) is None


def test_the_list_is_scoped_filtered_and_newest_first(year_of_consultations, make_user):
    everyone = year_of_consultations
    xihu = make_user(role="staff", district="西湖区")

    def received(staff, **filters):
        return [c.received_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
                for c in db.session.scalars(consultations_for(staff, **filters))]

    assert received(everyone) == ["2027-01-01 00:00", "2026-12-31 23:59", "2026-06-15 09:00", "2026-01-01 00:00",
                                  "2025-12-31 23:59"]
    assert received(everyone, district="滨江区") == ["2026-06-15 09:00"]
    assert received(everyone, channel="phone", month="2026-12") == ["2026-12-31 23:59"]
    # A district-limited account never sees another district, whatever it asks for.
    assert "2026-06-15 09:00" not in received(xihu)
    assert received(xihu, district="滨江区") == received(xihu)
