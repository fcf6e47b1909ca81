"""The shop's statement beside a sanction: written and edited by its owner, screened for personal data,
approved or hidden by staff, and shown on the QR page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.audit.models import AuditEntry
from registry.errors import Conflict, DomainError, InvalidTransition, NotPermitted
from registry.extensions import db
from registry.moderation import sanctions, statements
from registry.moderation.models import Sanction, SanctionStatement

from .helpers import audit_actions, count, qr_page, reason

pytestmark = pytest.mark.usefixtures("fresh_request_globals")

SAYS = "涉事商品已全部下架，我们已更换供货商，欢迎监督。"


def _warning(world):
    warning = sanctions.issue_warning(world.shop, world.staff, reason())
    db.session.commit()
    return warning


def test_the_owner_publishes_a_statement_shown_beside_the_sanction(client, world):
    warning = _warning(world)
    statement = statements.write_statement(warning, world.owner, f"  {SAYS}  ")
    db.session.commit()
    assert (statement.body, statement.held_for_review, statement.is_published) == (SAYS, False, True)
    assert audit_actions(statement) == ["statement.written"]
    page = qr_page(client, world.shop)
    assert "店铺的说明" in page and SAYS in page


def test_an_edit_replaces_the_statement_and_is_audited(world):
    warning = _warning(world)
    statement = statements.write_statement(warning, world.owner, SAYS)
    db.session.commit()
    version = statement.version
    statements.write_statement(db.session.get(Sanction, warning.id), world.owner, "已整改完毕。", version)
    db.session.commit()
    assert count(SanctionStatement) == 1 and statement.body == "已整改完毕。"
    edited = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "statement.edited"))
    assert SAYS in edited.data and "已整改完毕。" in edited.data
    # A form opened before that edit is refused, not silently overwriting.
    with pytest.raises(Conflict):
        statements.write_statement(db.session.get(Sanction, warning.id), world.owner, "旧页面上的说明。", version)
    db.session.rollback()
    assert db.session.get(SanctionStatement, statement.id).body == "已整改完毕。"


def test_bad_statements_are_refused_on_the_field(world):
    warning = _warning(world)
    for text in ("", "   ", "字" * 201):
        with pytest.raises(DomainError) as refused:
            statements.write_statement(warning, world.owner, text)
        assert refused.value.field == "body"
        db.session.rollback()
    with pytest.raises(NotPermitted):
        statements.write_statement(db.session.get(Sanction, warning.id), world.other_owner, SAYS)
    db.session.rollback()
    assert count(SanctionStatement) == 0


def test_personal_data_is_masked_and_held_until_staff_approve(client, world):
    warning = _warning(world)
    statement = statements.write_statement(warning, world.owner, "有问题请打店长电话 13912345678 联系。")
    db.session.commit()
    assert statement.held_for_review and "13912345678" not in statement.body
    page = qr_page(client, world.shop)
    assert "店长电话" not in page and "13912345678" not in page
    with pytest.raises(NotPermitted):
        statements.approve_statement(statement, world.staff_elsewhere)
    db.session.rollback()
    statements.approve_statement(db.session.get(SanctionStatement, statement.id), world.staff)
    db.session.commit()
    page = qr_page(client, world.shop)
    assert "店长电话" in page and "13912345678" not in page
    with pytest.raises(Conflict):
        statements.approve_statement(db.session.get(SanctionStatement, statement.id), world.staff)
    db.session.rollback()


def test_staff_hide_a_statement_with_a_public_reason(client, world):
    warning = _warning(world)
    statement = statements.write_statement(warning, world.owner, "消协工作人员乱执法！")
    db.session.commit()
    with pytest.raises(DomainError) as bare:
        statements.hide_statement(statement, world.staff, " ")
    assert bare.value.field == "reason"
    with pytest.raises(DomainError) as personal:
        statements.hide_statement(statement, world.staff, "内容涉及 13912345678")
    assert personal.value.field == "reason"
    db.session.rollback()
    statements.hide_statement(db.session.get(SanctionStatement, statement.id), world.staff, "含有不实指责。")
    db.session.commit()
    statement = db.session.get(SanctionStatement, statement.id)
    assert (statement.hidden_reason, statement.hidden_by_id) == ("含有不实指责。", world.staff.id)
    assert audit_actions(statement)[-1] == "statement.hidden"
    page = qr_page(client, world.shop)
    assert "乱执法" not in page and "含有不实指责。" in page
    # The officer's decision stands: the shop cannot write over it.
    with pytest.raises(InvalidTransition):
        statements.write_statement(db.session.get(Sanction, warning.id), world.owner, "重新说明。", statement.version)
    db.session.rollback()


def test_no_statement_beside_a_proposal(world):
    proposal = sanctions.propose_revocation(world.shop, world.staff, reason())
    db.session.commit()
    with pytest.raises(InvalidTransition):
        statements.write_statement(proposal, world.owner, SAYS)
    db.session.rollback()
    assert count(SanctionStatement) == 0
