"""Bureaus' last upgrade failure

Issue 14: ``flask tenants upgrade`` skips bureaus the catalog records at head and records
a failure on the bureau's row (``upgrade_error``, ``upgrade_failed_at``), so an
interrupted or partly failed run is continued by running it again and ``flask tenants
list`` shows which bureaus are behind and why.

Revision ID: 0009_upgrade_status
Revises: 0008_jobs
Create Date: 2026-12-02 13:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_upgrade_status'
down_revision = '0008_jobs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tenants') as batch_op:
        batch_op.add_column(sa.Column('upgrade_error', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('upgrade_failed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tenants') as batch_op:
        batch_op.drop_column('upgrade_failed_at')
        batch_op.drop_column('upgrade_error')
