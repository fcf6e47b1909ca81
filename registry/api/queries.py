"""Read-only queries the API needs beyond the QR page's own (registry.lookup.queries)."""

from __future__ import annotations

from registry.lookup import queries as lookup


def search_shops(query: str, district: str | None, category: str | None, standing: str | None, page: int,
                 per_page: int) -> lookup.ResultPage:
    """Public shops as /search finds them (same matching, order and capped count), optionally of one
    category and one recorded standing.

    Without category and standing this is the QR search itself (lookup.queries.search_merchants).
    The standing filter matches the standing the registry has recorded, which the daily jobs
    (`flask pledge lapse`, `flask moderation expire`) keep current; each result still reports the
    standing shown right now, which for a shop whose pledge ran out today is already "lapsed".
    """
    return lookup.search_merchants(query, district, page, per_page, category=category, standing=standing)
