"""Whole numbers typed into requests — page numbers, record ids, small counts — read by one rule everywhere."""

from __future__ import annotations

from flask import request

# Far beyond any real list (30 rows a page: three million rows), and small enough that the OFFSET it
# makes fits both databases' 64-bit integers.
PAGE_MAX = 100_000
# The largest id a PostgreSQL `integer` column holds; larger numbers name no record.
ID_MAX = 2**31 - 1


def bounded_integer(value: str | None, low: int, high: int) -> int | None:
    """`value` as a whole number from `low` to `high` (plain ASCII digits), else None."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > len(str(high)):
        return None
    number = int(value)
    return number if low <= number <= high else None


def page_number(name: str = "page") -> int:
    """The page asked for (`?page=`): missing, not a number or 0 is page 1; beyond PAGE_MAX is PAGE_MAX,
    an empty page with the usual links back."""
    value = request.args.get(name, "")
    if not (value.isascii() and value.isdigit()):
        return 1
    if len(value) > len(str(PAGE_MAX)):  # and never int() of thousands of digits
        return PAGE_MAX
    return min(max(int(value), 1), PAGE_MAX)


def record_id(name: str) -> int | None:
    """An id from the query string (`?flag=12`), or None when it is missing or could name no record."""
    return bounded_integer(request.args.get(name), 1, ID_MAX)
