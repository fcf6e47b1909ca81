"""The version of each shop's public page (the QR page), bumped in the same transaction as every change
the page shows, so a cache keyed by it is exact (lookup/page_cache.py).

The one home of "which rows feed the QR page": FEEDS_SHOP_PAGE (rows of one shop) and FEEDS_EVERY_PAGE
(rows every shop's page reads, e.g. the pledge terms). A session hook watches every write the ORM makes to
those tables, whoever makes it: objects flushed (`after_flush`) and ORM bulk statements
(`do_orm_execute`: INSERT … VALUES, UPDATE … WHERE, DELETE … WHERE). A new service that changes a
watched table therefore cannot forget to bump; a new table or column the QR page reads must be added
here (tests/test_page_versions.py fails for a table the page reads that is not listed).

Only SQL written past the ORM session (`session.connection().execute`, raw SQL, the bench's bulk load)
is not seen: such code calls `bump_shop_pages` or `bump_every_page` itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import column, event, inspect, select, table, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.extensions import db

# Table → how its rows name their shop: a column of the row, or (parent table, the row's column
# naming the parent) when the shop is the parent's.
FEEDS_SHOP_PAGE: dict[str, str | tuple[str, str]] = {
    "merchants": "id",  # name, address, category, standing and its reason, licence check date, owner
    "badges": "merchant_id",  # issue, reissue, void
    "signatures": "merchant_id",  # signing, renewal (the pledge shown, its dates)
    "sanctions": "merchant_id",  # imposed, ended, repaired, revoked, appeal granted
    "sanction_statements": "merchant_id",  # the shop's statement beside a mark, held or hidden
    "complaints": "merchant_id",  # published, status, outcome, public summary
    "complaint_events": ("complaints", "complaint_id"),  # the shop's public replies, hidden or shown
    "shop_complaint_figures": "merchant_id",  # the stored 12-month figures
    "licence_checks": "merchant_id",  # the licence check behind merchants.licence_verified_on
}
# Tables every shop's page reads: the current pledge terms (re-sign deadline) and the clause texts.
FEEDS_EVERY_PAGE = frozenset({"pledge_versions", "pledge_clauses"})

_merchants = table("merchants", column("id"), column("page_version"))


class PageGeneration(db.Model):
    """One row: bumped by a change that every shop's page shows (FEEDS_EVERY_PAGE)."""

    __tablename__ = "page_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(default=0)


def bump_shop_pages(session: Session, merchant_ids: Iterable[int]) -> None:
    """A new version of these shops' pages, in the caller's transaction."""
    ids = sorted({i for i in merchant_ids if i is not None})
    if ids:
        _bump_where(session, _merchants.c.id.in_(ids))


def _bump_where(session: Session, condition) -> None:
    # Through the session's connection: past the ORM's hooks (no recursion), in its transaction.
    session.connection().execute(update(_merchants).where(condition)
                                 .values(page_version=_merchants.c.page_version + 1))


def bump_every_page(session: Session) -> None:
    """A new generation of every shop's page, in the caller's transaction."""
    generation = PageGeneration.__table__
    connection = session.connection()
    if connection.execute(update(generation).where(generation.c.id == 1)
                          .values(generation=generation.c.generation + 1)).rowcount == 0:
        connection.execute(generation.insert().values(id=1, generation=1))


def _source(name: str | None) -> tuple[str | None, str] | None:
    """(parent table or None, the column naming the shop or the parent) of a watched table."""
    source = FEEDS_SHOP_PAGE.get(name)
    if source is None:
        return None
    return (None, source) if isinstance(source, str) else source


def _bump_via(session: Session, parent: str | None, ids) -> None:
    """Bump the shops named by `ids` (ids or a SELECT of ids): directly, or through their parent rows."""
    if parent is not None:
        parent_table = table(parent, column("id"), column("merchant_id"))
        ids = select(parent_table.c.merchant_id).where(parent_table.c.id.in_(ids))
    _bump_where(session, _merchants.c.id.in_(ids))


def _after_flush(session: Session, _flush_context) -> None:
    new, dirty, deleted = session.new, session.dirty, session.deleted
    named: dict[str | None, set[int]] = {}
    everything = False
    for instance in (*new, *dirty, *deleted):
        name = getattr(instance, "__tablename__", None)
        source = _source(name)
        if source is None and name not in FEEDS_EVERY_PAGE:
            continue
        if instance in dirty and instance not in new and not session.is_modified(instance):
            continue  # only a relationship was touched
        if source is None:
            everything = True
            continue
        parent, attribute = source
        state = inspect(instance)
        key = state.mapper.get_property_by_column(instance.__table__.c[attribute]).key
        history = state.attrs[key].history
        # Old and new values both, should a row move from one shop to another.
        named.setdefault(parent, set()).update(i for i in (*history.added, *history.unchanged, *history.deleted)
                                               if i is not None)
    for parent, ids in named.items():
        if ids:
            _bump_via(session, parent, sorted(ids))
    if everything:
        bump_every_page(session)


def _bulk_statement(state) -> None:
    """ORM bulk INSERT/UPDATE/DELETE on a watched table (figures upsert, district renames …): bump
    the shops it touches, read before it runs (an UPDATE may change what its WHERE matched)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    statement = state.statement
    name = getattr(getattr(statement, "table", None), "name", None)
    if name in FEEDS_EVERY_PAGE:
        bump_every_page(state.session)
        return
    source = _source(name)
    if source is None or (state.is_insert and name == "merchants"):
        return  # not watched, or a new shop: no page anyone has seen
    parent, attribute = source
    if state.is_insert:
        rows = state.parameters if isinstance(state.parameters, list) else [state.parameters or {}]
        ids = {row.get(attribute) for row in rows}
        if not ids or None in ids:  # INSERT … SELECT, or rows not naming their shop: every page
            bump_every_page(state.session)
            return
        _bump_via(state.session, parent, sorted(ids))
        return
    named = select(statement.table.c[attribute])
    if statement.whereclause is not None:
        named = named.where(statement.whereclause)
    _bump_via(state.session, parent, named)


def install() -> None:
    """Watch every ORM session (Flask-SQLAlchemy's sessions are plain ORM sessions)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _bulk_statement)
