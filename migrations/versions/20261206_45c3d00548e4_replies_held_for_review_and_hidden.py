"""shop replies held for review and hidden; appeal decisions' internal note

Revision ID: 45c3d00548e4
Revises: a3c91e5d7b20
Create Date: 2026-12-06 08:03:20.651095

A shop's reply in which personal data is found is stored masked and held until staff approve it;
staff may hide any published reply, the public then reading only the reason given. An appeal
decision gets a note for staff only, beside the one told to the shop. Existing rows: no reply is
held or hidden, no appeal has an internal note.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '45c3d00548e4'
down_revision = 'a3c91e5d7b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('internal_note', sa.Text(), nullable=True))

    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_for_review', sa.Boolean(), server_default=sa.text("false"), nullable=False))
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_complaint_events_held_for_review'), ['held_for_review'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_complaint_events_reviewed_by_id_users'), 'users', ['reviewed_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_complaint_events_hidden_by_id_users'), 'users', ['hidden_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_complaint_events_hidden_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_complaint_events_reviewed_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_complaint_events_held_for_review'))
        batch_op.drop_column('hidden_at')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('held_for_review')

    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_column('internal_note')
