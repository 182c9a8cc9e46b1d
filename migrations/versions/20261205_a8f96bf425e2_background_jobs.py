"""background jobs: one row per job (state, progress, heartbeat, attempts, result)

Revision ID: a8f96bf425e2
Revises: 5551fa807644
Create Date: 2026-12-05 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a8f96bf425e2'
down_revision = '5551fa807644'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=60), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('township_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('phase', sa.String(length=20), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('error', sa.String(length=60), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('runner', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('run_after', sa.DateTime(timezone=True), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_jobs_created_by_id_users')),
        sa.ForeignKeyConstraint(['township_id'], ['townships.id'],
                                name=op.f('fk_jobs_township_id_townships')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_kind_key_state', ['kind', 'key', 'state'], unique=False)
        batch_op.create_index('ix_jobs_state_heartbeat', ['state', 'heartbeat_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_township_id'), ['township_id'], unique=False)


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_township_id'))
        batch_op.drop_index('ix_jobs_state_heartbeat')
        batch_op.drop_index('ix_jobs_kind_key_state')
    op.drop_table('jobs')
