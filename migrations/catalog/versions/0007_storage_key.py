"""Bureaus' storage keys

Issue 10: ``tenants.storage_key`` names one incarnation of a bureau's storage (new on
provisioning and restore, part of the SQLite file name), so every process notices that a
bureau was deleted and re-created or restored and never writes into the old file.
Existing bureaus keep ``NULL``: their file stays ``bureau.sqlite3``.

Revision ID: 0007_storage_key
Revises: 0006_accounts_security
Create Date: 2026-12-01 20:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_storage_key'
down_revision = '0006_accounts_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tenants') as batch_op:
        batch_op.add_column(sa.Column('storage_key', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tenants') as batch_op:
        batch_op.drop_column('storage_key')
