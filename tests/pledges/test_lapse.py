"""Lapsing: a pledge runs out after a year, or when a new version is not re-signed by its deadline.

The daily job (`flask pledge lapse`) writes "lapsed" down; the page shows it from the deadline on,
before the job runs. Suspended and revoked shops are left alone; signing the new version makes a
shop active again. The suite's `clock` fixture freezes time.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from registry.audit.models import AuditEntry
from registry.extensions import db
from registry.clock import CHINA
from registry.merchants import standing as standing_rule
from registry.merchants.models import Merchant, StandingChange
from registry.pledges.lapse import lapse_shops
from registry.pledges.queries import current_version_terms
from registry.pledges.signing import latest_signature, pledge_facts, sign_pledge
from registry.pledges.versions import current_version, publish_version

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

NEW_CLAUSES = [{"kind": "counterfeit", "text": "不制假售假。"}, {"kind": "after_sales", "text": "七日无理由退货。"}]


@pytest.fixture
def clock(clock, pledge):
    """The suite's clock, a minute after the default pledge was published."""
    clock.advance(minutes=1)
    return clock


def shown(shop, signature, now) -> standing_rule.Assessment:
    """What the standing rule says of the shop from its pledge alone (no sanctions here)."""
    return standing_rule.assess(shop.standing, pledge_facts(signature), current_version_terms(), (), now)


def effective_standing(shop, signature, now) -> str:
    return shown(shop, signature, now).standing


def resign_due(shop, signature, now):
    return standing_rule.resign_due(shop.standing, pledge_facts(signature), current_version_terms(), now)


def reload(shop) -> Merchant:
    db.session.expire_all()
    return db.session.get(Merchant, shop.id)


def standing_entries(shop) -> list[dict]:
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "merchant.standing_changed",
                                                       AuditEntry.subject_id == shop.id).order_by(AuditEntry.id))
    return [dict(json.loads(row.data), actor_id=row.actor_id) for row in rows]


def sign_current(shop):
    version = current_version()
    signature = sign_pledge(shop, version, shop.owner, "王美好", "店主", "127.0.0.1", {c.number for c in version.clauses})
    db.session.commit()
    return signature


def new_version(days: int | None = 7):
    version = publish_version("诚信经营倡议书（修订）", "本店承诺：", NEW_CLAUSES, resign_window_days=days)
    db.session.commit()
    return version


def run_job(now) -> int:
    count = lapse_shops(now)
    db.session.commit()
    return count


def test_a_pledge_that_ran_out_is_written_down_as_lapsed_with_its_reason(clock, make_shop):
    shop = make_shop()
    expires = latest_signature(shop).expires_at
    now = clock.advance(days=366)

    assert run_job(now) == 1

    stored = reload(shop)
    assert stored.standing == "lapsed"
    assert stored.standing_changed_at == now
    assert stored.standing_reason == f"承诺已于 {expires.astimezone(CHINA).date().isoformat()} 到期，未续签。"
    assert standing_entries(stored)[-1] == {"old": "active", "new": "lapsed", "reason": "expired",
                                           "since": expires.isoformat(), "version": None, "actor_id": None}


def test_a_pledge_still_valid_is_left_alone(clock, make_shop):
    shop = make_shop()
    entries = db.session.scalar(select(func.count(AuditEntry.id)))

    assert run_job(clock.advance(days=364)) == 0

    assert reload(shop).standing == "active"
    assert db.session.scalar(select(func.count(AuditEntry.id))) == entries


def test_a_shop_on_the_old_version_has_until_the_deadline_and_then_lapses(clock, make_shop):
    shop = make_shop()
    version = new_version(days=7)
    deadline = version.resign_deadline
    signature = latest_signature(shop)

    # Inside the window: still active, and the owner is told the deadline.
    before = deadline - timedelta(minutes=1)
    assert effective_standing(shop, signature, before) == "active"
    assert resign_due(shop, signature, before) == deadline
    assert run_job(before) == 0
    assert reload(shop).standing == "active"

    # Past the deadline: shown as lapsed at once, before the job has run ...
    after = deadline + timedelta(seconds=1)
    outcome = shown(reload(shop), signature, after)
    standing, lapse = outcome.standing, outcome.lapse
    assert (standing, lapse.reason, lapse.since, lapse.version_number) == ("lapsed", "not_resigned", deadline, 2)
    assert resign_due(shop, signature, after) is None

    # ... and written down by it.
    assert run_job(after) == 1
    stored = reload(shop)
    assert stored.standing == "lapsed"
    assert "第 2 版" in stored.standing_reason
    assert standing_entries(stored)[-1]["reason"] == "not re-signed"
    assert standing_entries(stored)[-1]["version"] == 2
    change = db.session.scalars(select(StandingChange).where(StandingChange.merchant_id == shop.id)
                                .order_by(StandingChange.id)).all()[-1]
    assert (change.old, change.new, change.cause, change.actor_id, change.at) == ("active", "lapsed", "lapse", None,
                                                                                  after)
    assert change.reason == stored.standing_reason


def test_a_shop_that_signed_the_new_version_in_time_stays_active(clock, make_shop):
    late, prompt = make_shop(), make_shop()
    version = new_version(days=7)
    clock.advance(days=2)
    sign_current(prompt)

    assert run_job(version.resign_deadline + timedelta(hours=1)) == 1

    assert reload(prompt).standing == "active"
    assert reload(late).standing == "lapsed"
    assert standing_entries(prompt) == [{"old": "pending", "new": "active", "reason": "pledge signed",
                                         "actor_id": prompt.owner_id}]


def test_a_new_version_without_a_deadline_lapses_no_one_early(clock, make_shop):
    shop = make_shop()
    new_version(days=None)

    later = clock.advance(days=200)
    assert effective_standing(shop, latest_signature(shop), later) == "active"
    assert resign_due(shop, latest_signature(shop), later) is None
    assert run_job(later) == 0


def test_a_warned_shop_lapses_too(clock, make_shop):
    shop = make_shop()
    db.session.execute(update(Merchant).where(Merchant.id == shop.id).values(standing="warned", standing_reason="价格欺诈"))
    db.session.commit()

    assert run_job(clock.advance(days=400)) == 1

    assert reload(shop).standing == "lapsed"
    assert standing_entries(shop)[-1]["old"] == "warned"


@pytest.mark.parametrize("standing", ["suspended", "revoked", "pending"])
def test_suspended_revoked_and_pending_shops_are_left_alone(clock, make_shop, standing):
    shop = make_shop()
    db.session.execute(update(Merchant).where(Merchant.id == shop.id)
                       .values(standing=standing, standing_reason="原因保持不变"))
    db.session.commit()
    new_version(days=1)

    assert run_job(clock.advance(days=400)) == 0

    stored = reload(shop)
    assert (stored.standing, stored.standing_reason) == (standing, "原因保持不变")
    assert effective_standing(stored, latest_signature(stored), clock.now) == standing


def test_signing_the_new_version_makes_a_lapsed_shop_active_again(clock, make_shop):
    shop = make_shop()
    version = new_version(days=3)
    run_job(clock.advance(days=5))
    assert reload(shop).standing == "lapsed"

    signature = sign_current(reload(shop))

    stored = reload(shop)
    assert signature.pledge_version_id == version.id
    assert (stored.standing, stored.standing_reason) == ("active", None)
    assert standing_entries(stored)[-1] == {"old": "lapsed", "new": "active", "reason": "pledge signed",
                                           "actor_id": shop.owner_id}
    assert effective_standing(stored, latest_signature(stored), clock.now) == "active"
    assert run_job(clock.advance(days=1)) == 0


def test_the_job_works_in_batches_and_hands_each_batch_over(clock, make_shop):
    shops = [make_shop() for _ in range(5)]
    batches = []

    count = lapse_shops(clock.advance(days=400), batch_size=2, after_batch=lambda: batches.append(db.session.commit()))

    assert count == 5
    assert len(batches) == 3
    assert {reload(shop).standing for shop in shops} == {"lapsed"}


def test_what_the_page_shows_and_what_the_job_writes_agree(clock, make_shop):
    expired, old_version, current, suspended = (make_shop() for _ in range(4))
    db.session.execute(update(Merchant).where(Merchant.id == suspended.id).values(standing="suspended"))
    db.session.commit()
    clock.advance(days=300)
    version = new_version(days=10)
    clock.advance(days=1)
    sign_current(current)
    # The first signatures run out 365 days after the start; the deadline passed long before.
    now = clock.advance(days=70)

    shown = {shop.id: effective_standing(reload(shop), latest_signature(shop), now)
             for shop in (expired, old_version, current, suspended)}
    run_job(now)

    written = {shop.id: reload(shop).standing for shop in (expired, old_version, current, suspended)}
    assert shown == written
    assert written == {expired.id: "lapsed", old_version.id: "lapsed", current.id: "active",
                       suspended.id: "suspended"}
    assert version.resign_deadline < now


def test_the_cli_command_lapses_shops_and_says_how_many(clock, make_shop, runner):
    shop = make_shop()
    clock.advance(days=366)

    result = runner.invoke(args=["pledge", "lapse"])

    assert result.exit_code == 0, result.output
    assert "1 shop(s) lapsed." in result.output
    assert reload(shop).standing == "lapsed"
    assert runner.invoke(args=["pledge", "lapse"]).output.strip() == "0 shop(s) lapsed."
