"""standing changes recorded as data (standing_changes), filled from the audit log's
merchant.standing_changed entries, which stay as they are

Revision ID: 294954eefec6
Revises: 5534c1b6c4eb
Create Date: 2026-12-06 06:52:43.727266

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '294954eefec6'
down_revision = '5534c1b6c4eb'
branch_labels = None
depends_on = None

# The audit entry's "reason" → StandingChange.cause (merchants.models.CAUSE_*), as the code wrote them.
_CAUSES = {
    "pledge signed": "signed",
    "expired": "lapse",
    "not re-signed": "lapse",
    "warning issued": "sanction",
    "suspended": "sanction",
    "revoked": "sanction",
    "sanction ended": "sanction_ended",
    "appeal granted": "appeal_granted",
    "reinstated; must sign again": "reinstated",
}
# An entry with a reason not listed above: judged by the standing it led to.
_CAUSE_OF_NEW = {"active": "signed", "lapsed": "lapse", "warned": "sanction", "suspended": "sanction",
                 "revoked": "sanction"}


def upgrade():
    op.create_table('standing_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('old', sa.String(length=16), nullable=True),
    sa.Column('new', sa.String(length=16), nullable=False),
    sa.Column('cause', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_standing_changes_actor_id_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_standing_changes_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standing_changes'))
    )
    with op.batch_alter_table('standing_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standing_changes_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index('ix_standing_changes_new_at', ['new', 'at'], unique=False)
    _backfill(op.get_bind())


def _backfill(connection) -> None:
    """One row per audit entry, oldest first; the time and actor are copied in SQL, so each database
    keeps its own timestamp format. The public reason was never audited and stays empty."""
    entries = connection.execute(sa.text(
        "SELECT a.id, a.data FROM audit_entries a JOIN merchants m ON m.id = a.subject_id "
        "WHERE a.action = 'merchant.standing_changed' AND a.subject_type = 'merchant' ORDER BY a.id")).all()
    rows = []
    for entry_id, data in entries:
        facts = json.loads(data or "{}")
        new = facts.get("new")
        if not new:
            continue
        cause = _CAUSES.get(facts.get("reason")) or _CAUSE_OF_NEW.get(new, "sanction")
        rows.append({"entry": entry_id, "old": facts.get("old"), "new": new, "cause": cause})
    if rows:
        connection.execute(sa.text(
            "INSERT INTO standing_changes (merchant_id, old, new, cause, reason, at, actor_id) "
            "SELECT subject_id, :old, :new, :cause, NULL, created_at, actor_id FROM audit_entries WHERE id = :entry"),
            rows)


def downgrade():
    # The audit log still holds every change; the rows are rebuilt from it on the next upgrade.
    with op.batch_alter_table('standing_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_standing_changes_new_at')
        batch_op.drop_index(batch_op.f('ix_standing_changes_merchant_id'))

    op.drop_table('standing_changes')
