"""Notices sent once: outbox_messages.once_key names a notice, so a step or a timer run twice sends one text

Revision ID: b7e2a91c4d05
Revises: 45c3d00548e4
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2a91c4d05'
down_revision = '45c3d00548e4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('once_key', sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_messages_once_key'), ['once_key'])


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_outbox_messages_once_key'), type_='unique')
        batch_op.drop_column('once_key')
