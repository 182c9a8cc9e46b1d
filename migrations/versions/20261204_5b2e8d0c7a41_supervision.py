"""supervision: supervision notices (督办单) and accountability records

Revision ID: 5b2e8d0c7a41
Revises: 181f19590893
Create Date: 2026-12-04 09:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5b2e8d0c7a41'
down_revision = '181f19590893'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'supervision_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=30), nullable=False),
        sa.Column('unit', sa.String(length=20), nullable=False),
        sa.Column('township_id', sa.Integer(), nullable=True),
        sa.Column('unit_name', sa.String(length=100), nullable=False),
        sa.Column('source', sa.String(length=30), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('required_action', sa.Text(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('answered_by_id', sa.Integer(), nullable=True),
        sa.Column('answered_on', sa.Date(), nullable=True),
        sa.Column('escalated_on', sa.Date(), nullable=True),
        sa.Column('closed_on', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], ),
        sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], ),
        sa.ForeignKeyConstraint(['township_id'], ['townships.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('number'),
    )
    with op.batch_alter_table('supervision_notices', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_notices_state_due', ['state', 'due_on'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_notices_township_id'),
                              ['township_id'], unique=False)
    op.create_table(
        'accountability_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('township_id', sa.Integer(), nullable=True),
        sa.Column('notice_id', sa.Integer(), nullable=True),
        sa.Column('unit_name', sa.String(length=100), nullable=False),
        sa.Column('person_name', sa.String(length=60), nullable=False),
        sa.Column('finding', sa.Text(), nullable=False),
        sa.Column('measure', sa.Text(), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=False),
        sa.Column('document_number', sa.String(length=60), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['notice_id'], ['supervision_notices.id'], ),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], ),
        sa.ForeignKeyConstraint(['township_id'], ['townships.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('accountability_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accountability_records_notice_id'), ['notice_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_accountability_records_township_id'),
                              ['township_id'], unique=False)


def downgrade():
    with op.batch_alter_table('accountability_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accountability_records_township_id'))
        batch_op.drop_index(batch_op.f('ix_accountability_records_notice_id'))
    op.drop_table('accountability_records')
    with op.batch_alter_table('supervision_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_notices_township_id'))
        batch_op.drop_index('ix_supervision_notices_state_due')
    op.drop_table('supervision_notices')
