"""Pledge versions: drafting, editing and publishing the text shops sign. A published text never changes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import func, select

from registry.audit import services as audit
from registry.auth.models import User
from registry.clock import CHINA, utcnow
from registry.errors import Conflict, DomainError, InvalidTransition, NotFound
from registry.extensions import db
from registry.pledges.models import CLAUSE_KINDS, PledgeClause, PledgeVersion
from registry.pledges.notices import tell_shops_to_resign
from registry.pledges.queries import forget_current_terms


def current_version() -> PledgeVersion | None:
    """The newest published pledge version: the one shops sign now."""
    return db.session.scalar(
        select(PledgeVersion).where(PledgeVersion.published_at.is_not(None))
        .order_by(PledgeVersion.published_at.desc(), PledgeVersion.number.desc()).limit(1)
    )


def require_current_version() -> PledgeVersion:
    version = current_version()
    if version is None:
        raise NotFound(_("尚未发布诚信经营倡议书。"))
    return version


MAX_TITLE_LENGTH = 100
MAX_PREAMBLE_LENGTH = 2000
MAX_CLAUSE_LENGTH = 500
MAX_RESIGN_WINDOW_DAYS = 365


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _checked_text(title: str, preamble: str, clauses: list[dict], preamble_en: str | None):
    """The text of a version as it will be stored, or a DomainError naming the field to fix.

    Rows with nothing typed in them are left out, so a form may offer spare empty rows; errors
    about a row name it as `clauses-<index>-<field>` (its index in `clauses`).
    """
    title, preamble, preamble_en = _clean(title), _clean(preamble), _clean(preamble_en) or None
    if not title:
        raise DomainError(_("请填写标题。"), field="title")
    if len(title) > MAX_TITLE_LENGTH:
        raise DomainError(_("标题最多 %(max)d 个字。", max=MAX_TITLE_LENGTH), field="title")
    if not preamble:
        raise DomainError(_("请填写倡议书的开头语。"), field="preamble")
    for field, value in (("preamble", preamble), ("preamble_en", preamble_en or "")):
        if len(value) > MAX_PREAMBLE_LENGTH:
            raise DomainError(_("最多 %(max)d 个字。", max=MAX_PREAMBLE_LENGTH), field=field)
    kept = []
    for index, row in enumerate(clauses):
        kind, text, text_en = _clean(row.get("kind")), _clean(row.get("text")), _clean(row.get("text_en")) or None
        if not text and not text_en:
            continue
        number = len(kept) + 1
        if not text:
            raise DomainError(_("第 %(number)d 条：请填写中文内容（签署的是中文文本）。", number=number),
                              field=f"clauses-{index}-text")
        if kind not in CLAUSE_KINDS:
            raise DomainError(_("第 %(number)d 条：请选择承诺的类别。", number=number), field=f"clauses-{index}-kind")
        for field, value in (("text", text), ("text_en", text_en or "")):
            if len(value) > MAX_CLAUSE_LENGTH:
                raise DomainError(_("第 %(number)d 条最多 %(max)d 个字。", number=number, max=MAX_CLAUSE_LENGTH),
                                  field=f"clauses-{index}-{field}")
        kept.append({"kind": kind, "text": text, "text_en": text_en})
    if not kept:
        raise DomainError(_("倡议书至少需要一条承诺。"), field="clauses")
    return title, preamble, preamble_en, kept


def _set_clauses(version: PledgeVersion, clauses: list[dict]) -> None:
    """Rewrite the clauses in place (row i stays clause i), so the (version, number) key never clashes."""
    existing = list(version.clauses)
    for number, values in enumerate(clauses, start=1):
        if number <= len(existing):
            clause = existing[number - 1]
            clause.kind, clause.text, clause.text_en = values["kind"], values["text"], values["text_en"]
        else:
            version.clauses.append(PledgeClause(number=number, kind=values["kind"], text=values["text"],
                                                text_en=values["text_en"]))
    for clause in existing[len(clauses):]:
        version.clauses.remove(clause)
        db.session.delete(clause)


def _require_draft(version: PledgeVersion) -> None:
    if version.is_published:
        raise InvalidTransition(_("第 %(number)d 版已经发布，发布后的倡议书不能再修改。请起草新版本。",
                                  number=version.number))


def draft_version() -> PledgeVersion | None:
    """The version being prepared, if any (there is at most one)."""
    return db.session.scalar(select(PledgeVersion).where(PledgeVersion.published_at.is_(None))
                             .order_by(PledgeVersion.number.desc()).limit(1))


def all_versions() -> list[PledgeVersion]:
    """Every version, the newest first."""
    return list(db.session.scalars(select(PledgeVersion).order_by(PledgeVersion.number.desc())))


def create_draft(actor: User | None, title: str, preamble: str, clauses: list[dict],
                 preamble_en: str | None = None) -> PledgeVersion:
    """Start the next version as a draft; nobody sees or signs it until it is published."""
    if draft_version() is not None:
        raise Conflict(_("已经有一份草稿。请先修改并发布它，或者删除它，再起草新版本。"))
    version = _new_version(title, preamble, clauses, preamble_en)
    audit.record("pledge.draft_created", version, actor, number=version.number, title=version.title,
                 clauses=len(version.clauses))
    return version


def _new_version(title: str, preamble: str, clauses: list[dict], preamble_en: str | None) -> PledgeVersion:
    """The next version number with this text, unpublished."""
    title, preamble, preamble_en, clauses = _checked_text(title, preamble, clauses, preamble_en)
    number = (db.session.scalar(select(func.max(PledgeVersion.number))) or 0) + 1
    version = PledgeVersion(number=number, title=title, preamble=preamble, preamble_en=preamble_en)
    db.session.add(version)
    _set_clauses(version, clauses)
    db.session.flush()
    return version


def update_draft(version: PledgeVersion, actor: User | None, title: str, preamble: str, clauses: list[dict],
                 preamble_en: str | None = None) -> PledgeVersion:
    """Change a draft's text; a published version is refused (InvalidTransition)."""
    _require_draft(version)
    title, preamble, preamble_en, clauses = _checked_text(title, preamble, clauses, preamble_en)
    version.title, version.preamble, version.preamble_en = title, preamble, preamble_en
    _set_clauses(version, clauses)
    db.session.flush()
    audit.record("pledge.draft_updated", version, actor, number=version.number, title=title, clauses=len(clauses))
    return version


def discard_draft(version: PledgeVersion, actor: User | None) -> None:
    """Delete a draft that will not be published; published versions stay forever."""
    _require_draft(version)
    audit.record("pledge.draft_discarded", version, actor, number=version.number, title=version.title)
    for clause in list(version.clauses):
        db.session.delete(clause)
    db.session.delete(version)
    db.session.flush()


def resign_deadline_for(published_at: datetime, window_days: int) -> datetime:
    """The last moment of the window's final day, Beijing time: 7 days from 3 March runs to 10 March 23:59:59."""
    last_day: date = published_at.astimezone(CHINA).date() + timedelta(days=window_days)
    return datetime.combine(last_day, time(23, 59, 59), tzinfo=CHINA).astimezone(timezone.utc)


def publish_draft(version: PledgeVersion, actor: User | None, resign_window_days: int | None,
                  now: datetime | None = None) -> PledgeVersion:
    """Publish a draft: it becomes current and immutable, and shops on an older text must re-sign in time."""
    _require_draft(version)
    if resign_window_days is not None and not 0 <= resign_window_days <= MAX_RESIGN_WINDOW_DAYS:
        raise DomainError(_("重新签署期限应为 0 到 %(max)d 天。", max=MAX_RESIGN_WINDOW_DAYS), field="resign_days")
    if not version.clauses:
        raise DomainError(_("倡议书至少需要一条承诺。"))
    newest = db.session.scalar(select(func.max(PledgeVersion.number)).where(PledgeVersion.published_at.is_not(None)))
    if newest is not None and newest > version.number:
        raise InvalidTransition(_("已有更新的版本发布，这份草稿不能再发布。"))
    now = now or utcnow()
    forget_current_terms()
    version.published_at = now
    version.resign_deadline = (resign_deadline_for(now, resign_window_days)
                               if resign_window_days is not None else None)
    db.session.flush()
    audit.record("pledge.published", version, actor, number=version.number, title=version.title,
                 resign_deadline=version.resign_deadline.isoformat() if version.resign_deadline else None)
    tell_shops_to_resign(version)
    return version


def publish_version(title: str, preamble: str, clauses: list[dict], actor: User | None = None,
                    preamble_en: str | None = None, resign_window_days: int | None = None) -> PledgeVersion:
    """Publish a new pledge text at once (CLI, first start); it becomes current and can never be edited."""
    return publish_draft(_new_version(title, preamble, clauses, preamble_en), actor, resign_window_days)
