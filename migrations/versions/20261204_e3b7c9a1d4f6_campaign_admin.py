"""campaigns as data: county, period, status (one active), history flag, phase descriptions,
closing snapshots

Revision ID: e3b7c9a1d4f6
Revises: c5a1e0d2f7b3
Create Date: 2026-12-04 06:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e3b7c9a1d4f6'
down_revision = 'c5a1e0d2f7b3'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('county', sa.String(length=100), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('starts_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ends_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False,
                                      server_default='draft'))
        batch_op.add_column(sa.Column('historical', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('copied_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_campaigns_copied_from_id_campaigns', 'campaigns',
                                    ['copied_from_id'], ['id'])
    op.create_index('uq_campaigns_one_active', 'campaigns', ['status'], unique=True,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    with op.batch_alter_table('campaign_phases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=False,
                                      server_default=''))
    op.create_table(
        'campaign_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('taken_on', sa.Date(), nullable=False),
        sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('taken_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id']),
        sa.ForeignKeyConstraint(['taken_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_campaign_snapshots_campaign_id'), 'campaign_snapshots',
                    ['campaign_id'], unique=False)
    # The period of an existing campaign is that of its phases; a deployment with exactly one
    # campaign keeps measuring against it (it becomes the active one).
    op.execute("UPDATE campaigns SET starts_on = (SELECT min(p.starts_on) FROM campaign_phases p "
               "WHERE p.campaign_id = campaigns.id), ends_on = (SELECT max(p.ends_on) "
               "FROM campaign_phases p WHERE p.campaign_id = campaigns.id)")
    op.execute("UPDATE campaigns SET status = 'active' WHERE (SELECT count(*) FROM campaigns) = 1")


def downgrade():
    op.drop_index(op.f('ix_campaign_snapshots_campaign_id'), table_name='campaign_snapshots')
    op.drop_table('campaign_snapshots')
    with op.batch_alter_table('campaign_phases', schema=None) as batch_op:
        batch_op.drop_column('description')
    op.drop_index('uq_campaigns_one_active', table_name='campaigns')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint('fk_campaigns_copied_from_id_campaigns', type_='foreignkey')
        batch_op.drop_column('copied_from_id')
        batch_op.drop_column('historical')
        batch_op.drop_column('status')
        batch_op.drop_column('ends_on')
        batch_op.drop_column('starts_on')
        batch_op.drop_column('county')
