"""objections to results on public notice (with row-level security); the public information
page's saved versions

Revision ID: 089f3ab0cace
Revises: 5b2e8d0c7a41
Create Date: 2026-12-05 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '089f3ab0cace'
down_revision = '5b2e8d0c7a41'
branch_labels = None
depends_on = None

VISIBLE = ("current_setting('app.all_townships', true) = 'on' "
           "OR township_id = NULLIF(current_setting('app.township_id', true), '')::integer")


def upgrade():
    op.create_table(
        'objections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('contact', sa.String(length=100), server_default='', nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('attachment_key', sa.String(length=200), nullable=True),
        sa.Column('attachment_type', sa.String(length=100), nullable=True),
        sa.Column('attachment_size', sa.Integer(), nullable=True),
        sa.Column('attachment_sha256', sa.String(length=64), nullable=True),
        sa.Column('status', sa.String(length=20), server_default='open', nullable=False),
        sa.Column('outcome_reason', sa.Text(), server_default='', nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('township_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_objections_case_id_cases')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_objections_decided_by_id_users')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_objections_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['township_id'], ['townships.id'],
                                name=op.f('fk_objections_township_id_townships')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_objections')),
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objections_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_objections_township_status', ['township_id', 'status'],
                              unique=False)
    op.create_table(
        'info_pages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('summary', sa.String(length=300), nullable=False),
        sa.Column('hotline', sa.String(length=60), nullable=False),
        sa.Column('body_markdown', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('edited_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['edited_by_id'], ['users.id'],
                                name=op.f('fk_info_pages_edited_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_info_pages')),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE objections ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE objections FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY township_rows ON objections USING ({VISIBLE}) "
                   f"WITH CHECK ({VISIBLE})")


def downgrade():
    op.drop_table('info_pages')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS township_rows ON objections")
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_index('ix_objections_township_status')
        batch_op.drop_index(batch_op.f('ix_objections_case_id'))
    op.drop_table('objections')
