"""search order in the gram index: name length, public shops, district

Revision ID: 5e8c2f0a7d13
Revises: b7d2e1c4a9f0
Create Date: 2026-12-06 12:20:00.000000

Search reads one gram's public shops in result order from one index, without a shop row per match
(lookup.queries): each gram row also holds the length of the shop's search name (within a rank the
shorter name is the closer match), whether the shop is public (`listed`, kept in step by
merchants.services.set_standing) and its district (renamed with it). The index in (gram, rank, shop)
order is replaced by one in (gram, listed, rank, name length, shop) order and one with the district
after `listed`.
"""
from alembic import op
import sqlalchemy as sa


revision = '5e8c2f0a7d13'
down_revision = 'b7d2e1c4a9f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('merchant_name_grams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_length', sa.SmallInteger(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('listed', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('district', sa.String(length=64), server_default='', nullable=False))
        batch_op.drop_index('ix_merchant_name_grams_gram_rank')

    # Filled from the shops as merchants.services.name_gram_rows does (search_name is the normalised name).
    op.execute(
        "UPDATE merchant_name_grams SET "
        "name_length = (SELECT length(m.search_name) FROM merchants m WHERE m.id = merchant_name_grams.merchant_id), "
        "listed = (SELECT m.standing <> 'pending' FROM merchants m WHERE m.id = merchant_name_grams.merchant_id), "
        "district = (SELECT m.district FROM merchants m WHERE m.id = merchant_name_grams.merchant_id)"
    )

    with op.batch_alter_table('merchant_name_grams', schema=None) as batch_op:
        batch_op.create_index('ix_merchant_name_grams_search_order',
                              ['gram', 'listed', 'rank', 'name_length', 'merchant_id'], unique=False)
        batch_op.create_index('ix_merchant_name_grams_district_order',
                              ['gram', 'listed', 'district', 'rank', 'name_length', 'merchant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('merchant_name_grams', schema=None) as batch_op:
        batch_op.drop_index('ix_merchant_name_grams_district_order')
        batch_op.drop_index('ix_merchant_name_grams_search_order')
        batch_op.create_index('ix_merchant_name_grams_gram_rank', ['gram', 'rank', 'merchant_id'], unique=False)
        batch_op.drop_column('district')
        batch_op.drop_column('listed')
        batch_op.drop_column('name_length')
