"""phone verifications count what they were used for (one SMS verification, one complaint)

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


def downgrade():
    with op.batch_alter_table('phone_verifications', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('uses')
