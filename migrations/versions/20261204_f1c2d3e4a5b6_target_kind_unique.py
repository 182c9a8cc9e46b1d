"""campaign targets: one of each kind per deadline (a holding-rate target and the poverty
renewal may fall due on the same day)

Revision ID: f1c2d3e4a5b6
Revises: e3b7c9a1d4f6
Create Date: 2026-12-04 07:10:00

"""
from alembic import op

revision = 'f1c2d3e4a5b6'
down_revision = 'e3b7c9a1d4f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign_targets', schema=None) as batch_op:
        batch_op.drop_constraint('uq_campaign_targets_campaign_id_deadline', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_campaign_targets_campaign_id_kind_deadline'),
            ['campaign_id', 'kind', 'deadline'])


def downgrade():
    with op.batch_alter_table('campaign_targets', schema=None) as batch_op:
        batch_op.drop_constraint('uq_campaign_targets_campaign_id_kind_deadline',
                                 type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_campaign_targets_campaign_id_deadline'), ['campaign_id', 'deadline'])
