"""Reads the public pages need of the pledge, kept cheap: the current terms once per request,
published texts once per process."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import select

from registry.extensions import db
from registry.merchants.standing import Terms
from registry.pledges.models import PledgeVersion

_TERMS_KEY = "_current_pledge_terms"


def current_version_terms() -> Terms | None:
    """The current version's id, number and re-sign deadline (no clauses), or None.

    Asked once per shop shown, so a request keeps the answer: a search page of twenty shops
    costs one query, not twenty. Publishing forgets it.
    """
    request_now = request._get_current_object() if has_request_context() else None
    cached = g.get(_TERMS_KEY) if request_now is not None else None
    if cached is not None and cached[0] is request_now:
        return cached[1]
    row = db.session.execute(
        select(PledgeVersion.id, PledgeVersion.number, PledgeVersion.resign_deadline)
        .where(PledgeVersion.published_at.is_not(None))
        .order_by(PledgeVersion.published_at.desc(), PledgeVersion.number.desc()).limit(1)
    ).first()
    terms = Terms(*row) if row is not None else None
    if request_now is not None:
        setattr(g, _TERMS_KEY, (request_now, terms))
    return terms


def forget_current_terms() -> None:
    """Called when a version is published: the request's kept terms are out of date."""
    if has_app_context():
        g.pop(_TERMS_KEY, None)


@dataclass(frozen=True)
class ClauseText:
    number: int
    kind: str
    text: str
    text_en: str | None


@dataclass(frozen=True)
class PublishedText:
    """A published version's title and clauses. Published text never changes (edit_draft refuses),
    so each process keeps it after the first read and the QR page does not ask again."""

    id: int
    number: int
    title: str
    clauses: tuple[ClauseText, ...]


def published_text(version: PledgeVersion) -> PublishedText:
    # Kept per app (a test's fresh database gets a fresh cache); drafts are never cached.
    cache: dict[int, PublishedText] = current_app.extensions.setdefault("published_pledge_texts", {})
    text = cache.get(version.id)
    if text is None:
        text = PublishedText(version.id, version.number, version.title, tuple(
            ClauseText(c.number, c.kind, c.text, c.text_en) for c in version.clauses))
        if version.is_published:
            cache[version.id] = text
    return text
