"""The shop's right to reply: one short public statement beside each sanction shown on its QR page.

The shop writes it from its owner area and may edit it: an edit replaces the text (the audit keeps
both). It is screened the way complaint replies are (complaints.replies.screen_reply): text carrying
personal data is stored masked and held until staff approve it; the shop sees that it waits. Staff may
hide a statement with a public reason the QR page shows in its place; a hidden statement stays hidden
(editing it would undo the officer's decision). Services flush and audit, never commit.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from registry.audit import services as audit
from registry.auth.models import User
from registry.clock import utcnow
from registry.complaints.replies import public_hide_reason, screen_reply
from registry.errors import Conflict, DomainError, InvalidTransition
from registry.extensions import db
from registry.merchants.services import lock_shop, require_owner
from registry.moderation.checks import require_scope
from registry.moderation.models import ACTIVE, ENDED, Sanction, SanctionStatement

MAX_STATEMENT = 200


def can_state(sanction: Sanction, now: datetime) -> bool:
    """A statement may be written beside a warning, suspension or revocation the public is shown."""
    return sanction.is_negative and sanction.status in (ACTIVE, ENDED) and sanction.visible_at(now)


def _stale() -> Conflict:
    return Conflict(_("这条说明刚刚已被修改或审核，请查看最新内容后再保存。"))


def write_statement(sanction: Sanction, owner: User, body: str,
                    expected_version: int | None = None) -> SanctionStatement:
    """Publish (or replace) the shop's statement beside `sanction`; held for staff when it carries
    personal data. `expected_version`: the statement's version the form was opened on (None: new)."""
    merchant = sanction.merchant
    require_owner(merchant, owner)
    body = " ".join((body or "").split())
    if not body:
        raise DomainError(_("请填写说明。"), field="body")
    if len(body) > MAX_STATEMENT:
        raise DomainError(_("说明最多 %(count)d 个字。", count=MAX_STATEMENT), field="body")
    lock_shop(merchant)
    db.session.refresh(sanction)
    now = utcnow()
    if not can_state(sanction, now):
        raise InvalidTransition(_("这项处理已不在公示页上，不能再发表说明。"))
    stored, _offer, held = screen_reply(body, None)
    statement = sanction.statement
    if statement is None:
        if expected_version is not None:
            raise _stale()
        statement = SanctionStatement(sanction_id=sanction.id, merchant_id=merchant.id, body=stored,
                                      held_for_review=held, written_by_id=owner.id, written_at=now, updated_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(statement)
                db.session.flush()
        except IntegrityError as error:
            raise _stale() from error
        audit.record("statement.written", statement, owner, merchant_id=merchant.id, sanction_id=sanction.id,
                     body=stored, held=held)
        return statement
    if statement.hidden_reason is not None:
        raise InvalidTransition(_("这条说明已被工作人员隐藏，不能再修改。如有疑问，请联系消费者协会。"))
    if expected_version is not None and statement.version != expected_version:
        raise _stale()
    old = statement.body
    statement.body, statement.held_for_review = stored, held
    statement.written_by_id, statement.updated_at = owner.id, now
    statement.reviewed_by_id = statement.reviewed_at = None
    try:
        with db.session.begin_nested():
            db.session.flush()
    except StaleDataError as error:
        raise _stale() from error
    audit.record("statement.edited", statement, owner, merchant_id=merchant.id, sanction_id=sanction.id, old=old,
                 new=stored, held=held)
    return statement


def _for_staff(statement: SanctionStatement, staff: User) -> None:
    require_scope(statement.merchant, staff)
    lock_shop(statement.merchant)
    db.session.refresh(statement)


def approve_statement(statement: SanctionStatement, staff: User) -> None:
    """Publish a held statement as stored (already masked)."""
    _for_staff(statement, staff)
    if not statement.held_for_review or statement.hidden_reason is not None:
        raise Conflict(_("这条说明已经审核过了。"))
    statement.held_for_review, statement.reviewed_by_id, statement.reviewed_at = False, staff.id, utcnow()
    db.session.flush()
    audit.record("statement.approved", statement, staff, merchant_id=statement.merchant_id,
                 sanction_id=statement.sanction_id)


def hide_statement(statement: SanctionStatement, staff: User, reason: str) -> None:
    """Hide a statement from the public for good; the public reads `reason` in its place."""
    reason = public_hide_reason(reason)
    _for_staff(statement, staff)
    if statement.hidden_reason is not None:
        raise Conflict(_("这条说明已经隐藏了。"))
    now = utcnow()
    statement.held_for_review = False
    statement.hidden_reason, statement.hidden_by_id, statement.hidden_at = reason, staff.id, now
    db.session.flush()
    audit.record("statement.hidden", statement, staff, merchant_id=statement.merchant_id,
                 sanction_id=statement.sanction_id, reason=reason)
