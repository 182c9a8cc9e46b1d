"""campaigns as data: county, period, status (one active), history flag, phase descriptions,
closing snapshots

Revision ID: e3b7c9a1d4f6
Revises: e3b7a1c9d4f6
Create Date: 2026-12-04 06:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e3b7c9a1d4f6'
down_revision = 'e3b7a1c9d4f6'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade():
    # Plain ADD COLUMN (no table copy): on SQLite a copy of `campaigns` would be refused while
    # phases, targets and days refer to its rows.
    op.add_column('campaigns', sa.Column('county', sa.String(length=100), nullable=False,
                                         server_default=''))
    op.add_column('campaigns', sa.Column('starts_on', sa.Date(), nullable=True))
    op.add_column('campaigns', sa.Column('ends_on', sa.Date(), nullable=True))
    op.add_column('campaigns', sa.Column('status', sa.String(length=20), nullable=False,
                                         server_default='draft'))
    op.add_column('campaigns', sa.Column('historical', sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    if op.get_bind().dialect.name == 'sqlite':  # the reference inline, as SQLite allows
        op.execute('ALTER TABLE campaigns ADD COLUMN copied_from_id INTEGER '
                   'REFERENCES campaigns (id)')
    else:
        op.add_column('campaigns', sa.Column('copied_from_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_campaigns_copied_from_id_campaigns', 'campaigns',
                              'campaigns', ['copied_from_id'], ['id'])
    op.create_index('uq_campaigns_one_active', 'campaigns', ['status'], unique=True,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    op.add_column('campaign_phases', sa.Column('description', sa.Text(), nullable=False,
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
    op.drop_index('uq_campaigns_one_active', table_name='campaigns')
    if op.get_bind().dialect.name == 'sqlite':
        # A table copy of `campaigns` is refused while other rows refer to it: drop the columns
        # in place (SQLite 3.35+), the referencing one with foreign keys off.
        op.execute('PRAGMA foreign_keys=OFF')
        with op.batch_alter_table('campaigns', schema=None, recreate='never') as batch_op:
            for name in ('copied_from_id', 'historical', 'status', 'ends_on', 'starts_on',
                         'county'):
                batch_op.drop_column(name)
        op.execute('PRAGMA foreign_keys=ON')
        op.execute('ALTER TABLE campaign_phases DROP COLUMN description')
        return
    op.drop_column('campaign_phases', 'description')
    op.drop_constraint('fk_campaigns_copied_from_id_campaigns', 'campaigns',
                       type_='foreignkey')
    for name in ('copied_from_id', 'historical', 'status', 'ends_on', 'starts_on', 'county'):
        op.drop_column('campaigns', name)
