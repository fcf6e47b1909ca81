"""How fast complaints are accepted, in working days: 当日受理率 and the median acceptance time, overall,
by channel and by township (reports.figures counts; this module does the working-day arithmetic).

A complaint "arrives" on its received date (complaints.models.Complaint.received_on: the day of the
call or visit, the letter's date, the day of the online filing). One that arrives on a weekend or a
public holiday is taken to arrive on the next working day, since no office could accept it sooner.
Its acceptance time is the number of working days after that day up to and including the day it was
accepted (workdays.calendar.working_days_between); accepted the day it arrived is 0, and it is then
counted as accepted the same working day (当日受理).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from registry.clock import china_date
from registry.reports.counting import one_decimal
from registry.workdays.calendar import add_working_days, is_working_day, working_days_between


def working_days_to_accept(received_on: date, decided_at: date | datetime) -> int:
    """Working days from a complaint's arrival to its acceptance (0: the same working day); `decided_at`
    is the acceptance time or its Beijing date."""
    arrival = received_on if is_working_day(received_on) else add_working_days(received_on, 1)
    return max(0, working_days_between(arrival, china_date(decided_at)))


def median(values: list[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return one_decimal(ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2)


def summary(days: list[int]) -> dict:
    """{accepted, same_day, same_day_rate (%, one decimal or None), median_working_days (or None)}:
    plain values, so a stored report keeps them as JSON."""
    same_day = sum(1 for d in days if d == 0)
    return {"accepted": len(days), "same_day": same_day,
            "same_day_rate": one_decimal(Decimal(same_day * 100) / Decimal(len(days))) if days else None,
            "median_working_days": median(days)}


def breakdowns(rows: Iterable[tuple[str, str, str, date, date | datetime, int]], channels: Iterable[str]
               ) -> tuple[dict, dict[str, dict], list[tuple[str, str, dict]]]:
    """From (channel, district, township, received_on, accepted on, how many) of the complaints accepted
    in a period (grouped in SQL, so a year is a few thousand rows at most): the overall summary, one per
    channel (every channel, empty ones too) and one per township (those with accepted complaints, most
    accepted first)."""
    overall: list[int] = []
    by_channel: dict[str, list[int]] = {channel: [] for channel in channels}
    by_township: dict[tuple[str, str], list[int]] = {}
    for channel, district, township, received_on, decided_on, count in rows:
        days = [working_days_to_accept(received_on, decided_on)] * int(count)
        overall.extend(days)
        by_channel.setdefault(channel, []).extend(days)
        by_township.setdefault((district, township or ""), []).extend(days)
    townships = sorted(((d, t, summary(v)) for (d, t), v in by_township.items()),
                       key=lambda row: (-row[2]["accepted"], row[0], row[1]))
    return summary(overall), {c: summary(v) for c, v in by_channel.items()}, townships
