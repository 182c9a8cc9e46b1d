"""guardianships can be ended by the township office

Revision ID: 7a2c4e1f0d55
Revises: 5c1e0a7d9b42
Create Date: 2026-12-04 04:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "7a2c4e1f0d55"
down_revision = "5c1e0a7d9b42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("guardianships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ended_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("end_reason", sa.Text(), nullable=False,
                                      server_default=""))
        batch_op.create_foreign_key(batch_op.f("fk_guardianships_ended_by_id_users"), "users",
                                    ["ended_by_id"], ["id"])
    with op.batch_alter_table("guardianships", schema=None) as batch_op:
        batch_op.alter_column("end_reason", server_default=None)


def downgrade():
    with op.batch_alter_table("guardianships", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_guardianships_ended_by_id_users"),
                                 type_="foreignkey")
        batch_op.drop_column("end_reason")
        batch_op.drop_column("ended_by_id")
        batch_op.drop_column("ended_at")
