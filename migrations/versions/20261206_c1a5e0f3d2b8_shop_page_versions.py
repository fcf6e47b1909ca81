"""shop page versions: the exact QR page cache's key

Revision ID: c1a5e0f3d2b8
Revises: e5a7c3d9b1f2
Create Date: 2026-12-06 12:30:00.000000

merchants.page_version is bumped in the same transaction as every change the shop's QR page shows
(registry/page_versions.py); page_generation holds one row, bumped by changes every page shows (the
pledge terms). The page cache (lookup/page_cache.py) keys rendered pages by both.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = 'c1a5e0f3d2b8'
down_revision = 'e5a7c3d9b1f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('merchants') as batch_op:
        batch_op.add_column(sa.Column('page_version', sa.Integer(), server_default=sa.text('0'), nullable=False))
    generation = op.create_table(
        'page_generation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_page_generation')),
    )
    op.bulk_insert(generation, [{'id': 1, 'generation': 0}])


def downgrade():
    op.drop_table('page_generation')
    with op.batch_alter_table('merchants') as batch_op:
        batch_op.drop_column('page_version')
