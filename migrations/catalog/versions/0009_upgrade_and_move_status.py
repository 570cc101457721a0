"""Bureaus' last upgrade failure and moves between servers

Issue 14: ``flask tenants upgrade`` skips bureaus the catalog records at head and records
a failure on the bureau's row (``upgrade_error``, ``upgrade_failed_at``), so an
interrupted or partly failed run is continued by running it again and ``flask tenants
list`` shows which bureaus are behind and why.  ``moving_to``, ``moving_by`` and
``moving_since`` record a move to another PostgreSQL server in progress: the bureau is
read-only meanwhile, and a move whose process is gone is undone.

Revision ID: 0009_upgrade_and_move_status
Revises: 0008_jobs
Create Date: 2026-12-02 13:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_upgrade_and_move_status'
down_revision = '0008_jobs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tenants') as batch_op:
        batch_op.add_column(sa.Column('upgrade_error', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('upgrade_failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('moving_to', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('moving_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('moving_since', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tenants') as batch_op:
        batch_op.drop_column('moving_since')
        batch_op.drop_column('moving_by')
        batch_op.drop_column('moving_to')
        batch_op.drop_column('upgrade_failed_at')
        batch_op.drop_column('upgrade_error')
