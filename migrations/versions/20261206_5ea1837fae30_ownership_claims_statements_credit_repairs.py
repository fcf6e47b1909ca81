"""ownership claims, sanction statements, credit repairs

Revision ID: 5ea1837fae30
Revises: b7e2a91c4d05
Create Date: 2026-12-06 09:34:01.628438

Issue 14, points 3 and 4: ownership claims (a licence photo, a verified phone; staff transfer the shop
or reject the claim), the shop's short public statement beside a sanction, credit repair applications
with their photos, and the day a credit repair ended a sanction's mark early (sanctions.repaired_at).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5ea1837fae30'
down_revision = 'b7e2a91c4d05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ownership_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('claimant_id', sa.Integer(), nullable=False),
    sa.Column('claimant_name', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('internal_note', sa.Text(), nullable=True),
    sa.Column('previous_owner_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=40), nullable=False),
    sa.Column('original_filename', sa.String(length=100), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claimant_id'], ['users.id'], name=op.f('fk_ownership_claims_claimant_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_ownership_claims_decided_by_id_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_ownership_claims_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['previous_owner_id'], ['users.id'], name=op.f('fk_ownership_claims_previous_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ownership_claims')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_ownership_claims_stored_name'))
    )
    with op.batch_alter_table('ownership_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ownership_claims_claimant_id'), ['claimant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ownership_claims_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ownership_claims_previous_owner_id'), ['previous_owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ownership_claims_status'), ['status'], unique=False)
        batch_op.create_index('uq_ownership_claims_pending_phone', ['merchant_id', 'phone'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.create_table('credit_repairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sanction_id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rectification', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('internal_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_credit_repairs_decided_by_id_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_credit_repairs_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_credit_repairs_proposed_by_id_users')),
    sa.ForeignKeyConstraint(['sanction_id'], ['sanctions.id'], name=op.f('fk_credit_repairs_sanction_id_sanctions')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_credit_repairs_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_repairs'))
    )
    with op.batch_alter_table('credit_repairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_repairs_decided_at'), ['decided_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_repairs_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_repairs_sanction_id'), ['sanction_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_repairs_status'), ['status'], unique=False)
        batch_op.create_index('uq_credit_repairs_open', ['sanction_id'], unique=True, sqlite_where=sa.text("status IN ('pending', 'proposed')"), postgresql_where=sa.text("status IN ('pending', 'proposed')"))

    op.create_table('sanction_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sanction_id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.String(length=400), nullable=False),
    sa.Column('held_for_review', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_reason', sa.String(length=200), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_sanction_statements_hidden_by_id_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_sanction_statements_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_sanction_statements_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['sanction_id'], ['sanctions.id'], name=op.f('fk_sanction_statements_sanction_id_sanctions')),
    sa.ForeignKeyConstraint(['written_by_id'], ['users.id'], name=op.f('fk_sanction_statements_written_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanction_statements')),
    sa.UniqueConstraint('sanction_id', name=op.f('uq_sanction_statements_sanction_id'))
    )
    with op.batch_alter_table('sanction_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanction_statements_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('credit_repair_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('repair_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=40), nullable=False),
    sa.Column('original_filename', sa.String(length=100), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['repair_id'], ['credit_repairs.id'], name=op.f('fk_credit_repair_photos_repair_id_credit_repairs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_repair_photos')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_credit_repair_photos_stored_name'))
    )
    with op.batch_alter_table('credit_repair_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_repair_photos_repair_id'), ['repair_id'], unique=False)

    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repaired_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.drop_column('repaired_at')

    with op.batch_alter_table('credit_repair_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_repair_photos_repair_id'))

    op.drop_table('credit_repair_photos')
    with op.batch_alter_table('sanction_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sanction_statements_merchant_id'))

    op.drop_table('sanction_statements')
    with op.batch_alter_table('credit_repairs', schema=None) as batch_op:
        batch_op.drop_index('uq_credit_repairs_open', sqlite_where=sa.text("status IN ('pending', 'proposed')"), postgresql_where=sa.text("status IN ('pending', 'proposed')"))
        batch_op.drop_index(batch_op.f('ix_credit_repairs_status'))
        batch_op.drop_index(batch_op.f('ix_credit_repairs_sanction_id'))
        batch_op.drop_index(batch_op.f('ix_credit_repairs_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_credit_repairs_decided_at'))

    op.drop_table('credit_repairs')
    with op.batch_alter_table('ownership_claims', schema=None) as batch_op:
        batch_op.drop_index('uq_ownership_claims_pending_phone', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_ownership_claims_status'))
        batch_op.drop_index(batch_op.f('ix_ownership_claims_previous_owner_id'))
        batch_op.drop_index(batch_op.f('ix_ownership_claims_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_ownership_claims_claimant_id'))

    op.drop_table('ownership_claims')
