"""certificate life: requests to change, replace and cancel a certificate after handover, their
documents and timeline (with row-level security)

Revision ID: 535810b1a614
Revises: 089f3ab0cace
Create Date: 2026-12-04 08:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "535810b1a614"
down_revision = "089f3ab0cace"
branch_labels = None
depends_on = None

TABLES = ("certificate_requests", "certificate_request_documents", "certificate_request_events")
VISIBLE = (
    "current_setting('app.all_townships', true) = 'on' "
    "OR township_id = NULLIF(current_setting('app.township_id', true), '')::integer"
)


def upgrade():
    op.create_table(
        "certificate_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("certificate_number", sa.String(length=22), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("holding_source", sa.String(length=12), nullable=False),
        sa.Column("old_certificate_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reprint", sa.Boolean(), nullable=False),
        sa.Column("damaged_card_returned", sa.Boolean(), nullable=False),
        sa.Column("old_card_void_on", sa.Date(), nullable=True),
        sa.Column("reissue_case_id", sa.Integer(), nullable=True),
        sa.Column("new_certificate_id", sa.Integer(), nullable=True),
        sa.Column("card_serial", sa.Integer(), nullable=True),
        sa.Column("death_source", sa.String(length=20), nullable=True),
        sa.Column("died_on", sa.Date(), nullable=True),
        sa.Column("decision_document", sa.String(length=100), nullable=False),
        sa.Column("assessment_case_id", sa.Integer(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("reapply_from", sa.Date(), nullable=True),
        sa.Column("card_collected", sa.Boolean(), nullable=True),
        sa.Column("card_collected_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_case_id"],
            ["cases.id"],
            name=op.f("fk_certificate_requests_assessment_case_id_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["checked_by_id"],
            ["users.id"],
            name=op.f("fk_certificate_requests_checked_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_certificate_requests_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_certificate_requests_decided_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["new_certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_requests_new_certificate_id_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["old_certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_requests_old_certificate_id_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_certificate_requests_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["reissue_case_id"],
            ["cases.id"],
            name=op.f("fk_certificate_requests_reissue_case_id_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["township_id"],
            ["townships.id"],
            name=op.f("fk_certificate_requests_township_id_townships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_requests")),
    )
    with op.batch_alter_table("certificate_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certificate_requests_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_certificate_requests_reissue_case_id"), ["reissue_case_id"], unique=False
        )
        batch_op.create_index(
            "ix_certificate_requests_township_state", ["township_id", "state"], unique=False
        )

    op.create_table(
        "certificate_request_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("object_key", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["certificate_requests.id"],
            name=op.f("fk_certificate_request_documents_request_id_certificate_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["township_id"],
            ["townships.id"],
            name=op.f("fk_certificate_request_documents_township_id_townships"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_certificate_request_documents_uploaded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_request_documents")),
        sa.UniqueConstraint("object_key", name=op.f("uq_certificate_request_documents_object_key")),
    )
    with op.batch_alter_table("certificate_request_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certificate_request_documents_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_certificate_request_documents_township_id"),
            ["township_id"],
            unique=False,
        )

    op.create_table(
        "certificate_request_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_certificate_request_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["certificate_requests.id"],
            name=op.f("fk_certificate_request_events_request_id_certificate_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["township_id"],
            ["townships.id"],
            name=op.f("fk_certificate_request_events_township_id_townships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_request_events")),
    )
    with op.batch_alter_table("certificate_request_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certificate_request_events_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_certificate_request_events_township_id"), ["township_id"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY township_rows ON {table} USING ({VISIBLE}) WITH CHECK ({VISIBLE})"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP POLICY IF EXISTS township_rows ON {table}")
    with op.batch_alter_table("certificate_request_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_request_events_township_id"))
        batch_op.drop_index(batch_op.f("ix_certificate_request_events_request_id"))

    op.drop_table("certificate_request_events")
    with op.batch_alter_table("certificate_request_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_request_documents_township_id"))
        batch_op.drop_index(batch_op.f("ix_certificate_request_documents_request_id"))

    op.drop_table("certificate_request_documents")
    with op.batch_alter_table("certificate_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_requests_township_state")
        batch_op.drop_index(batch_op.f("ix_certificate_requests_reissue_case_id"))
        batch_op.drop_index(batch_op.f("ix_certificate_requests_person_id"))

    op.drop_table("certificate_requests")
