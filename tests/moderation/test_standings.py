"""What the public sees of a shop's sanctions and for how long (moderation.standings, the loader in
front of merchants.standing)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from registry.clock import utcnow
from registry.extensions import db
from registry.moderation import sanctions
from registry.moderation.standings import shop_standing, shop_standings
from registry.pledges.signing import latest_signature

from .helpers import fresh, reason

pytestmark = pytest.mark.usefixtures("fresh_request_globals")


# --- What the public sees, and for how long ---------------------------------------------------------

def test_negative_marks_stop_being_shown_after_visible_until(world, frozen):
    warning = sanctions.issue_warning(world.shop, world.staff, reason(text="警示：价签不符。"))
    db.session.commit()
    suspension = sanctions.suspend(world.other_shop, world.staff, reason(text="暂停：售假。"), date(2026, 3, 9), False)
    db.session.commit()

    def marks(shop):
        shop = fresh(shop)
        return [s.id for s in shop_standing(shop, utcnow()).marks]

    assert marks(world.shop) == [warning.id] and marks(world.other_shop) == [suspension.id]
    frozen.set(datetime(2027, 3, 2, 1, 59, tzinfo=timezone.utc))
    assert marks(world.shop) == [warning.id]
    frozen.set(datetime(2027, 3, 2, 2, 0, tzinfo=timezone.utc))  # twelve months after the warning
    assert marks(world.shop) == []
    sanctions.expire_sanctions()
    db.session.commit()
    frozen.set(datetime(2029, 3, 9, 15, 59, tzinfo=timezone.utc))  # 36 months after the suspension ended
    assert marks(world.other_shop) == [suspension.id]
    frozen.set(datetime(2029, 3, 9, 16, 0, tzinfo=timezone.utc))
    assert marks(world.other_shop) == []


def test_proposals_and_rejections_are_never_public(world):
    sanctions.propose_revocation(world.shop, world.staff, reason())
    db.session.commit()
    shop = fresh(world.shop)
    public = shop_standing(shop, utcnow())
    assert (public.standing, public.sanction, public.marks) == ("active", None, [])


def test_the_public_standing_names_the_sanction_behind_it(world):
    sanction = sanctions.suspend(world.shop, world.staff, reason(), None, True)
    db.session.commit()
    shop = fresh(world.shop)
    public = shop_standing(shop, utcnow())
    assert (public.standing, public.sanction.id, [m.id for m in public.marks]) == ("suspended", sanction.id,
                                                                                   [sanction.id])


def test_effective_standings_for_a_list(world, frozen):
    sanctions.suspend(world.shop, world.staff, reason(), date(2026, 3, 3), False)
    db.session.commit()
    shops = [fresh(world.shop), fresh(world.other_shop)]
    signatures = {s.id: latest_signature(s) for s in shops}
    def shown():
        return {i: s.standing for i, s in shop_standings(shops, utcnow(), signatures=signatures).items()}

    assert shown() == {world.shop.id: "suspended", world.other_shop.id: "active"}
    frozen.advance(days=2)
    assert shown()[world.shop.id] == "active"
