"""complaints by every channel: staff intake, businesses not in the registry, duplicates

Revision ID: b7d2e1c4a9f0
Revises: 92db50e7d119
Create Date: 2026-12-06 10:00:00.000000

Staff register complaints received by phone, letter, visit or another platform (complaints.intake):
the complaint records its channel, the date it arrived, the officer who registered it and how consent
was given; it may be against a business not in the registry (unlisted_businesses, merchant_id NULL);
it may be marked a duplicate of another; a consultation may be turned into it. Existing complaints
were all filed online: channel "online", consent "online", received on the Beijing date they were filed.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = 'b7d2e1c4a9f0'
down_revision = '92db50e7d119'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'unlisted_businesses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('address', sa.String(length=200), server_default='', nullable=False),
        sa.Column('credit_code', sa.String(length=18), nullable=True),
        sa.Column('district', sa.String(length=64), nullable=False),
        sa.Column('township', sa.String(length=64), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('linked_merchant_id', sa.Integer(), nullable=True),
        sa.Column('linked_by_id', sa.Integer(), nullable=True),
        sa.Column('linked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_unlisted_businesses_created_by_id_users')),
        sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'],
                                name=op.f('fk_unlisted_businesses_linked_by_id_users')),
        sa.ForeignKeyConstraint(['linked_merchant_id'], ['merchants.id'],
                                name=op.f('fk_unlisted_businesses_linked_merchant_id_merchants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unlisted_businesses')),
    )
    op.create_index(op.f('ix_unlisted_businesses_district'), 'unlisted_businesses', ['district'], unique=False)

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.alter_column('merchant_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('business_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('consumer_address', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=16), server_default='online', nullable=False))
        batch_op.add_column(sa.Column('registered_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('consent_kind', sa.String(length=16), server_default='online', nullable=False))
        batch_op.add_column(sa.Column('consent_recorded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('received_on', sa.Date(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_complaints_business_id_unlisted_businesses'),
                                    'unlisted_businesses', ['business_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_complaints_registered_by_id_users'),
                                    'users', ['registered_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_complaints_consent_recorded_by_id_users'),
                                    'users', ['consent_recorded_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_complaints_duplicate_of_id_complaints'),
                                    'complaints', ['duplicate_of_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_complaints_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_duplicate_of_id'), ['duplicate_of_id'], unique=False)
        batch_op.create_check_constraint(op.f('ck_complaints_merchant_or_business'), 'merchant_id IS NOT NULL OR business_id IS NOT NULL')

    # Every complaint so far was filed online: it arrived on the Beijing date it was filed.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE complaints SET received_on = CAST(timezone('Asia/Shanghai', filed_at) AS DATE)")
    else:
        op.execute("UPDATE complaints SET received_on = date(filed_at, '+8 hours')")
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.alter_column('received_on', existing_type=sa.Date(), nullable=False)
        batch_op.create_index(batch_op.f('ix_complaints_received_on'), ['received_on'], unique=False)

    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('complaint_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_consultations_complaint_id_complaints'),
                                    'complaints', ['complaint_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_consultations_complaint_id'), ['complaint_id'])


def downgrade():
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_consultations_complaint_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_consultations_complaint_id_complaints'), type_='foreignkey')
        batch_op.drop_column('complaint_id')
    # Complaints against businesses not in the registry cannot survive a NOT NULL merchant_id.
    op.execute("DELETE FROM complaint_events WHERE complaint_id IN (SELECT id FROM complaints WHERE merchant_id IS NULL)")
    op.execute("DELETE FROM evidence_photos WHERE complaint_id IN (SELECT id FROM complaints WHERE merchant_id IS NULL)")
    op.execute("UPDATE complaints SET duplicate_of_id = NULL")
    op.execute("DELETE FROM complaints WHERE merchant_id IS NULL")
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_complaints_merchant_or_business'), type_='check')
        batch_op.drop_index(batch_op.f('ix_complaints_received_on'))
        batch_op.drop_index(batch_op.f('ix_complaints_duplicate_of_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_channel'))
        batch_op.drop_index(batch_op.f('ix_complaints_business_id'))
        batch_op.drop_constraint(batch_op.f('fk_complaints_duplicate_of_id_complaints'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_complaints_consent_recorded_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_complaints_registered_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_complaints_business_id_unlisted_businesses'), type_='foreignkey')
        for column in ('received_on', 'duplicate_of_id', 'consent_recorded_by_id', 'consent_kind',
                       'registered_by_id', 'channel', 'consumer_address', 'business_id'):
            batch_op.drop_column(column)
        batch_op.alter_column('merchant_id', existing_type=sa.Integer(), nullable=False)
    op.drop_index(op.f('ix_unlisted_businesses_district'), table_name='unlisted_businesses')
    op.drop_table('unlisted_businesses')
