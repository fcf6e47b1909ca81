"""Staff call-backs (回访) on concluded complaints; how a signature was given (online, on site by SMS code or
by an attested paper pledge) with the officer; photos of signed paper pledges

Revision ID: 8018ba402ead
Revises: 5ea1837fae30
Create Date: 2026-12-06 09:29:22.658887

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8018ba402ead'
down_revision = '5ea1837fae30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('complaint_callbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reached', sa.Boolean(), nullable=False),
    sa.Column('resolved', sa.Boolean(), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('remarks', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_callbacks_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['staff_id'], ['users.id'], name=op.f('fk_complaint_callbacks_staff_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_callbacks'))
    )
    with op.batch_alter_table('complaint_callbacks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_callbacks_called_at'), ['called_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_callbacks_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('paper_pledge_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('attested_by_id', sa.Integer(), nullable=False),
    sa.Column('attested_name', sa.String(length=64), nullable=False),
    sa.Column('attested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stored_name', sa.String(length=40), nullable=False),
    sa.Column('original_filename', sa.String(length=100), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attested_by_id'], ['users.id'], name=op.f('fk_paper_pledge_photos_attested_by_id_users')),
    sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], name=op.f('fk_paper_pledge_photos_signature_id_signatures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_pledge_photos')),
    sa.UniqueConstraint('signature_id', name=op.f('uq_paper_pledge_photos_signature_id')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_paper_pledge_photos_stored_name'))
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=16), server_default=sa.text("'online'"), nullable=False))
        batch_op.add_column(sa.Column('officer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('officer_unit', sa.String(length=120), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_signatures_officer_id_users'), 'users', ['officer_id'], ['id'])



def downgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_signatures_officer_id_users'), type_='foreignkey')
        batch_op.drop_column('officer_unit')
        batch_op.drop_column('officer_id')
        batch_op.drop_column('method')

    op.drop_table('paper_pledge_photos')
    with op.batch_alter_table('complaint_callbacks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_callbacks_complaint_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_callbacks_called_at'))

    op.drop_table('complaint_callbacks')
