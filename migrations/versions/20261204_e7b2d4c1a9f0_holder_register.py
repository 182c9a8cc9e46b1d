"""holder register: holder_entries (with row-level security), campaign target kinds

Revision ID: e7b2d4c1a9f0
Revises: c5a1e0d2f7b3
Create Date: 2026-12-04 05:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e7b2d4c1a9f0'
down_revision = 'c5a1e0d2f7b3'
branch_labels = None
depends_on = None

VISIBLE = ("current_setting('app.all_townships', true) = 'on' "
           "OR township_id = NULLIF(current_setting('app.township_id', true), '')::integer")


def upgrade():
    op.create_table(
        'holder_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('certificate_number', sa.String(length=22), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('grade', sa.Integer(), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=True),
        sa.Column('expires_on', sa.Date(), nullable=False),
        sa.Column('replaced_expires_on', sa.Date(), nullable=True),
        sa.Column('source', sa.String(length=12), nullable=False),
        sa.Column('certificate_id', sa.Integer(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('township_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], ),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], ),
        sa.ForeignKeyConstraint(['township_id'], ['townships.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('person_id'),
    )
    with op.batch_alter_table('holder_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holder_entries_certificate_id'), ['certificate_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_holder_entries_expires_on'), ['expires_on'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_holder_entries_township_id'), ['township_id'],
                              unique=False)
    with op.batch_alter_table('campaign_targets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False,
                                      server_default='holding_rate'))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE holder_entries ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE holder_entries FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY township_rows ON holder_entries USING ({VISIBLE}) "
                   f"WITH CHECK ({VISIBLE})")


def downgrade():
    with op.batch_alter_table('campaign_targets', schema=None) as batch_op:
        batch_op.drop_column('kind')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS township_rows ON holder_entries")
    with op.batch_alter_table('holder_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holder_entries_township_id'))
        batch_op.drop_index(batch_op.f('ix_holder_entries_expires_on'))
        batch_op.drop_index(batch_op.f('ix_holder_entries_certificate_id'))
    op.drop_table('holder_entries')
