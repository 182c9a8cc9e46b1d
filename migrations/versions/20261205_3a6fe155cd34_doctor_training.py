"""doctor training: sessions, attendees, results per category; the categories certified before
training was required (carried over from every certification on record); past versions of
edited certifications (the doctor pool's figures of a past day)

Revision ID: 3a6fe155cd34
Revises: a8f96bf425e2
Create Date: 2026-12-05 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '3a6fe155cd34'
down_revision = 'a8f96bf425e2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'training_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('trainer', sa.String(length=100), nullable=False),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), server_default='', nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_training_sessions_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sessions')),
    )
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_sessions_held_on'), ['held_on'],
                              unique=False)

    op.create_table(
        'training_attendees',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'],
                                name=op.f('fk_training_attendees_session_id_training_sessions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_training_attendees_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_training_attendees')),
        sa.UniqueConstraint('session_id', 'user_id',
                            name=op.f('uq_training_attendees_session_id_user_id')),
    )
    with op.batch_alter_table('training_attendees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_attendees_session_id'), ['session_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_training_attendees_user_id'), ['user_id'],
                              unique=False)

    op.create_table(
        'training_results',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attendee_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('passed', sa.Boolean(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['attendee_id'], ['training_attendees.id'],
                                name=op.f('fk_training_results_attendee_id_training_attendees'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_training_results_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_training_results')),
        sa.UniqueConstraint('attendee_id', 'category',
                            name=op.f('uq_training_results_attendee_id_category')),
    )
    with op.batch_alter_table('training_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_results_attendee_id'), ['attendee_id'],
                              unique=False)

    prior = op.create_table(
        'training_prior_qualifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('certification_number', sa.String(length=40), nullable=False),
        sa.Column('recorded_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_training_prior_qualifications_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_training_prior_qualifications')),
        sa.UniqueConstraint('user_id', 'category',
                            name=op.f('uq_training_prior_qualifications_user_id_category')),
    )
    with op.batch_alter_table('training_prior_qualifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_prior_qualifications_user_id'),
                              ['user_id'], unique=False)

    op.create_table(
        'doctor_certification_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=40), nullable=False),
        sa.Column('hospital_id', sa.Integer(), nullable=False),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('replaced_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ['hospital_id'], ['hospitals.id'],
            name=op.f('fk_doctor_certification_versions_hospital_id_hospitals')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_doctor_certification_versions_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_doctor_certification_versions')),
    )
    with op.batch_alter_table('doctor_certification_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_doctor_certification_versions_replaced_on'),
                              ['replaced_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_doctor_certification_versions_user_id'),
                              ['user_id'], unique=False)

    _carry_over_certified_categories(prior)


def _carry_over_certified_categories(prior):
    """Every category of every certification on record stays renewable without a training
    record: the rule applies to the categories added from now on (docs/training.md)."""
    from portal.clock import local_today

    certifications = sa.table('doctor_certifications', sa.column('user_id', sa.Integer),
                              sa.column('number', sa.String), sa.column('categories', sa.JSON))
    today = local_today()
    rows = []
    for user_id, number, categories in op.get_bind().execute(
            sa.select(certifications.c.user_id, certifications.c.number,
                      certifications.c.categories)):
        rows += [{'user_id': user_id, 'category': category, 'certification_number': number,
                  'recorded_on': today} for category in sorted(set(categories or []))]
    if rows:
        op.bulk_insert(prior, rows)


def downgrade():
    with op.batch_alter_table('doctor_certification_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_doctor_certification_versions_user_id'))
        batch_op.drop_index(batch_op.f('ix_doctor_certification_versions_replaced_on'))
    op.drop_table('doctor_certification_versions')
    with op.batch_alter_table('training_prior_qualifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_prior_qualifications_user_id'))
    op.drop_table('training_prior_qualifications')
    with op.batch_alter_table('training_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_results_attendee_id'))
    op.drop_table('training_results')
    with op.batch_alter_table('training_attendees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_attendees_user_id'))
        batch_op.drop_index(batch_op.f('ix_training_attendees_session_id'))
    op.drop_table('training_attendees')
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_sessions_held_on'))
    op.drop_table('training_sessions')
