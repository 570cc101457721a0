"""The bureaus' branch figures as plain columns of the city's lists

Issue 15: how many 党支部 each bureau has and how many are behind, kept beside the JSON
figures (as 0016 did for the warnings) so the dashboard sorts and counts them at
thousands of bureaus.  The roll-up fills them on its next pass (the nightly run
recomputes every bureau).

Revision ID: 0018_branch_figures
Revises: 0017_task_per_branch
Create Date: 2026-12-04 19:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0018_branch_figures'
down_revision = '0017_task_per_branch'
branch_labels = None
depends_on = None

NEW_FIGURES = ('branches_behind', 'branches')


def upgrade() -> None:
    for table in ('tenant_metrics', 'metric_snapshots'):
        with op.batch_alter_table(table) as batch_op:
            for column in NEW_FIGURES:
                batch_op.add_column(sa.Column(column, sa.Float(), nullable=True))


def downgrade() -> None:
    for table in ('metric_snapshots', 'tenant_metrics'):
        with op.batch_alter_table(table) as batch_op:
            for column in NEW_FIGURES:
                batch_op.drop_column(column)
