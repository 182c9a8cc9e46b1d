"""row-level security on the tenant tables (PostgreSQL)

Each table that holds one township's rows shows a row only when the transaction's settings
allow it (portal/rls.py sets them): `app.all_townships = 'on'`, or `app.township_id` equal to
the row's township. FORCE binds the tables' owner too; superusers and BYPASSRLS roles are never
bound, so production connects as an ordinary role. Nothing happens on SQLite.

A table added later that holds township rows gets the same three statements in its migration
(tests/test_rls.py fails until it has them).

Revision ID: c41d5e7a9b10
Revises: 5c1e0a7d93f2
Create Date: 2026-12-04 03:40:00
"""
from alembic import op

revision = "c41d5e7a9b10"
down_revision = "5c1e0a7d93f2"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "assessments", "case_events", "cases", "certificate_reprints", "certificates",
    "concentrated_days", "dashboard_figures", "dashboard_refreshes", "day_assignments",
    "dispatch_batches", "evidence", "guardian_invites", "guardian_uploads", "guardianships",
    "handovers", "home_visit_members", "home_visits", "import_jobs", "persons",
    "poverty_assignments", "roster_entries", "roster_reports", "second_reviews",
    "township_estimates", "video_consents", "video_media", "video_sessions", "villages",
)

VISIBLE = ("current_setting('app.all_townships', true) = 'on' "
           "OR township_id = NULLIF(current_setting('app.township_id', true), '')::integer")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY township_rows ON {table} USING ({VISIBLE}) "
                   f"WITH CHECK ({VISIBLE})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TENANT_TABLES:
        op.execute(f"DROP POLICY IF EXISTS township_rows ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
