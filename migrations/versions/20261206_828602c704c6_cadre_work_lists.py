"""cadres' work lists: assignments with their history (started, ended, by whom), one open
assignment per person, and the cadres' contacts (with row-level security)

Revision ID: 828602c704c6
Revises: 6b1d0e4f2a97
Create Date: 2026-12-06 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '828602c704c6'
down_revision = '6b1d0e4f2a97'
branch_labels = None
depends_on = None

SETTING = "NULLIF(current_setting('app.township_id', true), '')::integer"
VISIBLE = f"current_setting('app.all_townships', true) = 'on' OR township_id = {SETTING}"


def upgrade():
    with op.batch_alter_table('poverty_assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('assigned_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ended_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_poverty_assignments_assigned_by_id_users'),
                                    'users', ['assigned_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_poverty_assignments_ended_by_id_users'),
                                    'users', ['ended_by_id'], ['id'])
        batch_op.drop_constraint('uq_poverty_assignments_user_id_person_id', type_='unique')
    # A person kept by two cadres before (the old rule allowed it) keeps the newest one open.
    op.execute("UPDATE poverty_assignments SET ended_on = CURRENT_DATE WHERE id NOT IN "
               "(SELECT max(id) FROM poverty_assignments GROUP BY person_id)")
    op.create_index('uq_poverty_assignments_open_person', 'poverty_assignments', ['person_id'],
                    unique=True, sqlite_where=sa.text('ended_on IS NULL'),
                    postgresql_where=sa.text('ended_on IS NULL'))
    op.create_table(
        'cadre_contacts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('contacted_on', sa.Date(), nullable=False),
        sa.Column('how', sa.String(length=10), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('township_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'],
                                name=op.f('fk_cadre_contacts_person_id_persons')),
        sa.ForeignKeyConstraint(['township_id'], ['townships.id'],
                                name=op.f('fk_cadre_contacts_township_id_townships')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_cadre_contacts_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cadre_contacts')),
    )
    with op.batch_alter_table('cadre_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cadre_contacts_person_id'), ['person_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_cadre_contacts_township_id'), ['township_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_cadre_contacts_user_id'), ['user_id'],
                              unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE cadre_contacts ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE cadre_contacts FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY township_rows ON cadre_contacts USING ({VISIBLE}) "
                   f"WITH CHECK ({VISIBLE})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS township_rows ON cadre_contacts")
    op.drop_table('cadre_contacts')
    op.drop_index('uq_poverty_assignments_open_person', table_name='poverty_assignments')
    op.execute("DELETE FROM poverty_assignments WHERE ended_on IS NOT NULL")
    with op.batch_alter_table('poverty_assignments', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_poverty_assignments_user_id_person_id',
                                          ['user_id', 'person_id'])
        batch_op.drop_constraint(batch_op.f('fk_poverty_assignments_ended_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_poverty_assignments_assigned_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('ended_by_id')
        batch_op.drop_column('ended_on')
        batch_op.drop_column('assigned_by_id')
        batch_op.drop_column('started_on')
