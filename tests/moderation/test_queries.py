"""District scope and the staff dashboard."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from registry.errors import NotPermitted
from registry.extensions import db
from registry.moderation import queries, sanctions
from registry.moderation import flags as flagging
from registry.moderation.models import FLAG_OPEN, Sanction
from registry.pledges.signing import latest_signature

from .helpers import accept, count, file, flags, reason, refuse

pytestmark = pytest.mark.usefixtures("fresh_request_globals")


# --- District scope and the dashboard ---------------------------------------------------------------

def test_staff_of_another_district_cannot_act(world):
    for action in (lambda: sanctions.issue_warning(world.shop, world.staff_elsewhere, reason()),
                   lambda: sanctions.suspend(world.shop, world.staff_elsewhere, reason(), None, True),
                   lambda: sanctions.propose_revocation(world.shop, world.staff_elsewhere, reason()),
                   lambda: flagging.raise_staff_flag(world.shop, world.staff_elsewhere, "看看")):
        with pytest.raises(NotPermitted):
            action()
        db.session.rollback()
    flag = flagging.report_misused_badge(world.shop, "", None)
    db.session.commit()
    with pytest.raises(NotPermitted):
        flagging.dismiss_flag(flag, world.staff_elsewhere, "不是我区的")
    db.session.rollback()
    assert count(Sanction) == 0 and flags(world.shop, status=FLAG_OPEN) == [flag]


def test_the_dashboard_counts_only_the_officers_district(world, make_shop, frozen):
    elsewhere = make_shop(name="江边小店", district="滨江区")
    flagging.report_misused_badge(world.shop, "", None)
    flagging.report_misused_badge(elsewhere, "", None)
    sanctions.propose_revocation(elsewhere, world.staff_elsewhere, reason())
    db.session.commit()
    late = file(world.shop)
    file(elsewhere)
    # Make one complaint overdue: its decision clock ended yesterday.
    late.due_date = date(2026, 3, 1)
    db.session.commit()

    mine = queries.dashboard(world.staff)
    theirs = queries.dashboard(world.staff_elsewhere)
    everything = queries.dashboard(world.admin)
    assert [f.merchant_id for f in mine.open_flags] == [world.shop.id] and mine.open_flag_count == 1
    assert mine.proposals == [] and len(theirs.proposals) == 1 and len(everything.proposals) == 1
    assert (mine.clocks[0].total, mine.clocks[0].overdue) == (1, 1)
    assert (theirs.clocks[0].total, theirs.clocks[0].overdue) == (1, 0)
    assert everything.clocks[0].total == 2 and everything.open_flag_count == 2
    assert [c.id for c in mine.urgent] == [late.id]
    assert (mine.month.received, everything.month.received) == (1, 2)
    assert [f.merchant_id for f in queries.flags_page(world.staff, "open", 1).items] == [world.shop.id]


def test_month_figures_count_this_china_month(world, frozen):
    from registry.complaints.handling import record_mediation, schedule_mediation

    earlier = file(world.shop, phone="13900000031")
    accept(earlier, world.staff)
    frozen.set(datetime(2026, 3, 31, 17, 0, tzinfo=timezone.utc))  # 1 April, 01:00 in Beijing
    complaint = accept(file(world.shop, phone="13900000032"), world.staff)
    schedule_mediation(complaint, world.staff, complaint.version, frozen.now, "调解室", "")
    record_mediation(complaint, world.staff, complaint.version, True, 12345, "退款 123.45 元。")
    refuse(file(world.shop, phone="13900000033"), world.staff)
    db.session.commit()
    month = queries.dashboard(world.staff).month
    assert (month.received, month.accepted, month.closed, month.recovered_cents) == (2, 1, 1, 12345)
    assert queries.dashboard(world.staff).month_start == date(2026, 4, 1)


def test_shops_whose_pledge_lapses_within_30_days(world, frozen, make_shop):
    signature = latest_signature(world.shop)
    frozen.set(signature.expires_at - timedelta(days=31))
    rows, total = queries.lapsing_shops(world.staff, frozen.now)
    assert (rows, total) == ([], 0)
    frozen.set(signature.expires_at - timedelta(days=29))
    rows, total = queries.lapsing_shops(world.staff, frozen.now)
    assert {m.id for m, _ in rows} == {world.shop.id, world.other_shop.id} and total == 2
    assert queries.lapsing_shops(world.staff_elsewhere, frozen.now) == ([], 0)
    sanctions.suspend(world.shop, world.staff, reason(), None, True)  # a suspended shop is not "lapsing"
    db.session.commit()
    rows, total = queries.lapsing_shops(world.staff, frozen.now)
    assert [m.id for m, _ in rows] == [world.other_shop.id] and total == 1
