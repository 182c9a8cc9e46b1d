"""organised batches (分批鉴定) and the assistance units (帮扶单位)

`assessment_batches` belongs to every township it takes persons from (its townships are rows of
`assessment_batch_townships`), so its row-level security policy shows a batch to the township
that made it and to each of its townships; its members, the units' township links and the
batch's township links are ordinary tenant rows.

Revision ID: 6b1d0e4f2a97
Revises: 07e3eaecb2d9
Create Date: 2026-12-06 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '6b1d0e4f2a97'
down_revision = '07e3eaecb2d9'
branch_labels = None
depends_on = None

SETTING = "NULLIF(current_setting('app.township_id', true), '')::integer"
VISIBLE = f"current_setting('app.all_townships', true) = 'on' OR township_id = {SETTING}"
BATCH_VISIBLE = (f"current_setting('app.all_townships', true) = 'on' "
                 f"OR made_in_id = {SETTING} "
                 f"OR id IN (SELECT batch_id FROM assessment_batch_townships "
                 f"WHERE township_id = {SETTING})")
TENANT_TABLES = ("assistance_unit_townships", "assessment_batch_townships",
                 "assessment_batch_members")


def _fk(table, column, target, **kwargs):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"), **kwargs)


def upgrade():
    op.create_table(
        'assistance_units',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('contact', sa.String(length=200), nullable=False),
        sa.Column('kept_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        _fk('assistance_units', 'kept_by_id', 'townships'),
        _fk('assistance_units', 'created_by_id', 'users'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_units')),
        sa.UniqueConstraint('name', name=op.f('uq_assistance_units_name')),
    )
    with op.batch_alter_table('assistance_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_units_kept_by_id'), ['kept_by_id'],
                              unique=False)
    op.create_table(
        'assistance_unit_townships',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('township_id', sa.Integer(), nullable=False),
        _fk('assistance_unit_townships', 'unit_id', 'assistance_units', ondelete='CASCADE'),
        _fk('assistance_unit_townships', 'township_id', 'townships'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_unit_townships')),
        sa.UniqueConstraint('unit_id', 'township_id',
                            name=op.f('uq_assistance_unit_townships_unit_id_township_id')),
    )
    with op.batch_alter_table('assistance_unit_townships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_unit_townships_unit_id'), ['unit_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_unit_townships_township_id'),
                              ['township_id'], unique=False)
    op.create_table(
        'assessment_batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('made_in_id', sa.Integer(), nullable=True),
        sa.Column('organiser', sa.String(length=20), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('hospital_id', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('places', sa.Integer(), nullable=False),
        sa.Column('transport', sa.Text(), nullable=False),
        sa.Column('companions', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        _fk('assessment_batches', 'made_in_id', 'townships'),
        _fk('assessment_batches', 'unit_id', 'assistance_units'),
        _fk('assessment_batches', 'hospital_id', 'hospitals'),
        _fk('assessment_batches', 'created_by_id', 'users'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_batches')),
    )
    with op.batch_alter_table('assessment_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_batches_made_in_id'), ['made_in_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_batches_unit_id'), ['unit_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_batches_held_on'), ['held_on'],
                              unique=False)
    op.create_table(
        'assessment_batch_townships',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('township_id', sa.Integer(), nullable=False),
        _fk('assessment_batch_townships', 'batch_id', 'assessment_batches', ondelete='CASCADE'),
        _fk('assessment_batch_townships', 'township_id', 'townships'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_batch_townships')),
        sa.UniqueConstraint('batch_id', 'township_id',
                            name=op.f('uq_assessment_batch_townships_batch_id_township_id')),
    )
    with op.batch_alter_table('assessment_batch_townships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_batch_townships_batch_id'),
                              ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_batch_townships_township_id'),
                              ['township_id'], unique=False)
    op.create_table(
        'assessment_batch_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('previous_path', sa.String(length=20), nullable=False),
        sa.Column('moved_to_id', sa.Integer(), nullable=True),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('township_id', sa.Integer(), nullable=False),
        _fk('assessment_batch_members', 'batch_id', 'assessment_batches'),
        _fk('assessment_batch_members', 'case_id', 'cases'),
        sa.ForeignKeyConstraint(['moved_to_id'], ['assessment_batches.id'],
                                name=op.f('fk_assessment_batch_members_moved_to_id_'
                                          'assessment_batches')),
        _fk('assessment_batch_members', 'added_by_id', 'users'),
        _fk('assessment_batch_members', 'recorded_by_id', 'users'),
        _fk('assessment_batch_members', 'township_id', 'townships'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_batch_members')),
        sa.UniqueConstraint('batch_id', 'case_id',
                            name=op.f('uq_assessment_batch_members_batch_id_case_id')),
    )
    with op.batch_alter_table('assessment_batch_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_batch_members_batch_id'), ['batch_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_batch_members_case_id'), ['case_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_batch_members_township_id'),
                              ['township_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY township_rows ON {table} USING ({VISIBLE}) "
                       f"WITH CHECK ({VISIBLE})")
        op.execute("ALTER TABLE assessment_batches ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE assessment_batches FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY township_rows ON assessment_batches USING ({BATCH_VISIBLE}) "
                   f"WITH CHECK ({BATCH_VISIBLE})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in (*TENANT_TABLES, "assessment_batches"):
            op.execute(f"DROP POLICY IF EXISTS township_rows ON {table}")
    op.drop_table('assessment_batch_members')
    op.drop_table('assessment_batch_townships')
    op.drop_table('assessment_batches')
    op.drop_table('assistance_unit_townships')
    op.drop_table('assistance_units')
