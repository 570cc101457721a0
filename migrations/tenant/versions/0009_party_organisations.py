"""The bureau's own Party organisations (issue 15): the tree and its committees

Revision ID: 0009_party_organisations
Revises: 0005_record_for_person
Create Date: 2026-12-04 02:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_party_organisations'
down_revision = '0005_record_for_person'
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


def downgrade() -> None:
    op.drop_table('org_committee_members')
    for column in ('parent_id', 'secretary_id', 'deputy_id', 'organiser_id'):
        op.drop_index(op.f(f'ix_org_units_{column}'), table_name='org_units')
    op.drop_table('org_units')
