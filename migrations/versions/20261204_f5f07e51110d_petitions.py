"""petitions (信访): petitions, their timeline events, extensions and attachments

A petition is not a township's row (it may concern none, and one about a township's own staff
must stay out of that township's sight), so the tables carry no row-level security: the access
policy of portal/access.py decides who sees them, as for the audit trail. At most one extension
of a petition is ever approved (a partial unique index, SQLite and PostgreSQL).

Revision ID: f5f07e51110d
Revises: 535810b1a614
Create Date: 2026-12-04 08:42:43

"""
import sqlalchemy as sa
from alembic import op

revision = 'f5f07e51110d'
down_revision = '535810b1a614'
branch_labels = None
depends_on = None

APPROVED = sa.text("status = 'approved'")


def upgrade():
    op.create_table('petitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=24), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('petitioner_name', sa.String(length=100), nullable=False),
    sa.Column('petitioner_phone', sa.String(length=40), nullable=False),
    sa.Column('petitioner_address', sa.String(length=200), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.Column('township_id', sa.Integer(), nullable=True),
    sa.Column('about_township_staff', sa.Boolean(), nullable=False),
    sa.Column('subject_unit_kind', sa.String(length=20), nullable=True),
    sa.Column('subject_hospital_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('certificate_id', sa.Integer(), nullable=True),
    sa.Column('unit_kind', sa.String(length=20), nullable=False),
    sa.Column('unit_township_id', sa.Integer(), nullable=True),
    sa.Column('unit_hospital_id', sa.Integer(), nullable=True),
    sa.Column('handler_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('acceptance_due_on', sa.Date(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('told_on', sa.Date(), nullable=True),
    sa.Column('told_how', sa.String(length=20), nullable=True),
    sa.Column('answer_due_on', sa.Date(), nullable=True),
    sa.Column('extension_days', sa.Integer(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('review_until', sa.Date(), nullable=True),
    sa.Column('review_requested_on', sa.Date(), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=False),
    sa.Column('review_due_on', sa.Date(), nullable=True),
    sa.Column('reviewed_on', sa.Date(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_answer', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'],
                            name=op.f('fk_petitions_answered_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_petitions_case_id_cases')),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'],
                            name=op.f('fk_petitions_certificate_id_certificates')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'],
                            name=op.f('fk_petitions_filed_by_id_users')),
    sa.ForeignKeyConstraint(['handler_id'], ['users.id'],
                            name=op.f('fk_petitions_handler_id_users')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'],
                            name=op.f('fk_petitions_person_id_persons')),
    sa.ForeignKeyConstraint(['received_by_id'], ['users.id'],
                            name=op.f('fk_petitions_received_by_id_users')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'],
                            name=op.f('fk_petitions_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['subject_hospital_id'], ['hospitals.id'],
                            name=op.f('fk_petitions_subject_hospital_id_hospitals')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'],
                            name=op.f('fk_petitions_township_id_townships')),
    sa.ForeignKeyConstraint(['unit_hospital_id'], ['hospitals.id'],
                            name=op.f('fk_petitions_unit_hospital_id_hospitals')),
    sa.ForeignKeyConstraint(['unit_township_id'], ['townships.id'],
                            name=op.f('fk_petitions_unit_township_id_townships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petitions')),
    sa.UniqueConstraint('reference', name=op.f('uq_petitions_reference'))
    )
    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petitions_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_petitions_certificate_id'),
                              ['certificate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_petitions_filed_by_id'), ['filed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_petitions_handler_id'), ['handler_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_petitions_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_petitions_state_due_on', ['state', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_petitions_township_id'), ['township_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_petitions_unit_township_id'),
                              ['unit_township_id'], unique=False)

    op.create_table('petition_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('object_key', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'],
                            name=op.f('fk_petition_attachments_petition_id_petitions')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'],
                            name=op.f('fk_petition_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_attachments')),
    sa.UniqueConstraint('object_key', name=op.f('uq_petition_attachments_object_key'))
    )
    with op.batch_alter_table('petition_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_attachments_petition_id'),
                              ['petition_id'], unique=False)

    op.create_table('petition_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'],
                            name=op.f('fk_petition_events_actor_id_users')),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'],
                            name=op.f('fk_petition_events_petition_id_petitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_events'))
    )
    with op.batch_alter_table('petition_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_events_petition_id'),
                              ['petition_id'], unique=False)

    op.create_table('petition_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                            name=op.f('fk_petition_extensions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'],
                            name=op.f('fk_petition_extensions_petition_id_petitions')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                            name=op.f('fk_petition_extensions_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_extensions'))
    )
    with op.batch_alter_table('petition_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_extensions_petition_id'),
                              ['petition_id'], unique=False)
        batch_op.create_index('uq_petition_extensions_one_approved', ['petition_id'],
                              unique=True, sqlite_where=APPROVED,
                              postgresql_where=APPROVED)



def downgrade():
    with op.batch_alter_table('petition_extensions', schema=None) as batch_op:
        batch_op.drop_index('uq_petition_extensions_one_approved',
                            sqlite_where=APPROVED, postgresql_where=APPROVED)
        batch_op.drop_index(batch_op.f('ix_petition_extensions_petition_id'))

    op.drop_table('petition_extensions')
    with op.batch_alter_table('petition_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petition_events_petition_id'))

    op.drop_table('petition_events')
    with op.batch_alter_table('petition_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petition_attachments_petition_id'))

    op.drop_table('petition_attachments')
    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petitions_unit_township_id'))
        batch_op.drop_index(batch_op.f('ix_petitions_township_id'))
        batch_op.drop_index('ix_petitions_state_due_on')
        batch_op.drop_index(batch_op.f('ix_petitions_person_id'))
        batch_op.drop_index(batch_op.f('ix_petitions_handler_id'))
        batch_op.drop_index(batch_op.f('ix_petitions_filed_by_id'))
        batch_op.drop_index(batch_op.f('ix_petitions_certificate_id'))
        batch_op.drop_index(batch_op.f('ix_petitions_case_id'))

    op.drop_table('petitions')
