"""media nodes: the pool of media services the portal places video sessions on

Revision ID: 07e3eaecb2d9
Revises: 3a6fe155cd34
Create Date: 2026-12-05 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '07e3eaecb2d9'
down_revision = '3a6fe155cd34'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'media_nodes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('url', sa.String(length=200), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('drained', sa.Boolean(), nullable=False),
        sa.Column('rooms', sa.Integer(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('down_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_media_nodes')),
        sa.UniqueConstraint('name', name=op.f('uq_media_nodes_name')),
        sa.UniqueConstraint('url', name=op.f('uq_media_nodes_url')),
    )


def downgrade():
    op.drop_table('media_nodes')
