"""回访 figures (reports.figures): the follow-up rate and the satisfaction average from staff call-backs and
the consumer's own survey, each case counted once, worked out by hand for 2026 (Beijing time)."""

from __future__ import annotations

from datetime import date

import pytest

from registry.complaints.models import CallBack
from registry.extensions import db
from registry.reports.figures import build_report
from registry.reports.presentation import report_tables

from .test_figures import add_complaint, cst

YEAR = (date(2026, 1, 1), date(2027, 1, 1))


def call(complaint, staff, at, reached, score=None):
    db.session.add(CallBack(complaint_id=complaint.id, staff_id=staff.id, called_at=at, reached=reached,
                            resolved=True if reached else None, satisfaction=score if reached else None,
                            remarks="内部备注"))
    db.session.flush()  # ids in the order the calls were recorded


@pytest.fixture
def world(app, make_user, make_shop):
    staff = make_user(role="staff", name="回访员")
    a = make_shop(name="甲超市", district="西湖区", township="转塘街道")
    b = make_shop(name="乙超市", district="滨江区", township="长河街道")
    closed = dict(status="closed", decided=cst(2026, 1, 5, 10))
    # d1: the survey (5) and a later reached call-back (2): followed up once, the survey's 5 counts.
    d1 = add_complaint(a, "price_fraud", cst(2026, 1, 2, 10), closed=cst(2026, 3, 1, 10), outcome="agreed",
                       followup=cst(2026, 3, 2, 10), score=5, **closed)
    # d2: not reached, then reached (3): followed up, 3.
    d2 = add_complaint(a, "price_fraud", cst(2026, 1, 2, 10), closed=cst(2026, 5, 1, 10), outcome="mediated",
                       **closed)
    # d3: only an unreached call: not followed up, no score.
    d3 = add_complaint(a, "inferior", cst(2026, 1, 2, 10), closed=cst(2026, 6, 1, 10), outcome="failed", **closed)
    # d4: nobody called: not followed up.
    add_complaint(a, "inferior", cst(2026, 1, 2, 10), closed=cst(2026, 7, 1, 10), outcome="agreed", **closed)
    # d5: reached twice (4, then 1): followed up once, the last call's 1 counts.
    d5 = add_complaint(a, "counterfeit", cst(2026, 1, 2, 10), closed=cst(2026, 8, 1, 10), outcome="mediated",
                       **closed)
    # d6: closed in 2025 (not finished in 2026), reached on 2 January 2026: its 5 counts in 2026 only.
    d6 = add_complaint(a, "counterfeit", cst(2025, 11, 2, 10), status="closed", decided=cst(2025, 11, 3, 10),
                       closed=cst(2025, 12, 20, 10), outcome="mediated")
    # d7: another district, reached (4).
    d7 = add_complaint(b, "price_fraud", cst(2026, 1, 2, 10), closed=cst(2026, 9, 1, 10), outcome="mediated",
                       **closed)
    # d8: reached on 31 December 2026 23:30 Beijing time (15:30 UTC): in 2026; on 1 January 00:10: in 2027.
    d8 = add_complaint(a, "price_fraud", cst(2026, 1, 2, 10), closed=cst(2026, 12, 1, 10), outcome="agreed",
                       **closed)
    db.session.flush()
    call(d1, staff, cst(2026, 4, 1, 10), True, 2)
    call(d2, staff, cst(2026, 5, 10, 10), False)
    call(d2, staff, cst(2026, 5, 12, 10), True, 3)
    call(d3, staff, cst(2026, 6, 5, 10), False)
    call(d5, staff, cst(2026, 8, 5, 10), True, 4)
    call(d5, staff, cst(2026, 8, 9, 10), True, 1)
    call(d6, staff, cst(2026, 1, 2, 10), True, 5)
    call(d7, staff, cst(2026, 9, 5, 10), True, 4)
    call(d8, staff, cst(2027, 1, 1, 0, 10), True, 2)
    db.session.commit()


def test_followup_rate_and_satisfaction_of_the_whole_area(world):
    report = build_report(*YEAR)
    # Finished in 2026: d1 d2 d3 d4 d5 d7 d8 = 7; followed up: d1 d2 d5 d7 d8 (d8's call is in 2027,
    # but the rate asks whether a finished case was followed up by the time of the report) = 5.
    assert (report.complaints_finished, report.complaints_followed_up, report.followup_rate) == (7, 5, 71.4)
    # Scores in 2026: d1 5 (survey), d2 3, d5 1, d6 5, d7 4 = 18 / 5.
    assert report.satisfaction_counts == {1: 1, 2: 0, 3: 1, 4: 1, 5: 2}
    assert (report.satisfaction_responses, report.satisfaction_average) == (5, 3.6)
    summary = {row[0]: row[1] for row in report_tables(report)[0].rows}
    assert (summary["回访（件）"], summary["回访率（%）"]) == (5, 71.4)


def test_one_district(world):
    report = build_report(*YEAR, district="西湖区")
    assert (report.complaints_finished, report.complaints_followed_up, report.followup_rate) == (6, 4, 66.7)
    assert (report.satisfaction_responses, report.satisfaction_average) == (4, 3.5)  # 5 3 1 5


def test_the_next_year_counts_the_late_call(world):
    report = build_report(date(2027, 1, 1), date(2028, 1, 1))
    assert report.satisfaction_counts == {1: 0, 2: 1, 3: 0, 4: 0, 5: 0}
    assert report.complaints_finished == 0 and report.followup_rate is None


def test_stats_and_the_yearly_report_show_the_rate(world, client, make_user, login_as, clock):
    clock.set(cst(2027, 3, 1, 10))
    assert "回访率" in client.get("/stats").text and "71.4%" in client.get("/stats").text
    login_as(client, make_user(role="staff"))
    page = client.get("/staff/reports/yearly?year=2026")
    assert page.status_code == 200 and "回访率（%）" in page.text and "71.4" in page.text


def test_the_demo_has_call_backs_letters_and_on_site_signatures(app, tmp_path):
    from sqlalchemy import func, select

    from registry.campaigns.models import PaperPledgePhoto
    from registry.clock import today_in_china
    from registry.complaints.letters import letter_kind
    from registry.complaints.models import Complaint
    from registry.demo import load_demo
    from registry.pledges.models import Signature

    app.config["PAPER_PLEDGE_DIR"] = str(tmp_path / "pledges")
    load_demo(shop_count=15)
    db.session.commit()
    reached = set(db.session.scalars(select(CallBack.reached).distinct()))
    assert reached == {True, False}
    methods = dict(db.session.execute(select(Signature.method, func.count()).group_by(Signature.method)).all())
    assert methods.get("onsite_sms") == 1 and methods.get("onsite_paper") == 1 and methods["online"] > 5
    assert db.session.scalar(select(func.count()).select_from(PaperPledgePhoto)) == 1
    kinds = {letter_kind(c) for c in db.session.scalars(select(Complaint))}
    assert {"refusal", "termination"} <= kinds
    today = today_in_china()
    report = build_report(date(today.year - 1, 1, 1), date(today.year, 1, 1))
    assert report.followup_rate is not None and 0 < report.followup_rate <= 100


def test_a_stored_report_without_the_new_figure_is_counted_again(world):
    import json

    from registry.reports import snapshots

    report = build_report(*YEAR)
    snapshots.store([report])
    db.session.commit()
    row = db.session.get(snapshots.ReportSnapshot, snapshots.snapshot_key(*YEAR, None))
    payload = json.loads(row.payload)
    del payload["complaints_followed_up"]  # as an older version stored it
    row.payload = json.dumps(payload)
    db.session.commit()
    assert snapshots.stored_report(*YEAR, None) is None
    assert snapshots.report_for(*YEAR).complaints_followed_up == 5
