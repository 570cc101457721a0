"""A duty item that counts a unit's meetings as its records

Issue 15: an item such as "支部每月召开支委会" names a meeting kind and the unit that holds
it; the unit's meetings of that kind in the list's year count as the item's records.

Revision ID: 0011_item_meetings
Revises: 0010_branch_task_answers
Create Date: 2026-12-04 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_item_meetings'
down_revision = '0010_branch_task_answers'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('duty_items') as batch_op:
        batch_op.add_column(sa.Column('meeting_kind', sa.String(20), nullable=True))
        batch_op.add_column(sa.Column('meeting_unit_id', BigId, nullable=True))
        batch_op.create_index('ix_duty_items_meeting_unit_id', ['meeting_unit_id'])
        batch_op.create_foreign_key(op.f('fk_duty_items_meeting_unit_id_org_units'), 'org_units',
                                    ['meeting_unit_id'], ['id'], ondelete='RESTRICT')


def downgrade() -> None:
    with op.batch_alter_table('duty_items') as batch_op:
        batch_op.drop_constraint(op.f('fk_duty_items_meeting_unit_id_org_units'), type_='foreignkey')
        batch_op.drop_index('ix_duty_items_meeting_unit_id')
        batch_op.drop_column('meeting_unit_id')
        batch_op.drop_column('meeting_kind')
