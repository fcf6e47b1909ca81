"""The yearly moderation section: flags raised and dismissed, misuse reports, sanctions by kind, appeals
decided and granted — counted for the period (and district), never naming anyone."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.moderation.models import Appeal, Flag, Sanction
from registry.reports import snapshots
from registry.reports.figures import build_report
from tests.reports.test_figures import build_world, cst

CONSUMER = "举报人张三"


@pytest.fixture
def world(app, make_user, make_shop, monkeypatch):
    return build_world(make_user, make_shop, monkeypatch)


def add_flag(shop, kind, raised, status="open", resolved=None):
    db.session.add(Flag(merchant_id=shop.id, kind=kind, reason=f"{CONSUMER} 13812345678", status=status,
                        raised_at=raised, resolved_at=resolved))


def add_appeal(sanction, status, decided):
    db.session.add(Appeal(sanction_id=sanction.id, merchant_id=sanction.merchant_id,
                          submitted_by_id=sanction.merchant.owner_id, text="我们有进货票据。", status=status,
                          decided_at=decided, submitted_at=cst(2026, 1, 1, 10)))


def moderation_world(world):
    a, b, c = world["a"], world["b"], world["c"]
    add_flag(a, "rule", cst(2026, 2, 1, 10), "actioned", cst(2026, 2, 2, 10))
    add_flag(a, "misused_badge", cst(2026, 3, 1, 10), "dismissed", cst(2026, 3, 5, 10))
    add_flag(c, "misused_badge", cst(2026, 8, 1, 10))
    add_flag(b, "staff", cst(2025, 12, 31, 23, 59), "dismissed", cst(2026, 1, 1, 0, 1))  # raised last year
    add_flag(c, "staff", cst(2027, 1, 1, 0, 0))  # next year
    sanctions = {(s.merchant_id, s.kind, s.status): s for s in db.session.scalars(select(Sanction))}
    add_appeal(sanctions[(b.id, "warning", "ended")], "granted", cst(2026, 4, 20, 10))
    add_appeal(sanctions[(a.id, "warning", "active")], "upheld", cst(2026, 2, 20, 10))
    add_appeal(sanctions[(b.id, "suspension", "ended")], "pending", None)
    db.session.commit()


def test_a_year_of_moderation_matches_the_hand_count(world):
    moderation_world(world)

    report = build_report(date(2026, 1, 1), date(2027, 1, 1))

    assert report.flags_by_kind == {"rule": 1, "misused_badge": 2, "staff": 0}
    assert (report.flags_raised, report.misuse_reports) == (3, 2)
    assert report.flags_dismissed == 2  # A's misuse report, and B's staff flag dismissed on 1 Jan
    # Took effect in 2026: warnings of A (Feb) and B (Apr, later overturned: still counted), B's suspension,
    # B's revocation (approved 1 Oct); C's warning was issued before the year, C's revocation approved after
    # it, A's revocation was rejected.
    assert report.sanctions_by_kind == {"warning": 2, "suspension": 1, "revocation": 1, "reinstatement": 0}
    assert (report.appeals_decided, report.appeals_granted) == (2, 1)


def test_one_district_counts_only_its_shops(world):
    moderation_world(world)

    report = build_report(date(2026, 1, 1), date(2027, 1, 1), "滨江区")

    assert report.flags_by_kind == {"rule": 0, "misused_badge": 1, "staff": 0}
    assert report.sanctions_by_kind["warning"] == 0 and report.appeals_decided == 0


def test_stats_show_the_section_without_naming_anyone(client, world, clock):
    moderation_world(world)
    clock.set(cst(2026, 12, 31, 12))  # "this year" is 2026

    page = client.get("/stats").get_data(as_text=True)

    assert "监督与处理" in page and "消费者举报诚信码被冒用（件）" in page
    assert CONSUMER not in page and "13812345678" not in page


def test_a_snapshot_stored_before_the_moderation_figures_is_recounted(app, world):
    report = build_report(date(2026, 1, 1), date(2027, 1, 1))
    snapshots.store([report])
    db.session.commit()
    assert snapshots.stored_report(report.start, report.end, None).sanctions_by_kind == report.sanctions_by_kind

    stored = db.session.scalar(select(snapshots.ReportSnapshot))
    stored.payload = stored.payload.replace('"sanctions_by_kind"', '"old_field"')
    db.session.commit()

    assert snapshots.stored_report(report.start, report.end, None) is None
