"""At most one open case per person (partial unique index); import jobs keep their notes.

Revision ID: 5c1e0a7d9b42
Revises: c41d5e7a9b10
Create Date: 2026-12-04 04:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5c1e0a7d9b42'
down_revision = 'c41d5e7a9b10'
branch_labels = None
depends_on = None

# The same condition as portal.cases.models.OPEN_CASE_CONDITION (written out: a migration
# must not change when the models do).
OPEN_CASE = sa.text(
    "state NOT IN ('issued', 'withdrawn', 'deceased', 'closed', 'appealed')")


def upgrade():
    connection = op.get_bind()
    twice = connection.execute(sa.text(
        "SELECT count(*) FROM (SELECT person_id FROM cases WHERE " + OPEN_CASE.text
        + " GROUP BY person_id HAVING count(*) > 1) AS twice")).scalar()
    if twice:
        raise RuntimeError(
            f"{twice} persons have more than one open case; withdraw the extra cases "
            "before upgrading (a person may have only one open case).")
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('uq_cases_open_person', ['person_id'], unique=True,
                              sqlite_where=OPEN_CASE, postgresql_where=OPEN_CASE)
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notes', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('notes')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('uq_cases_open_person')
