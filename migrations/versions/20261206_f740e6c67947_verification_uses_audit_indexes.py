"""phone verifications count what they were used for (one SMS verification, one complaint);
audit entries indexed by subject and actor (the district officer's audit page)

Revision ID: f740e6c67947
Revises: 70ab08ca6f85
Create Date: 2026-12-06 04:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f740e6c67947'
down_revision = '70ab08ca6f85'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('phone_verifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uses', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True))
    # Plain CREATE INDEX, no batch: a batch rebuild of audit_entries would drop its append-only triggers.
    op.create_index('ix_audit_entries_subject', 'audit_entries', ['subject_type', 'subject_id'], unique=False)
    op.create_index(op.f('ix_audit_entries_actor_id'), 'audit_entries', ['actor_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_audit_entries_actor_id'), table_name='audit_entries')
    op.drop_index('ix_audit_entries_subject', table_name='audit_entries')
    with op.batch_alter_table('phone_verifications', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('uses')
