"""City tasks answered per branch

Issue 16 (with issue 15's branches): a task may ask every bureau for one answer per 党支部;
the board shows how many branches of each bureau have answered (plain columns of the
assignment, written with the bureau's answers, so the board reads no bureau database).

Revision ID: 0017_task_per_branch
Revises: 0016_deadline_settings
Create Date: 2026-12-04 18:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017_task_per_branch'
down_revision = '0016_deadline_settings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('city_tasks') as batch_op:
        batch_op.add_column(sa.Column('per_branch', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('city_task_assignments') as batch_op:
        batch_op.add_column(sa.Column('branches_done', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('branches_total', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('city_task_assignments') as batch_op:
        batch_op.drop_column('branches_total')
        batch_op.drop_column('branches_done')
    with op.batch_alter_table('city_tasks') as batch_op:
        batch_op.drop_column('per_branch')
