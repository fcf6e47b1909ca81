"""complaints cite the pledge version and the clause number

Revision ID: a3c91e5d7b20
Revises: 294954eefec6
Create Date: 2026-12-06 07:00:00.000000

A complaint now records the pledge version the shop had signed when it was filed and the number of
the clause the consumer cited, so a clause added in a later version can be chosen. Older complaints
only named a kind of clause; they are backfilled with what can be known: the version of the shop's
newest signature made at or before the filing (NULL when it had signed none), and the number of the
one clause of that kind in it (NULL for "other", or when the version has no clause, or several, of
that kind).
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c91e5d7b20'
down_revision = '294954eefec6'
branch_labels = None
depends_on = None

# Correlated subqueries: the same statements run on SQLite and PostgreSQL.
BACKFILL_VERSION = (
    "UPDATE complaints SET pledge_version_id = ("
    " SELECT s.pledge_version_id FROM signatures s"
    " WHERE s.merchant_id = complaints.merchant_id AND s.signed_at <= complaints.filed_at"
    " ORDER BY s.signed_at DESC, s.id DESC LIMIT 1)"
)
BACKFILL_CLAUSE = (
    "UPDATE complaints SET clause_number = ("
    " SELECT MIN(c.number) FROM pledge_clauses c"
    " WHERE c.version_id = complaints.pledge_version_id AND c.kind = complaints.clause_kind"
    " HAVING COUNT(*) = 1)"
    " WHERE pledge_version_id IS NOT NULL AND clause_kind <> 'other'"
)


def upgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pledge_version_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('clause_number', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_complaints_pledge_version_id_pledge_versions'),
                                    'pledge_versions', ['pledge_version_id'], ['id'])

    op.execute(BACKFILL_VERSION)
    op.execute(BACKFILL_CLAUSE)


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_complaints_pledge_version_id_pledge_versions'), type_='foreignkey')
        batch_op.drop_column('clause_number')
        batch_op.drop_column('pledge_version_id')
