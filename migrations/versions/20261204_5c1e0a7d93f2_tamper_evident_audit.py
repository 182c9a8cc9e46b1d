"""tamper-evident audit: hash chain columns, append-only triggers

Adds seq, prev_hash and row_hash to audit_events, chains the rows already there (in id
order), and makes the table insert-only in the database itself: SQLite triggers refuse UPDATE
and DELETE; on PostgreSQL one plpgsql function refuses UPDATE, DELETE and TRUNCATE (the app may
connect as the table's owner, so privileges alone would not do).

Note for later migrations: on SQLite, batch_alter_table on audit_events recreates the table and
drops its triggers; create them again afterwards (tests/audit/test_chain.py checks them).

Revision ID: 5c1e0a7d93f2
Revises: b8781a304167
Create Date: 2026-12-04 03:50:00

"""
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

revision = "5c1e0a7d93f2"
down_revision = "b8781a304167"
branch_labels = None
depends_on = None

MESSAGE = "audit events are append-only"

SQLITE_TRIGGERS = {
    "audit_events_no_update": "UPDATE",
    "audit_events_no_delete": "DELETE",
}
PG_TRIGGERS = {
    "audit_events_no_update": "UPDATE",
    "audit_events_no_delete": "DELETE",
    "audit_events_no_truncate": "TRUNCATE",
}


def _chain_existing_rows():
    from portal.audit.chain import GENESIS, compute_hash

    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer), sa.column("seq", sa.Integer),
        sa.column("occurred_at", sa.DateTime(timezone=True)),
        sa.column("actor_id", sa.Integer), sa.column("township_id", sa.Integer),
        sa.column("action", sa.String), sa.column("object_type", sa.String),
        sa.column("object_id", sa.Integer), sa.column("details", sa.JSON),
        sa.column("ip", sa.String), sa.column("prev_hash", sa.String),
        sa.column("row_hash", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(events).order_by(events.c.id)).all()
    prev_hash = GENESIS
    for seq, row in enumerate(rows, start=1):
        values = row._asdict() | {"seq": seq, "details": row.details or {}}
        row_hash = compute_hash(SimpleNamespace(**values), prev_hash)
        bind.execute(events.update().where(events.c.id == row.id).values(
            seq=seq, prev_hash=prev_hash, row_hash=row_hash, details=values["details"]))
        prev_hash = row_hash


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    _chain_existing_rows()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f("ix_audit_events_seq"), ["seq"], unique=True)
        batch_op.create_index(batch_op.f("ix_audit_events_occurred_at"), ["occurred_at"],
                              unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION audit_events_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END
            $$""")
        for name, operation in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} BEFORE {operation} ON audit_events "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()")
    else:
        for name, operation in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} BEFORE {operation} ON audit_events "
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_events_seq"))
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
