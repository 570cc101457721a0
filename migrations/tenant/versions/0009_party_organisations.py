"""The bureau's own Party organisations (issue 15): the tree, its committees, the meetings

Revision ID: 0009_party_organisations
Revises: 0005_record_for_person
Create Date: 2026-12-04 02:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_party_organisations'
down_revision = '0008_record_review'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'org_units',
        sa.Column('parent_id', BigId, nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('secretary_id', BigId, nullable=True),
        sa.Column('deputy_id', BigId, nullable=True),
        sa.Column('organiser_id', BigId, nullable=True),
        sa.Column('member_count', sa.Integer(), nullable=False),
        sa.Column('elected_on', sa.Date(), nullable=True),
        sa.Column('term_years', sa.Integer(), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.Column('id', BigId, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['deputy_id'], ['people.id'], name=op.f('fk_org_units_deputy_id_people'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organiser_id'], ['people.id'], name=op.f('fk_org_units_organiser_id_people'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['parent_id'], ['org_units.id'], name=op.f('fk_org_units_parent_id_org_units'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['secretary_id'], ['people.id'], name=op.f('fk_org_units_secretary_id_people'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_org_units')),
        sa.UniqueConstraint('name', name='uq_org_units_name'),
    )
    for column in ('parent_id', 'secretary_id', 'deputy_id', 'organiser_id'):
        op.create_index(op.f(f'ix_org_units_{column}'), 'org_units', [column], unique=False)
    op.create_table(
        'org_committee_members',
        sa.Column('unit_id', BigId, nullable=False),
        sa.Column('person_id', BigId, nullable=False),
        sa.Column('portfolio', sa.String(length=40), nullable=False),
        sa.Column('id', BigId, nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_org_committee_members_person_id_people'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'],
                                name=op.f('fk_org_committee_members_unit_id_org_units'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_org_committee_members')),
        sa.UniqueConstraint('unit_id', 'person_id', name='uq_org_committee_members_unit_person'),
    )
    op.create_index(op.f('ix_org_committee_members_unit_id'), 'org_committee_members', ['unit_id'], unique=False)
    op.create_index(op.f('ix_org_committee_members_person_id'), 'org_committee_members', ['person_id'],
                    unique=False)

    op.create_table(
        'meetings',
        sa.Column('unit_id', BigId, nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('expected', sa.Integer(), nullable=False),
        sa.Column('present', sa.Integer(), nullable=False),
        sa.Column('minutes', sa.Text(), nullable=False),
        sa.Column('recorded_by', sa.String(length=60), nullable=False),
        sa.Column('id', BigId, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_meetings_unit_id_org_units'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
    )
    op.create_index('ix_meetings_unit_held', 'meetings', ['unit_id', 'held_on'], unique=False)
    op.create_index(op.f('ix_meetings_year'), 'meetings', ['year'], unique=False)
    op.create_table(
        'meeting_absences',
        sa.Column('meeting_id', BigId, nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('reason', sa.String(length=100), nullable=False),
        sa.Column('id', BigId, nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_absences_meeting_id_meetings'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_absences')),
    )
    op.create_index(op.f('ix_meeting_absences_meeting_id'), 'meeting_absences', ['meeting_id'], unique=False)
    op.create_table(
        'meeting_cadences',
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('months', sa.Integer(), nullable=False),
        sa.Column('note', sa.String(length=100), nullable=False),
        sa.Column('id', BigId, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_cadences')),
        sa.UniqueConstraint('kind', name='uq_meeting_cadences_kind'),
    )

    op.create_table(
        'branch_figures',
        sa.Column('unit_id', BigId, nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('meetings_held', sa.Integer(), nullable=False),
        sa.Column('meetings_due', sa.Integer(), nullable=False),
        sa.Column('kinds_behind', sa.Integer(), nullable=False),
        sa.Column('election_overdue', sa.Boolean(), nullable=False),
        sa.Column('behind', sa.Boolean(), nullable=False),
        sa.Column('computed_on', sa.Date(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('id', BigId, nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_branch_figures_unit_id_org_units'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_branch_figures')),
        sa.UniqueConstraint('unit_id', 'year', name='uq_branch_figures_unit_year'),
    )
    op.create_index(op.f('ix_branch_figures_unit_id'), 'branch_figures', ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_table('branch_figures')
    op.drop_table('meeting_cadences')
    op.drop_table('meeting_absences')
    op.drop_index(op.f('ix_meetings_year'), table_name='meetings')
    op.drop_index('ix_meetings_unit_held', table_name='meetings')
    op.drop_table('meetings')
    op.drop_table('org_committee_members')
    for column in ('parent_id', 'secretary_id', 'deputy_id', 'organiser_id'):
        op.drop_index(op.f(f'ix_org_units_{column}'), table_name='org_units')
    op.drop_table('org_units')
