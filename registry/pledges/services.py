"""The pledge: publishing versions, signing them, and what a signature means for standing."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple
from datetime import date, datetime, time, timedelta, timezone

from blinker import Namespace
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import defer, joinedload

from registry.audit import services as audit
from registry.i18n import join_list
from registry.auth.models import User
from registry.clock import utcnow
from registry.errors import Conflict, DomainError, InvalidTransition, NotFound, NotPermitted
from registry.extensions import db
from registry.merchants.models import Merchant, Standing
from registry.merchants.services import lock_shop
from registry.pledges.models import CLAUSE_KINDS, PledgeClause, PledgeVersion, Signature
from registry.clock import CHINA

_CERTIFICATE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"

_signals = Namespace()
# Sent inside the signing transaction with sender=merchant, signature=..., actor=...; the badge
# package listens and issues the shop's first badge, so pledges never imports badges.
pledge_signed = _signals.signal("pledge-signed")


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
    if has_app_context():
        g.pop(_TERMS_KEY, None)
    version.published_at = now
    version.resign_deadline = (resign_deadline_for(now, resign_window_days)
                               if resign_window_days is not None else None)
    db.session.flush()
    audit.record("pledge.published", version, actor, number=version.number, title=version.title,
                 resign_deadline=version.resign_deadline.isoformat() if version.resign_deadline else None)
    return version


def publish_version(title: str, preamble: str, clauses: list[dict], actor: User | None = None,
                    preamble_en: str | None = None, resign_window_days: int | None = None) -> PledgeVersion:
    """Publish a new pledge text at once (CLI, first start); it becomes current and can never be edited."""
    return publish_draft(_new_version(title, preamble, clauses, preamble_en), actor, resign_window_days)


def signed_text(merchant: Merchant, version: PledgeVersion, signer_name: str, signer_title: str,
                signed_at: datetime) -> str:
    """The exact text a signature covers; its SHA-256 is printed on the certificate."""
    lines = [f"{version.title}（第 {version.number} 版）", "", version.preamble.strip(), ""]
    lines += [f"{clause.number}. {clause.text.strip()}" for clause in version.clauses]
    local = signed_at.astimezone(CHINA)
    lines += [
        "",
        f"商户名称：{merchant.name}",
        f"统一社会信用代码：{merchant.credit_code}",
        f"签署人：{signer_name}（{signer_title}）",
        f"签署时间：{local.strftime('%Y-%m-%d %H:%M:%S')} (UTC+08:00)",
    ]
    return "\n".join(lines) + "\n"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def latest_signature(merchant: Merchant) -> Signature | None:
    return db.session.scalar(
        select(Signature).where(Signature.merchant_id == merchant.id)
        .order_by(Signature.signed_at.desc(), Signature.id.desc()).limit(1)
    )


def latest_signatures(merchant_ids: list[int]) -> dict[int, Signature]:
    """The newest signature of each shop, in one query (for lists of shops)."""
    latest: dict[int, Signature] = {}
    if not merchant_ids:
        return latest
    for signature in db.session.scalars(
        select(Signature).where(Signature.merchant_id.in_(merchant_ids)).order_by(Signature.signed_at, Signature.id)
        # Lists need dates and the version number, not the signed text or the clauses.
        .options(defer(Signature.signed_text), joinedload(Signature.pledge_version).lazyload(PledgeVersion.clauses))
    ):
        latest[signature.merchant_id] = signature
    return latest


def can_sign(merchant: Merchant, version: PledgeVersion, now: datetime | None = None) -> bool:
    """A shop signs when it has no valid signature of the current text, or when it nears expiry."""
    now = now or utcnow()
    if merchant.standing in (Standing.SUSPENDED.value, Standing.REVOKED.value):
        return False
    if merchant.standing == Standing.LAPSED.value:
        # Lapsed (expired, not re-signed, or reinstated after a sanction: 信用修复) always re-signs.
        return True
    latest = latest_signature(merchant)
    if latest is None or latest.pledge_version_id != version.id or not latest.is_valid_at(now):
        return True
    window = timedelta(days=current_app.config["PLEDGE_RENEWAL_WINDOW_DAYS"])
    return latest.expires_at - now <= window


def sign_pledge(merchant: Merchant, version: PledgeVersion, signer: User, signer_name: str,
                signer_title: str, ip_address: str | None, accepted_clauses: set[int]) -> Signature:
    """Record the owner's signature of `version`, make the shop active and log it in the audit chain."""
    if merchant.owner_id != signer.id:
        raise NotPermitted(_("只有店铺的登记人可以签署承诺。"))
    if not version.is_published:
        raise DomainError(_("只能签署已发布的倡议书。"))
    missing = [c.number for c in version.clauses if c.number not in accepted_clauses]
    if missing:
        raise DomainError(
            _("请逐条阅读并勾选每一条承诺（还有第 %(numbers)s 条未勾选）。",
              numbers=join_list(missing)),
            field="clauses",
        )
    signer_name, signer_title = " ".join(signer_name.split()), " ".join(signer_title.split())
    if not signer_name:
        raise DomainError(_("请填写签署人姓名。"), field="signer_name")
    if not signer_title:
        raise DomainError(_("请填写签署人职务，例如：店主、法定代表人。"), field="signer_title")
    lock_shop(merchant)
    now = utcnow()
    if not can_sign(merchant, version, now):
        raise Conflict(_("这家店铺已签署现行倡议书，承诺仍在有效期内。"))

    text = signed_text(merchant, version, signer_name, signer_title, now)
    signature = Signature(
        certificate_code="".join(secrets.choice(_CERTIFICATE_ALPHABET) for _ in range(16)),
        merchant_id=merchant.id,
        pledge_version_id=version.id,
        signed_by_id=signer.id,
        signer_name=signer_name,
        signer_title=signer_title,
        signed_at=now,
        expires_at=now + timedelta(days=current_app.config["PLEDGE_VALIDITY_DAYS"]),
        signed_text=text,
        text_sha256=sha256_hex(text),
        ip_address=ip_address,
    )
    db.session.add(signature)
    previous_standing = merchant.standing
    if merchant.standing in (Standing.PENDING.value, Standing.LAPSED.value, Standing.ACTIVE.value):
        merchant.standing = Standing.ACTIVE.value
        merchant.standing_reason = None
        merchant.standing_changed_at = now if previous_standing != Standing.ACTIVE.value else merchant.standing_changed_at
    db.session.flush()
    audit.record("pledge.signed", signature, signer, merchant_id=merchant.id, version=version.number,
                 sha256=signature.text_sha256, signer_name=signer_name, signer_title=signer_title)
    if previous_standing != merchant.standing:
        audit.record("merchant.standing_changed", merchant, signer, old=previous_standing, new=merchant.standing,
                     reason="pledge signed")
    pledge_signed.send(merchant, signature=signature, actor=signer)
    return signature


LAPSE_EXPIRED = "expired"
LAPSE_NOT_RESIGNED = "not_resigned"
_LOOK_UP = LOOK_UP = object()  # "ask the database for the current version's terms"
_TERMS_KEY = "_current_pledge_terms"


@dataclass(frozen=True)
class Lapse:
    """Why a shop's pledge no longer holds."""

    reason: str  # LAPSE_EXPIRED or LAPSE_NOT_RESIGNED
    since: datetime | None  # when the signature ran out, or the re-sign deadline that passed
    version_number: int | None = None  # the version not re-signed


class VersionTerms(NamedTuple):
    """What lapse rules need of the current version (current_version_terms' row has the same fields)."""

    id: int
    number: int
    resign_deadline: datetime | None


def current_version_terms():
    """The current version's id, number and re-sign deadline (no clauses), or None.

    Asked once per shop shown, so a request keeps the answer: a search page of twenty shops
    costs one query, not twenty. Publishing forgets it.
    """
    request_now = request._get_current_object() if has_request_context() else None
    cached = g.get(_TERMS_KEY) if request_now is not None else None
    if cached is not None and cached[0] is request_now:
        return cached[1]
    terms = db.session.execute(
        select(PledgeVersion.id, PledgeVersion.number, PledgeVersion.resign_deadline)
        .where(PledgeVersion.published_at.is_not(None))
        .order_by(PledgeVersion.published_at.desc(), PledgeVersion.number.desc()).limit(1)
    ).first()
    if request_now is not None:
        setattr(g, _TERMS_KEY, (request_now, terms))
    return terms


def _resign_overdue(current, now: datetime) -> bool:
    return current is not None and current.resign_deadline is not None and now > current.resign_deadline


def lapse_of(signature: Signature | None, now: datetime, current) -> Lapse | None:
    """Whether a shop whose newest signature is `signature` has lapsed at `now`, and why.

    `current` is the current version (or its terms): a shop still on an older version lapses
    once the current version's re-sign deadline has passed.
    """
    if signature is None:
        return Lapse(LAPSE_EXPIRED, None)
    if not signature.is_valid_at(now):
        return Lapse(LAPSE_EXPIRED, signature.expires_at)
    if (_resign_overdue(current, now) and signature.pledge_version_id != current.id
            and signature.pledge_version.number < current.number):
        return Lapse(LAPSE_NOT_RESIGNED, current.resign_deadline, current.number)
    return None


def standing_and_lapse(merchant: Merchant, signature: Signature | None, now: datetime | None = None,
                       current=_LOOK_UP) -> tuple[str, Lapse | None]:
    """The standing a consumer is shown right now, and for a lapsed shop the reason.

    An active or warned shop whose signature has run out, or which did not re-sign a new version
    by its deadline, is shown as lapsed at once, even before the daily lapse job writes it down,
    so a QR page is never greener than the truth.
    """
    now = now or utcnow()
    if merchant.standing not in (Standing.ACTIVE.value, Standing.WARNED.value, Standing.LAPSED.value):
        return merchant.standing, None
    if signature is not None and signature.is_valid_at(now) and current is _LOOK_UP:
        current = current_version_terms()
    lapse = lapse_of(signature, now, None if current is _LOOK_UP else current)
    if merchant.standing == Standing.LAPSED.value:
        return merchant.standing, lapse
    return (Standing.LAPSED.value, lapse) if lapse is not None else (merchant.standing, None)


def effective_standing(merchant: Merchant, signature: Signature | None, now: datetime | None = None,
                       current=_LOOK_UP) -> str:
    """The standing a consumer is shown right now (see standing_and_lapse)."""
    return standing_and_lapse(merchant, signature, now, current)[0]


def resign_due(merchant: Merchant, signature: Signature | None, now: datetime | None = None,
               current=_LOOK_UP) -> datetime | None:
    """The deadline by which this shop must sign the current version, while that deadline is still ahead."""
    now = now or utcnow()
    if merchant.standing not in (Standing.ACTIVE.value, Standing.WARNED.value):
        return None
    if signature is None or not signature.is_valid_at(now):
        return None
    if current is _LOOK_UP:
        current = current_version_terms()
    if current is None or current.resign_deadline is None or signature.pledge_version_id == current.id:
        return None
    if signature.pledge_version.number >= current.number or now > current.resign_deadline:
        return None
    return current.resign_deadline


def _lapse_reason_text(lapse: Lapse) -> str:
    """The reason kept on the shop row (in Chinese, the registry's language of record)."""
    with force_locale("zh"):
        if lapse.reason == LAPSE_NOT_RESIGNED:
            return _("未在 %(date)s 前签署第 %(number)d 版倡议书。",
                     date=lapse.since.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"), number=lapse.version_number)
        if lapse.since is None:
            return _("没有有效的签署记录。")
        return _("承诺已于 %(date)s 到期，未续签。", date=lapse.since.astimezone(CHINA).strftime("%Y-%m-%d"))


def _lapse_candidates(now: datetime, current, after_id: int, limit: int) -> list[int]:
    """Active or warned shops without a signature that still holds (ids above `after_id`, in order)."""
    holds = (Signature.merchant_id == Merchant.id) & (Signature.signed_at <= now) & (Signature.expires_at > now)
    if _resign_overdue(current, now):
        holds &= Signature.pledge_version_id.in_(
            select(PledgeVersion.id).where(PledgeVersion.number >= current.number))
    return list(db.session.scalars(
        select(Merchant.id)
        .where(Merchant.standing.in_((Standing.ACTIVE.value, Standing.WARNED.value)), Merchant.id > after_id,
               ~exists().where(holds))
        .order_by(Merchant.id).limit(limit)
    ))


def lapse_shops(now: datetime | None = None, batch_size: int = 500,
                after_batch: Callable[[], None] | None = None) -> int:
    """Write down "lapsed" for active and warned shops whose pledge ran out or was not re-signed in time.

    Suspended and revoked shops are left as they are. Runs daily (`flask pledge lapse`); returns
    how many shops lapsed. `after_batch` (the CLI's commit) runs after each batch, so a long run
    never holds SQLite's write lock for long.
    """
    now = now or utcnow()
    current = current_version_terms()
    lapsed = 0
    last_id = 0
    while True:
        ids = _lapse_candidates(now, current, last_id, batch_size)
        if not ids:
            return lapsed
        for merchant_id in ids:
            merchant = db.session.get(Merchant, merchant_id)
            lock_shop(merchant)
            if merchant.standing not in (Standing.ACTIVE.value, Standing.WARNED.value):
                continue  # changed by someone else since it was picked
            lapse = lapse_of(latest_signature(merchant), now, current)
            if lapse is None:
                continue
            previous = merchant.standing
            merchant.standing = Standing.LAPSED.value
            merchant.standing_reason = _lapse_reason_text(lapse)
            merchant.standing_changed_at = now
            db.session.flush()
            audit.record("merchant.standing_changed", merchant, None, old=previous, new=merchant.standing,
                         reason="expired" if lapse.reason == LAPSE_EXPIRED else "not re-signed",
                         since=lapse.since.isoformat() if lapse.since else None,
                         version=lapse.version_number)
            lapsed += 1
        last_id = ids[-1]
        if after_batch is not None:
            after_batch()


def signature_by_certificate_code(code: str) -> Signature | None:
    return db.session.scalar(select(Signature).where(Signature.certificate_code == code))


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
