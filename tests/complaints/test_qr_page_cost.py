"""The QR page is what a spike of scans hits (issue 6): rendered with at most three SQL statements
whatever the shop's history, plus the page-version lookup of the page cache (issue 16), which is all
a page served from the cache costs; no session cookie for an anonymous scan, and the stored 12-month
figures follow every move of a case."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from registry.badges.services import current_badge, reissue_badge
from registry.complaints.models import ShopComplaintFigures
from registry.extensions import db
from registry.moderation import sanctions
from registry.page_versions import bump_shop_pages

from .helpers import do, file, walk

pytestmark = pytest.mark.usefixtures("fresh_request_globals", "cheap_password_hashing")


@contextmanager
def counted_statements():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        # Transaction control and the read-only switch (database.reading_only) are not queries.
        if statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE") and not statement.startswith("PRAGMA "):
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def scan(client, shop, serial: str | None = None):
    """The statements of a page rendered (not in the page cache); the page cached then costs one."""
    url = f"/m/{shop.public_code}"
    client.get(url)  # the worker's first scan reads the pledge text once
    bump_shop_pages(db.session, [shop.id])  # what any change does: the next scan renders again
    db.session.commit()
    db.session.remove()  # a new request starts with an empty identity map, as in production
    query = {"s": serial} if serial else {}
    with counted_statements() as statements:
        response = client.get(url, query_string=query)
    assert response.status_code == 200 and response.headers["X-Page-Cache"] == "miss"
    db.session.remove()
    with counted_statements() as cached:
        again = client.get(url, query_string=query)
    assert again.headers["X-Page-Cache"] == "local" and len(cached) == 1, cached
    return response, statements


def test_a_plain_shop_costs_at_most_four_statements_and_sets_no_cookie(client, make_shop):
    shop = make_shop(name="美好生活超市")
    response, statements = scan(client, shop, current_badge(shop).serial)
    assert len(statements) <= 4, "\n---\n".join(statements)  # the page version, then the page
    assert "Set-Cookie" not in response.headers
    assert "美好生活超市" in response.get_data(as_text=True)


def test_many_complaints_sanctions_and_a_void_serial_still_cost_four(client, world, app):
    shop = world.shop
    for variant in ("closed_agreed", "closed_mediated", "replied", "accepted", "refused", "closed_failed") * 4:
        complaint, _ = file(shop)
        walk(complaint, world, variant)
        db.session.commit()
    sanctions.issue_warning(shop, world.staff, sanctions.SanctionInput("price_fraud", "价签与结算价不符。"))
    old_serial = current_badge(shop).serial
    reissue_badge(shop, world.owner)
    db.session.commit()

    response, statements = scan(client, shop, old_serial)
    html = response.get_data(as_text=True)

    assert len(statements) <= 4, "\n".join(statements)
    # Twenty newest published complaints (refused ones are never shown), with the shop's replies.
    assert html.count('class="pc-head"') == 20
    assert "商家回复" in html
    assert "此二维码已作废" in html and "价签与结算价不符。" in html  # the scanned void serial, the warning


def test_stored_figures_follow_each_move_of_a_case(client, world):
    shop = world.shop

    def stored():
        db.session.expire_all()
        return db.session.scalar(select(ShopComplaintFigures).where(ShopComplaintFigures.merchant_id == shop.id))

    def page():
        return re.sub(r"\s+", " ", client.get(f"/m/{shop.public_code}").get_data(as_text=True))

    complaint, _ = file(shop)
    assert stored() is None  # filed, not yet accepted: not counted
    do("accept", complaint, world)
    db.session.commit()
    assert (stored().accepted, stored().resolved, stored().concluded) == (1, 0, 0)
    # The only case is still open: it is not "0 % resolved", there is nothing concluded to judge by.
    assert "<strong>—</strong><span>已解决：尚无办结的投诉</span>" in page() and "0%" not in page()
    do("merchant_reply", complaint, world)
    do("accept_offer", complaint, world)
    db.session.commit()
    row = stored()
    assert (row.accepted, row.resolved, row.concluded) == (1, 1, 1)
    assert row.median_reply_days is not None
    html = page()
    assert "<strong>1</strong><span>受理投诉（件）</span>" in html
    assert "<strong>100%</strong><span>已解决（共办结 1 件）</span>" in html

    refused, _ = file(shop)
    do("refuse", refused, world)
    db.session.commit()
    assert stored().accepted == 1  # a refused case never counts


def test_the_daily_job_stores_figures_for_cases_written_without_the_services(runner, world):
    """An import or a restored backup writes cases directly: `flask complaints refresh-figures` makes
    the missing rows (and drops rows whose cases left the window)."""
    complaint, _ = file(world.shop)
    do("accept", complaint, world)
    db.session.commit()
    db.session.execute(ShopComplaintFigures.__table__.delete())
    db.session.commit()

    result = runner.invoke(args=["complaints", "refresh-figures"])

    assert result.exit_code == 0, result.output
    assert "1 shop(s)" in result.output
    db.session.expire_all()
    row = db.session.get(ShopComplaintFigures, world.shop.id)
    assert (row.accepted, row.resolved) == (1, 0)


def test_two_refreshes_of_one_shop_at_once_both_land(app, world):
    """Two cases of one shop move at the same moment (two officers, or an officer and the consumer):
    the second refresh waits for the first and stores its own count; never a duplicate-key error."""
    import threading

    from registry.complaints import figures

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time (BEGIN IMMEDIATE): the race cannot happen there")
    complaint, _ = file(world.shop)
    do("accept", complaint, world)
    db.session.commit()
    shop_id = world.shop.id

    figures.refresh([shop_id])  # this transaction now holds the shop; the other must wait for it
    outcome: dict = {}

    def other_request():
        with app.app_context():
            try:
                figures.refresh([shop_id])
                db.session.commit()
                outcome["ok"] = True
            except Exception as error:  # reported by the assertion below
                outcome["error"] = error
            finally:
                db.session.remove()

    thread = threading.Thread(target=other_request)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive(), "the second refresh did not wait for the first"
    db.session.commit()
    thread.join(10)

    assert outcome == {"ok": True}
    db.session.expire_all()
    assert db.session.get(ShopComplaintFigures, shop_id).accepted == 1
