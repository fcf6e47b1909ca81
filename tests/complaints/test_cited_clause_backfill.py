"""The migration that records the pledge version and clause a complaint cites fills in older complaints
with what can be known (migrations/versions/…_a3c91e5d7b20_…): run here on both databases."""

from __future__ import annotations

import importlib.util
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text, update

from registry.complaints.models import Complaint
from registry.extensions import db

from .helpers import CLAUSE_OF, file

MIGRATION = next((Path(__file__).parents[2] / "migrations" / "versions").glob("*_a3c91e5d7b20_*.py"))


def _migration():
    spec = importlib.util.spec_from_file_location("cite_clause_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_older_complaints_get_the_signed_version_and_the_one_clause_of_their_kind(world, pledge):
    cited, _ = file(world.shop, clause=CLAUSE_OF["forced_sale"])
    other, _ = file(world.shop, clause="other")
    unsigned_shop_case, _ = file(world.shop, clause=CLAUSE_OF["inferior"])
    # As they were before the migration: a kind only.
    db.session.execute(update(Complaint).values(pledge_version_id=None, clause_number=None))
    # One filed before the shop signed anything: nothing to infer.
    db.session.execute(update(Complaint).where(Complaint.id == unsigned_shop_case.id)
                       .values(filed_at=datetime(2000, 1, 1, tzinfo=timezone.utc)))
    db.session.commit()

    migration = _migration()
    db.session.execute(text(migration.BACKFILL_VERSION))
    db.session.execute(text(migration.BACKFILL_CLAUSE))
    db.session.commit()
    db.session.expire_all()

    assert (cited.pledge_version_id, cited.clause_number, cited.clause_kind) == (pledge.id, 5, "forced_sale")
    assert (other.pledge_version_id, other.clause_number, other.clause_kind) == (pledge.id, None, "other")
    assert (unsigned_shop_case.pledge_version_id, unsigned_shop_case.clause_number) == (None, None)
