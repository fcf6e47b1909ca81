"""accounts: verified phone and temporary password

Revision ID: c4e44b6a74ac
Revises: 47ca1cb23cdd
Create Date: 2026-12-06 04:40:00.000000

Existing accounts keep an unverified phone (NULL): only a phone confirmed with an SMS code may
receive a password-reset code. The demo owner is marked verified by `flask demo` itself.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e44b6a74ac'
down_revision = '47ca1cb23cdd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.text('false'),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('phone_verified_at')
