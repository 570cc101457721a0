"""A branch's part of the bureau's answer to a city task

Issue 16 (with issue 15's branches): ``task_answers.org_id`` names the 党支部 a part was
written for; the bureau's own answer to the city keeps it empty.

Revision ID: 0010_branch_task_answers
Revises: 0009_party_organisations
Create Date: 2026-12-04 18:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_branch_task_answers'
down_revision = '0009_party_organisations'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('task_answers') as batch_op:
        batch_op.add_column(sa.Column('org_id', BigId, nullable=True))
        batch_op.create_index('ix_task_answers_org_id', ['org_id'])
        batch_op.create_foreign_key(op.f('fk_task_answers_org_id_org_units'), 'org_units', ['org_id'], ['id'],
                                    ondelete='RESTRICT')


def downgrade() -> None:
    with op.batch_alter_table('task_answers') as batch_op:
        batch_op.drop_constraint(op.f('fk_task_answers_org_id_org_units'), type_='foreignkey')
        batch_op.drop_index('ix_task_answers_org_id')
        batch_op.drop_column('org_id')
