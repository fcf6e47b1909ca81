"""The QR page's share resolved is of the concluded cases: shop_complaint_figures.concluded

Revision ID: 5e1c0a7d3b92
Revises: c1a5e0f3d2b8
Create Date: 2026-12-06 12:30:00

"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1c0a7d3b92'
down_revision = 'c1a5e0f3d2b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop_complaint_figures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('concluded', sa.Integer(), server_default=sa.text('0'), nullable=False))
    # Stored rows count their concluded cases now, as complaints.figures.compute does (closed with an
    # outcome, accepted in the 365 days before), so no page shows "no concluded case" until the daily job.
    since = datetime.now(timezone.utc) - timedelta(days=365)
    if op.get_bind().dialect.name == "sqlite":
        since = since.strftime("%Y-%m-%d %H:%M:%S.%f")  # stored as naive UTC text, compared as text
    op.execute(sa.text(
        "UPDATE shop_complaint_figures SET concluded = (SELECT count(*) FROM complaints"
        " WHERE complaints.merchant_id = shop_complaint_figures.merchant_id AND complaints.status = 'closed'"
        " AND complaints.outcome IS NOT NULL AND complaints.decided_at >= :since)").bindparams(since=since))


def downgrade():
    with op.batch_alter_table('shop_complaint_figures', schema=None) as batch_op:
        batch_op.drop_column('concluded')
