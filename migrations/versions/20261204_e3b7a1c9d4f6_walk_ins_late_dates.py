"""cases: origin (survey, walk-in, hospital booking), campaign of the day, hospital booking;
case events: the day a step really happened and why it was entered late

Revision ID: e3b7a1c9d4f6
Revises: e7b2d4c1a9f0
Create Date: 2026-12-04 06:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e3b7a1c9d4f6'
down_revision = 'e7b2d4c1a9f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=20), nullable=False,
                                      server_default='survey'))
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hospital_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('booked_on', sa.Date(), nullable=True))
        batch_op.create_index('ix_cases_campaign_id', ['campaign_id'], unique=False)
        batch_op.create_foreign_key('fk_cases_campaign_id_campaigns', 'campaigns',
                                    ['campaign_id'], ['id'])
        batch_op.create_foreign_key('fk_cases_hospital_id_hospitals', 'hospitals',
                                    ['hospital_id'], ['id'])
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('happened_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('late_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_column('late_reason')
        batch_op.drop_column('happened_on')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint('fk_cases_hospital_id_hospitals', type_='foreignkey')
        batch_op.drop_constraint('fk_cases_campaign_id_campaigns', type_='foreignkey')
        batch_op.drop_index('ix_cases_campaign_id')
        batch_op.drop_column('booked_on')
        batch_op.drop_column('hospital_id')
        batch_op.drop_column('campaign_id')
        batch_op.drop_column('origin')
