"""`flask merchants …`: upkeep of the shop tables."""

from __future__ import annotations

import click

from registry.extensions import db
from registry.merchants.services import refresh_search_index


@click.group("merchants")
def merchants_group() -> None:
    """Shops: upkeep of the search index."""


@merchants_group.command("refresh-search-index")
def merchants_refresh_search_index() -> None:
    """Re-index the search grams of every shop whose rows disagree with it (after a rolling release)."""
    count = refresh_search_index()
    db.session.commit()
    click.echo(f"Re-indexed the search grams of {count} shop(s).")
