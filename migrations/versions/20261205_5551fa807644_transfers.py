"""transfers between townships and out of the county; persons.left_county_on

`transfers` holds rows of two townships at once (the sender's `township_id`, the receiver's
`to_township_id`), so its row-level security policy shows a row to either of them.

Revision ID: 5551fa807644
Revises: f5f07e51110d
Create Date: 2026-12-05 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5551fa807644'
down_revision = 'f5f07e51110d'
branch_labels = None
depends_on = None

PENDING = sa.text("state = 'requested'")
EITHER_SIDE = (
    "current_setting('app.all_townships', true) = 'on' "
    "OR township_id = NULLIF(current_setting('app.township_id', true), '')::integer "
    "OR to_township_id = NULLIF(current_setting('app.township_id', true), '')::integer")


def upgrade():
    op.create_table(
        'transfers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('to_township_id', sa.Integer(), nullable=True),
        sa.Column('destination', sa.String(length=200), nullable=False),
        sa.Column('new_address', sa.String(length=200), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('requested_on', sa.Date(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('person_name', sa.String(length=60), nullable=False),
        sa.Column('id_masked', sa.String(length=18), nullable=False),
        sa.Column('gender', sa.String(length=10), nullable=False),
        sa.Column('birth_year', sa.Integer(), nullable=False),
        sa.Column('certificate_category', sa.String(length=20), nullable=True),
        sa.Column('certificate_grade', sa.Integer(), nullable=True),
        sa.Column('certificate_expires_on', sa.Date(), nullable=True),
        sa.Column('poverty_registered', sa.Boolean(), nullable=False),
        sa.Column('mobility', sa.String(length=20), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=False),
        sa.Column('to_village_id', sa.Integer(), nullable=True),
        sa.Column('moved', sa.JSON(), nullable=True),
        sa.Column('township_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_transfers_decided_by_id_users')),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'],
                                name=op.f('fk_transfers_person_id_persons')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                                name=op.f('fk_transfers_requested_by_id_users')),
        sa.ForeignKeyConstraint(['to_township_id'], ['townships.id'],
                                name=op.f('fk_transfers_to_township_id_townships')),
        sa.ForeignKeyConstraint(['to_village_id'], ['villages.id'],
                                name=op.f('fk_transfers_to_village_id_villages')),
        sa.ForeignKeyConstraint(['township_id'], ['townships.id'],
                                name=op.f('fk_transfers_township_id_townships')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers')),
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfers_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_township_id'), ['township_id'],
                              unique=False)
        batch_op.create_index('ix_transfers_to_township_state', ['to_township_id', 'state'],
                              unique=False)
        batch_op.create_index('uq_transfers_pending_person', ['person_id'], unique=True,
                              sqlite_where=PENDING, postgresql_where=PENDING)
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_county_on', sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE transfers ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE transfers FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY township_rows ON transfers USING ({EITHER_SIDE}) "
                   f"WITH CHECK ({EITHER_SIDE})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS township_rows ON transfers")
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_column('left_county_on')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index('uq_transfers_pending_person', sqlite_where=PENDING,
                            postgresql_where=PENDING)
        batch_op.drop_index('ix_transfers_to_township_state')
        batch_op.drop_index(batch_op.f('ix_transfers_township_id'))
        batch_op.drop_index(batch_op.f('ix_transfers_person_id'))
    op.drop_table('transfers')
