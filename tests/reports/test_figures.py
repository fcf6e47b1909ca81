"""Reports: every figure checked against a small world whose answers were worked out by hand.

The world straddles the 2026 year boundary in Beijing time (00:00 on 1 January is 16:00 UTC the day
before), so a figure that compared UTC dates, or attributed a case by the wrong timestamp, is off by one.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timezone

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from registry.clock import use_time_source
from registry.merchants.services import set_standing
from registry.complaints.models import Complaint
from registry.consultations.models import Consultation
from registry.extensions import db
from registry.moderation.models import Sanction
from registry.pledges.models import Signature
from registry.reports.figures import amount_in_words, build_report, headline_sentence, period_label
from registry.reports.periods import Period, parse_period
from registry.clock import CHINA

# Distinctive on purpose: an export or page that leaks them is found by searching for them.
CONSUMER_NAME = "欧阳锋锐"
CONSUMER_PHONE = "13867452301"


def year_words(year: int) -> str:
    """How the reports name a whole year: 全年 once it is over, 截至 today while it runs (Beijing date)."""
    return period_label(date(year, 1, 1), date(year + 1, 1, 1))


def cst(*parts) -> datetime:
    """A Beijing wall-clock time, as the aware datetime the database stores (in UTC)."""
    return datetime(*parts, tzinfo=CHINA).astimezone(timezone.utc)


def add_complaint(shop, clause, filed, *, status="filed", decided=None, closed=None, outcome=None, ground=None,
                  recovered=None, followup=None, score=None) -> Complaint:
    complaint = Complaint(
        tracking_number=f"TS{secrets.token_hex(6)}", merchant_id=shop.id, clause_kind=clause,
        description="这是一条用于统计测试的投诉内容。", purchase_date=date(2025, 10, 1), amount_cents=50000,
        demands="refund", consumer_name=CONSUMER_NAME, consumer_phone=CONSUMER_PHONE, privacy_consent_at=filed,
        access_token_hash=secrets.token_hex(32), submission_key=secrets.token_hex(16), status=status,
        outcome=outcome, refusal_ground=ground, amount_recovered_cents=recovered, filed_at=filed,
        decided_at=decided, closed_at=closed, followup_at=followup, followup_satisfaction=score,
        followup_resolved=True if score else None,
    )
    db.session.add(complaint)
    return complaint


def add_consultation(staff, channel, district, received) -> None:
    db.session.add(Consultation(channel=channel, topic="价格问题", district=district, summary="询问明码标价。",
                                outcome="answered", received_at=received, recorded_by_id=staff.id))


def add_sanction(shop, staff, kind, status, issued, *, approved=None, end_reason=None) -> None:
    db.session.add(Sanction(merchant_id=shop.id, kind=kind, clause_kind="price_fraud", public_reason="统计测试",
                            status=status, issued_by_id=staff.id, issued_at=issued, approved_at=approved,
                            end_reason=end_reason))


def record_standing_change(monkeypatch, shop, moment, cause, reason) -> None:
    """A change from active to lapsed at `moment`, written as the services write it (a StandingChange
    row and the audit entry; the chain's rows cannot be edited later)."""
    shop.standing = "active"  # as if it had signed again in between
    previous = use_time_source(lambda: moment)
    try:
        set_standing(shop, "lapsed", None, None, cause, reason, moment)
    finally:
        use_time_source(previous)


@pytest.fixture
def world(app, make_user, make_shop, monkeypatch):
    return build_world(make_user, make_shop, monkeypatch)


def build_world(make_user, make_shop, monkeypatch) -> dict:
    """Shops A (西湖区 转塘街道, 超市) and B (西湖区 双浦镇, 餐饮) and C (滨江区 长河街道, 超市), and the
    cases, consultations, signatures, lapses and sanctions listed with the expected figures below."""
    staff = make_user(role="staff", name="统计员")
    a = make_shop(name="甲超市", category="supermarket", district="西湖区", township="转塘街道")
    b = make_shop(name="乙餐厅", category="catering", district="西湖区", township="双浦镇")
    c = make_shop(name="丙超市", category="supermarket", district="滨江区", township="长河街道")

    # Complaints (Beijing times).
    add_complaint(a, "price_fraud", cst(2025, 12, 31, 23, 30), status="closed", decided=cst(2026, 1, 2, 10),
                  closed=cst(2026, 1, 10, 15), outcome="agreed", recovered=10000,
                  followup=cst(2026, 1, 11, 9), score=5)                                        # c1
    add_complaint(a, "counterfeit", cst(2026, 1, 1, 0, 10), status="closed", decided=cst(2026, 1, 1, 9),
                  closed=cst(2026, 2, 15, 16), outcome="mediated", recovered=50050,
                  followup=cst(2026, 2, 20, 10), score=4)                                       # c2
    add_complaint(b, "inferior", cst(2026, 3, 5, 10), status="refused", decided=cst(2026, 3, 6, 11),
                  closed=cst(2026, 3, 6, 11), ground="no_evidence")                             # c3
    add_complaint(b, "inferior", cst(2026, 6, 10, 8), status="closed", decided=cst(2026, 6, 10, 17),
                  closed=cst(2026, 7, 20, 10), outcome="failed", recovered=0)                   # c4
    add_complaint(a, "false_advertising", cst(2026, 12, 20, 10), status="closed", decided=cst(2026, 12, 21, 9),
                  closed=cst(2027, 1, 5, 0, 30), outcome="mediated", recovered=30000)           # c5
    add_complaint(c, "price_fraud", cst(2026, 11, 1, 10), status="closed", decided=cst(2026, 11, 3, 10),
                  closed=cst(2026, 12, 31, 23, 50), outcome="agreed", recovered=2000,
                  followup=cst(2027, 1, 2, 10), score=2)                                        # c6
    add_complaint(b, "forced_sale", cst(2026, 12, 31, 23, 59))                                  # c7
    add_complaint(a, "other", cst(2026, 4, 1, 10), status="withdrawn", closed=cst(2026, 4, 3, 10))  # c8
    add_complaint(c, "counterfeit", cst(2027, 1, 1, 0, 0))                                      # c9
    add_complaint(a, "price_fraud", cst(2025, 11, 1, 10), status="closed", decided=cst(2025, 11, 2, 10),
                  closed=cst(2025, 12, 31, 23, 59), outcome="mediated", recovered=99900)        # c10

    # Consultations.
    add_consultation(staff, "visit", "西湖区", cst(2026, 1, 1, 0, 5))
    add_consultation(staff, "phone", "西湖区", cst(2025, 12, 31, 23, 55))
    add_consultation(staff, "phone", "滨江区", cst(2026, 6, 1, 10))
    add_consultation(staff, "letter", "西湖区", cst(2026, 12, 31, 23, 59))
    add_consultation(staff, "online", "西湖区", cst(2027, 1, 1, 0, 0))

    # Signatures: A in March; B just before the year; C twice in the year (one shop, counted once).
    signatures = {s.merchant_id: s for s in db.session.scalars(select(Signature))}
    signatures[a.id].signed_at = cst(2026, 3, 1, 10)
    signatures[b.id].signed_at = cst(2025, 12, 31, 23, 0)
    signatures[c.id].signed_at = cst(2026, 5, 1, 10)
    db.session.add(Signature(certificate_code=secrets.token_hex(8), merchant_id=c.id,
                             pledge_version_id=signatures[c.id].pledge_version_id, signer_name="丙", signer_title="店主",
                             signed_at=cst(2026, 12, 31, 23, 59), expires_at=cst(2027, 12, 31, 23, 59),
                             signed_text="…", text_sha256="0" * 64))

    # Sanctions.
    add_sanction(a, staff, "warning", "active", cst(2026, 2, 1, 10))
    add_sanction(b, staff, "warning", "ended", cst(2026, 4, 1, 10), end_reason="appeal_granted")
    add_sanction(c, staff, "warning", "active", cst(2025, 12, 31, 23, 59))
    add_sanction(b, staff, "suspension", "ended", cst(2026, 5, 1, 10), end_reason="expired")
    add_sanction(c, staff, "revocation", "active", cst(2026, 12, 1, 10), approved=cst(2027, 1, 2, 10))
    add_sanction(a, staff, "revocation", "rejected", cst(2026, 3, 1, 10))
    add_sanction(b, staff, "revocation", "active", cst(2026, 9, 20, 10), approved=cst(2026, 10, 1, 10))
    db.session.flush()

    # Lapses, as the daily job and a reinstatement write them.
    record_standing_change(monkeypatch, a, cst(2026, 6, 1, 2), "lapse", "expired")
    record_standing_change(monkeypatch, a, cst(2026, 9, 1, 2), "lapse", "not re-signed")
    record_standing_change(monkeypatch, b, cst(2026, 7, 1, 10), "reinstated", "reinstated; must sign again")
    record_standing_change(monkeypatch, c, cst(2027, 1, 1, 0, 0), "lapse", "expired")
    db.session.commit()
    return {"staff": staff, "a": a, "b": b, "c": c}


def test_a_year_of_figures_matches_the_hand_count(world):
    report = build_report(date(2026, 1, 1), date(2027, 1, 1))

    # Consultations: visit 00:05 on 1 Jan, phone in June (滨江区), letter 23:59 on 31 Dec; the phone call
    # 5 minutes before the year and the online one at 00:00 on 1 Jan 2027 are outside.
    assert report.consultations_by_channel == {"visit": 1, "phone": 1, "letter": 1, "online": 0}
    assert report.consultations_total == 3
    # Received = filed in 2026: c2 (00:10 on 1 Jan), c3, c4, c5, c6, c7 (23:59 on 31 Dec), c8 = 7;
    # c1 (23:30 on 31 Dec 2025), c9 (00:00 on 1 Jan 2027) and c10 are not.
    assert report.complaints_received == 7
    # Every kind of the pledge's vocabulary has a row, the sixth clause's too.
    assert report.by_clause == {"counterfeit": 1, "inferior": 2, "false_advertising": 1, "price_fraud": 1,
                                "forced_sale": 1, "after_sales": 0, "other": 1}
    assert report.by_category["supermarket"] == 4 and report.by_category["catering"] == 3  # A 3 + C 1; B 3
    assert sum(report.by_category.values()) == 7
    assert report.by_district == {"西湖区": 6, "滨江区": 1}
    assert report.by_township == [("西湖区", "双浦镇", 3), ("西湖区", "转塘街道", 3), ("滨江区", "长河街道", 1)]
    assert report.by_month == {"2026-01": 1, "2026-02": 0, "2026-03": 1, "2026-04": 1, "2026-05": 0,
                               "2026-06": 1, "2026-07": 0, "2026-08": 0, "2026-09": 0, "2026-10": 0,
                               "2026-11": 1, "2026-12": 2}
    # Accepted = decided in 2026 and not refused: c1 (filed 2025, accepted 2 Jan), c2, c4, c5, c6 = 5.
    assert report.complaints_accepted == 5
    # Refused: c3 only, on the ground "no_evidence".
    assert report.complaints_refused == 1
    assert report.refused_by_ground["no_evidence"] == 1 and sum(report.refused_by_ground.values()) == 1
    # Closed in 2026: c1 agreed, c2 mediated, c4 failed, c6 agreed (23:50 on 31 Dec). c5 closed 00:30 on
    # 5 Jan 2027 and c10 23:59 on 31 Dec 2025 fall outside; c3 (refused) is never mediated.
    assert (report.complaints_agreed, report.complaints_mediated_by_staff) == (2, 1)
    assert report.complaints_mediated == 3
    assert report.complaints_mediation_failed == 1
    assert report.complaints_finished == 4
    assert report.complaints_withdrawn == 1  # c8
    assert report.mediation_rate == 75.0  # 3 ÷ 4
    # Recovered: c1 100.00 + c2 500.50 + c6 20.00 + c4 0 = 620.50 yuan (c5's 300 is 2027's, c10's 999 is 2025's).
    assert report.amount_recovered_cents == 62050
    assert report.amount_recovered_yuan == "620.50"
    assert amount_in_words(report.amount_recovered_cents) == "0.06 万元"
    with force_locale("en"):
        assert amount_in_words(report.amount_recovered_cents) == "¥620.50"
        assert amount_in_words(3_280_000) == "¥32,800"
    # Days to accept (Beijing dates): c1 2 (31 Dec → 2 Jan), c2 0, c4 0, c5 1, c6 2 → median 1.
    assert report.median_days_to_accept == 1.0
    # Days to close: c1 10, c2 45, c4 40, c6 60 → median (40 + 45) / 2 = 42.5.
    assert report.median_days_to_close == 42.5
    # Follow-ups answered in 2026: c1 (5) and c2 (4); c6 answered in 2027.
    assert (report.satisfaction_responses, report.satisfaction_average) == (2, 4.5)
    assert report.satisfaction_counts == {1: 0, 2: 0, 3: 0, 4: 1, 5: 1}
    # Shops: A and C signed in 2026 (C twice, counted once), B signed an hour before the year.
    assert report.shops_signed == 2
    # Lapsed: A (twice, counted once); B's "lapsed" was a reinstatement; C's lapse is at 00:00 on 1 Jan 2027.
    assert report.shops_lapsed == 1
    # Warned: A (B's was overturned on appeal, C's issued a minute before the year); suspended: B;
    # revoked: B (approved 1 Oct); C's revocation took effect in 2027, A's was rejected.
    assert (report.shops_warned, report.shops_suspended, report.shops_revoked) == (1, 1, 1)

    # 调处 as associations publish it: of the 5 accepted in 2026, concluded before 2027 — c1, c2, c4 (failed
    # counts: concluded) and c6 (closed 10 minutes before midnight); c5 closed on 5 Jan 2027. 4 ÷ 5.
    assert (report.complaints_handled, report.handling_rate) == (4, 80.0)
    assert report.resolution_rate == report.mediation_rate == 75.0
    # Every complaint was filed online; the three consultations are the receptions (网络 none).
    assert report.received_by_channel == {"online": 7, "phone": 0, "letter": 0, "visit": 0, "network": 0}
    assert report.receptions_by_channel == {"phone": 1, "letter": 1, "visit": 1, "network": 0}
    assert headline_sentence(report) == (year_words(2026) + "接待来信、来电、来访、咨询 3 人次；受理投诉 5 件，调处 4 件，"
                                         "调处率 80.0%；为消费者挽回经济损失 0.06 万元。")


def test_one_district_counts_only_its_shops_and_consultations(world):
    report = build_report(date(2026, 1, 1), date(2027, 1, 1), "西湖区")

    assert report.consultations_by_channel == {"visit": 1, "phone": 0, "letter": 1, "online": 0}
    assert report.complaints_received == 6  # all but c6 (滨江区)
    assert report.by_district == {"西湖区": 6}
    assert report.complaints_accepted == 4  # c1, c2, c4, c5
    assert report.complaints_refused == 1
    assert report.complaints_mediated == 2  # c1 agreed, c2 mediated
    assert report.complaints_finished == 3  # and c4 failed
    assert report.mediation_rate == 66.7
    assert report.amount_recovered_cents == 60050
    assert report.shops_signed == 1  # A
    assert (report.shops_warned, report.shops_suspended, report.shops_revoked, report.shops_lapsed) == (1, 1, 1, 1)
    assert headline_sentence(report).startswith("西湖区" + year_words(2026) + "接待来信、来电、来访、咨询 2 人次")


def test_a_month_either_side_of_the_year_boundary(world):
    december = build_report(date(2026, 12, 1), date(2027, 1, 1))
    january = build_report(date(2027, 1, 1), date(2027, 2, 1))

    # December: c5 and c7 received; c5 accepted; c6 closed by agreement 10 minutes before midnight.
    assert (december.complaints_received, december.complaints_accepted, december.complaints_mediated) == (2, 1, 1)
    assert (december.amount_recovered_cents, december.mediation_rate) == (2000, 100.0)
    assert december.by_month == {"2026-12": 2}
    # January 2027: c9 received at 00:00; c5 mediated (300.00); c6's follow-up (2); C's lapse; C's revocation.
    assert (january.complaints_received, january.complaints_accepted, january.complaints_mediated) == (1, 0, 1)
    assert (january.amount_recovered_cents, january.mediation_rate) == (30000, 100.0)
    assert (january.satisfaction_responses, january.satisfaction_average) == (1, 2.0)
    assert (january.shops_lapsed, january.shops_revoked) == (1, 1)
    assert january.consultations_by_channel["online"] == 1
    assert january.median_days_to_accept is None


def test_an_empty_period_has_no_rate_and_no_medians(app):
    report = build_report(date(2020, 1, 1), date(2020, 4, 1))

    assert report.complaints_received == 0
    assert report.mediation_rate is None
    assert (report.median_days_to_accept, report.median_days_to_close, report.satisfaction_average) == (None,) * 3
    assert headline_sentence(report) == ("2020年第一季度接待来信、来电、来访、咨询 0 人次；受理投诉 0 件，调处 0 件，"
                                         "调处率 暂无；为消费者挽回经济损失 0.00 万元。")


def test_public_summary_has_exactly_the_agreed_keys_and_is_json_safe(world):
    import json

    summary = build_report(date(2026, 1, 1), date(2027, 1, 1)).public_summary()

    assert set(summary) == {
        "period_start", "period_end", "district", "consultations_total", "consultations_by_channel",
        "complaints_received", "complaints_accepted", "complaints_refused", "complaints_mediated",
        "mediation_rate", "amount_recovered_yuan", "complaints_by_clause", "complaints_by_month",
        "complaints_by_district", "shops_signed", "shops_lapsed", "shops_warned", "shops_suspended",
        "shops_revoked", "median_days_to_accept", "median_days_to_close", "satisfaction_average",
        "satisfaction_responses", "complaints_handled", "handling_rate", "resolution_rate", "receptions_total",
        "complaints_by_channel", "acceptance", "acceptance_by_channel", "acceptance_by_township"}
    assert summary["period_start"] == "2026-01-01" and summary["period_end"] == "2027-01-01"
    assert summary["district"] is None
    assert summary["consultations_by_channel"] == {"visit": 1, "phone": 1, "letter": 1, "online": 0}
    assert summary["amount_recovered_yuan"] == "620.50"
    assert summary["mediation_rate"] == summary["resolution_rate"] == 75.0
    assert (summary["complaints_handled"], summary["handling_rate"]) == (4, 80.0)
    assert summary["complaints_by_month"]["2026-12"] == 2
    text = json.dumps(summary, ensure_ascii=False)
    assert CONSUMER_NAME not in text and CONSUMER_PHONE not in text


def test_a_period_must_end_after_it_starts(app):
    with pytest.raises(ValueError):
        build_report(date(2026, 2, 1), date(2026, 2, 1))


@pytest.mark.parametrize(("start", "end", "label"), [
    (date(2026, 1, 1), date(2027, 1, 1), "2026年全年"),
    (date(2026, 10, 1), date(2027, 1, 1), "2026年第四季度"),
    (date(2026, 3, 1), date(2026, 4, 1), "2026年3月"),
    (date(2026, 1, 5), date(2026, 2, 11), "2026年1月5日至2026年2月10日"),
])
def test_period_labels(app, start, end, label):
    assert period_label(start, end, today=date(2027, 3, 1)) == label


@pytest.mark.parametrize(("start", "end", "label", "english"), [
    (date(2026, 1, 1), date(2027, 1, 1), "2026年（截至 12 月 6 日）", "2026 (to 6 December)"),
    (date(2026, 10, 1), date(2027, 1, 1), "2026年第四季度（截至 12 月 6 日）", None),
    (date(2026, 12, 1), date(2027, 1, 1), "2026年12月（截至 12 月 6 日）", None),
])
def test_a_period_not_over_says_how_far_it_goes(app, start, end, label, english):
    with app.test_request_context():
        assert period_label(start, end, today=date(2026, 12, 6)) == label
        if english:
            with force_locale("en"):
                assert period_label(start, end, today=date(2026, 12, 6)) == english



TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(("args", "period"), [
    ({}, Period(date(2026, 1, 1), date(2027, 1, 1))),
    ({"kind": "year", "year": "2025"}, Period(date(2025, 1, 1), date(2026, 1, 1))),
    ({"kind": "quarter", "year": "2026", "quarter": "4"}, Period(date(2026, 10, 1), date(2027, 1, 1))),
    ({"kind": "month", "month": "2026-02"}, Period(date(2026, 2, 1), date(2026, 3, 1))),
    ({"kind": "range", "start": "2026-01-05", "end": "2026-02-10"}, Period(date(2026, 1, 5), date(2026, 2, 11))),
    ({"kind": "range", "start": "2026-03-01", "end": "2026-03-01"}, Period(date(2026, 3, 1), date(2026, 3, 2))),
])
def test_parse_period(app, args, period):
    assert parse_period(args, TODAY) == period


@pytest.mark.parametrize(("args", "field", "message"), [
    ({"kind": "range", "start": "2026-05-01", "end": "2026-01-01"}, "end", "截止日期不能早于起始日期。"),
    ({"kind": "range", "start": "2020-01-01", "end": "2026-01-01"}, "end", "统计期间最长 5 年，请缩短后再试。"),
    ({"kind": "range", "start": "2026-13-01", "end": "2026-12-01"}, "start", "请按“2026-03-31”的格式填写日期。"),
    ({"kind": "range", "start": "", "end": "2026-12-01"}, "start", "请填写起始日期。"),
    ({"kind": "year", "year": "1999"}, "year", "年份应在 2000 至 2027 之间。"),
    ({"kind": "year", "year": "abc"}, "year", "请选择年份。"),
    ({"kind": "quarter", "year": "2026", "quarter": "5"}, "quarter", "请选择季度。"),
    ({"kind": "month", "month": "2026-13"}, "month", "请按“2026-03”的格式选择月份。"),
    ({"kind": "decade"}, "kind", "请选择统计期间的类型。"),
])
def test_bad_periods_are_refused_with_a_message_on_the_field(app, args, field, message):
    from registry.errors import DomainError

    with pytest.raises(DomainError) as refused:
        parse_period(args, TODAY)
    assert (refused.value.field, refused.value.message) == (field, message)


def test_the_demo_data_reads_like_the_yearly_sentence(app):
    from registry.demo import load_demo
    from registry.clock import today_in_china

    load_demo(shop_count=15)
    db.session.commit()
    today = today_in_china()

    last_year = build_report(date(today.year - 1, 1, 1), date(today.year, 1, 1))
    this_year = build_report(date(today.year, 1, 1), date(today.year + 1, 1, 1))

    for report in (last_year, this_year):
        assert report.complaints_accepted > 0 and report.complaints_mediated > 0
        assert report.amount_recovered_cents > 0
        assert 0 < report.mediation_rate <= 100
    assert last_year.consultations_total > 100
    assert headline_sentence(last_year).startswith(f"{today.year - 1}年全年接待来信、来电、来访、咨询 ")
