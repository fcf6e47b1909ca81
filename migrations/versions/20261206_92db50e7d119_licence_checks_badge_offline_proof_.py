"""Licence checks (what the association verified), the badges' offline proof, districts' division codes

Revision ID: 92db50e7d119
Revises: 8018ba402ead
Create Date: 2026-12-06 09:30:41.977543

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '92db50e7d119'
down_revision = '8018ba402ead'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('licence_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdraw_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_licence_checks_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['officer_id'], ['users.id'], name=op.f('fk_licence_checks_officer_id_users')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_licence_checks_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence_checks'))
    )
    with op.batch_alter_table('licence_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licence_checks_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('licence_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=40), nullable=False),
    sa.Column('original_filename', sa.String(length=100), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['check_id'], ['licence_checks.id'], name=op.f('fk_licence_photos_check_id_licence_checks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence_photos')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_licence_photos_stored_name'))
    )
    with op.batch_alter_table('licence_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licence_photos_check_id'), ['check_id'], unique=False)

    with op.batch_alter_table('badges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offline_proof', sa.String(length=120), nullable=True))

    with op.batch_alter_table('districts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('division_code', sa.String(length=6), nullable=True))

    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('licence_verified_on', sa.Date(), nullable=True))



def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of districts or merchants would drop tables
    # that other tables' foreign keys point at.
    op.drop_column('merchants', 'licence_verified_on')
    op.drop_column('districts', 'division_code')
    op.drop_column('badges', 'offline_proof')

    with op.batch_alter_table('licence_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licence_photos_check_id'))

    op.drop_table('licence_photos')
    with op.batch_alter_table('licence_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licence_checks_merchant_id'))

    op.drop_table('licence_checks')
