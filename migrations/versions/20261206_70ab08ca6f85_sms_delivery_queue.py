"""SMS delivery queue: outbox_messages gets a status, so a message is sent only after its transaction commits

Revision ID: 70ab08ca6f85
Revises: c4e44b6a74ac
Create Date: 2026-12-06 04:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '70ab08ca6f85'
down_revision = 'c4e44b6a74ac'
branch_labels = None
depends_on = None


def upgrade():
    # Rows stored so far were written by the outbox sender itself: they count as sent.
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default=sa.text("'sent'"),
                                      nullable=False))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deliver_by', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_messages_status_id', ['status', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_status_id')
        batch_op.drop_column('deliver_by')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('status')
