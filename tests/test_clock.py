"""registry.clock: the current moment (and the one switch tests turn), Beijing calendar dates and their
midnights, month arithmetic, and the formats people read. Pure functions; no app needed."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry import clock
from registry.clock import (CHINA, add_months, china_date, end_of_china_day, first_of_month, iso_china_date,
                            iso_china_datetime, local_date, local_datetime, start_of_china_day, today_in_china,
                            use_time_source, utcnow)
from tests.clock import Clock

UTC = timezone.utc


@pytest.fixture(autouse=True)
def system_clock_afterwards():
    yield
    use_time_source(None)


# --- the current moment ---------------------------------------------------------------------------


def test_utcnow_is_the_system_time_in_utc():
    before = datetime.now(UTC)
    now = utcnow()
    after = datetime.now(UTC)
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert before <= now <= after


def test_use_time_source_makes_every_reading_ask_the_source_until_released():
    moments = iter([datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)])
    use_time_source(lambda: next(moments))
    assert utcnow() == datetime(2026, 1, 1, tzinfo=UTC)
    assert utcnow() == datetime(2026, 1, 2, tzinfo=UTC)
    use_time_source(None)
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_the_clock_fixture_freezes_and_moves_all_time(clock):
    clock.set(datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC))  # 23:59:59 in Beijing
    assert utcnow() == datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)
    assert today_in_china() == date(2026, 12, 31)
    clock.advance(seconds=1)
    assert today_in_china() == date(2027, 1, 1)
    assert clock.advance(days=1) == utcnow() == datetime(2027, 1, 1, 16, 0, tzinfo=UTC)


def test_a_ticking_clock_moves_on_at_every_reading(clock):
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    clock.tick = timedelta(seconds=61)
    assert utcnow() == datetime(2026, 1, 1, 0, 1, 1, tzinfo=UTC)
    assert utcnow() == datetime(2026, 1, 1, 0, 2, 2, tzinfo=UTC)


def test_the_test_clock_holds_aware_datetimes_only():
    with pytest.raises(ValueError):
        Clock(datetime(2026, 1, 1))
    frozen = Clock(datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError):
        frozen.set(datetime(2026, 1, 2))


# --- Beijing calendar dates -----------------------------------------------------------------------


@pytest.mark.parametrize(("moment", "day"), [
    (datetime(2026, 5, 31, 15, 59, 59, tzinfo=UTC), date(2026, 5, 31)),  # 23:59:59 Beijing
    (datetime(2026, 5, 31, 16, 0, tzinfo=UTC), date(2026, 6, 1)),  # 00:00 Beijing: the next day
    (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), date(2027, 1, 1)),  # a new year in Beijing, not in UTC
    (datetime(2026, 6, 1, 0, 0, tzinfo=CHINA), date(2026, 6, 1)),  # already in Beijing time
    (datetime(2026, 6, 1, 1, 0, tzinfo=timezone(timedelta(hours=-5))), date(2026, 6, 1)),  # 14:00 Beijing
])
def test_china_date_is_the_date_in_beijing(moment, day):
    assert china_date(moment) == day


def test_china_date_passes_a_date_through():
    assert china_date(date(2026, 2, 28)) == date(2026, 2, 28)


def test_china_date_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="naive"):
        china_date(datetime(2026, 6, 1, 12, 0))


def test_today_in_china_follows_the_time_source():
    use_time_source(lambda: datetime(2026, 9, 30, 16, 0, tzinfo=UTC))
    assert today_in_china() == date(2026, 10, 1)
    use_time_source(lambda: datetime(2026, 9, 30, 15, 59, tzinfo=UTC))
    assert today_in_china() == date(2026, 9, 30)


def test_a_beijing_day_starts_at_16_utc_the_evening_before_and_ends_at_the_next_midnight():
    assert start_of_china_day(date(2026, 1, 1)) == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
    assert end_of_china_day(date(2026, 1, 1)) == datetime(2026, 1, 1, 16, 0, tzinfo=UTC)
    assert start_of_china_day(date(2026, 3, 1)) - start_of_china_day(date(2026, 2, 28)) == timedelta(days=1)
    assert start_of_china_day(date(2026, 1, 1)).tzinfo == UTC


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_every_moment_lies_within_its_beijing_day(moment):
    day = china_date(moment)
    assert start_of_china_day(day) <= moment < end_of_china_day(day)
    assert end_of_china_day(day) == start_of_china_day(day + timedelta(days=1))


# --- month arithmetic -----------------------------------------------------------------------------


@pytest.mark.parametrize(("moment", "months", "expected"), [
    (datetime(2026, 1, 15, 8, 30, tzinfo=UTC), 1, datetime(2026, 2, 15, 8, 30, tzinfo=UTC)),
    (datetime(2026, 1, 31, 8, 30, tzinfo=UTC), 1, datetime(2026, 2, 28, 8, 30, tzinfo=UTC)),  # month end
    (datetime(2028, 1, 31, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),  # leap year
    (datetime(2026, 3, 31, tzinfo=UTC), 1, datetime(2026, 4, 30, tzinfo=UTC)),
    (datetime(2026, 11, 30, tzinfo=UTC), 3, datetime(2027, 2, 28, tzinfo=UTC)),  # across the year
    (datetime(2026, 12, 31, tzinfo=UTC), 12, datetime(2027, 12, 31, tzinfo=UTC)),
    (datetime(2026, 3, 31, tzinfo=UTC), -1, datetime(2026, 2, 28, tzinfo=UTC)),  # backwards
    (datetime(2026, 1, 10, tzinfo=UTC), -1, datetime(2025, 12, 10, tzinfo=UTC)),
    (datetime(2026, 5, 20, tzinfo=UTC), 0, datetime(2026, 5, 20, tzinfo=UTC)),
])
def test_add_months_keeps_the_day_or_takes_the_months_last(moment, months, expected):
    assert add_months(moment, months) == expected


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)), st.integers(-240, 240))
def test_add_months_lands_in_the_right_month_never_later_in_the_day(moment, months):
    later = add_months(moment, months)
    assert (later.year * 12 + later.month) - (moment.year * 12 + moment.month) == months
    assert later.day <= moment.day and later.time() == moment.time()


@pytest.mark.parametrize(("day", "months_later", "expected"), [
    (date(2026, 5, 31), 0, date(2026, 5, 1)),
    (date(2026, 5, 1), 1, date(2026, 6, 1)),
    (date(2026, 12, 15), 1, date(2027, 1, 1)),
    (date(2026, 1, 15), -1, date(2025, 12, 1)),
    (date(2026, 1, 15), 25, date(2028, 2, 1)),
])
def test_first_of_month(day, months_later, expected):
    assert first_of_month(day, months_later) == expected


# --- what people read -----------------------------------------------------------------------------


def test_local_formats_show_beijing_time():
    moment = datetime(2026, 12, 31, 16, 5, tzinfo=UTC)  # 00:05 on 1 January in Beijing
    assert local_datetime(moment) == "2027-01-01 00:05"
    assert local_datetime(moment, "%H:%M") == "00:05"
    assert local_date(moment) == "2027-01-01"
    assert iso_china_date(moment) == "2027-01-01"
    assert iso_china_datetime(moment) == "2027-01-01T00:05:00+08:00"


def test_local_formats_of_nothing():
    assert local_datetime(None) == local_date(None) == ""
    assert iso_china_date(None) is None and iso_china_datetime(None) is None


def test_the_zone_is_beijings_without_daylight_saving():
    assert clock.CHINA_ZONE_NAME == "Asia/Shanghai"
    for month in range(1, 13):
        assert datetime(2026, month, 1, tzinfo=CHINA).utcoffset() == timedelta(hours=8)
