"""notices: the outbox of messages to applicants and guardians, and opted-out numbers

Revision ID: 181f19590893
Revises: f1c2d3e4a5b6
Create Date: 2026-12-04 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '181f19590893'
down_revision = 'f1c2d3e4a5b6'
branch_labels = None
depends_on = None

VISIBLE = ("current_setting('app.all_townships', true) = 'on' "
           "OR township_id = NULLIF(current_setting('app.township_id', true), '')::integer")
TABLES = ("notices", "notice_opt_outs")


def upgrade():
    op.create_table(
        'notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('medium', sa.String(length=10), nullable=False),
        sa.Column('recipient', sa.String(length=120), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=160), nullable=False),
        sa.Column('out_id', sa.String(length=40), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('provider_ref', sa.String(length=80), nullable=False),
        sa.Column('last_error', sa.String(length=200), nullable=False),
        sa.Column('township_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
        sa.ForeignKeyConstraint(['township_id'], ['townships.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dedupe_key'),
        sa.UniqueConstraint('out_id'),
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_notices_township_state', ['township_id', 'state'],
                              unique=False)
        batch_op.create_index('ix_notices_state_due', ['state', 'next_attempt_at'],
                              unique=False)
        batch_op.create_index('ix_notices_recipient_sent', ['recipient', 'sent_at'],
                              unique=False)
    op.create_table(
        'notice_opt_outs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recipient', sa.String(length=120), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('township_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], ),
        sa.ForeignKeyConstraint(['township_id'], ['townships.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('township_id', 'recipient'),
    )
    with op.batch_alter_table('notice_opt_outs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_opt_outs_township_id'), ['township_id'],
                              unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY township_rows ON {table} USING ({VISIBLE}) "
                       f"WITH CHECK ({VISIBLE})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP POLICY IF EXISTS township_rows ON {table}")
    with op.batch_alter_table('notice_opt_outs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_opt_outs_township_id'))
    op.drop_table('notice_opt_outs')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_recipient_sent')
        batch_op.drop_index('ix_notices_state_due')
        batch_op.drop_index('ix_notices_township_state')
        batch_op.drop_index(batch_op.f('ix_notices_person_id'))
        batch_op.drop_index(batch_op.f('ix_notices_case_id'))
    op.drop_table('notices')
