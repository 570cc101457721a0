"""The city's deadline settings and review modes

Issue 16: one ``deadline_settings`` row (blue/yellow warning days, grace days after a
period's deadline, who approves 补录, the default review mode), ``review_modes`` per
template year or per bureau, and the dashboard's warning and review counts as plain
columns of ``tenant_metrics`` and ``metric_snapshots``.

Revision ID: 0016_deadline_settings
Revises: 0015_notices_tasks
Create Date: 2026-12-04 02:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016_deadline_settings'
down_revision = '0015_notices_tasks'
branch_labels = None
depends_on = None

NEW_FIGURES = ('warn_red', 'warn_yellow', 'warn_blue', 'records_pending')
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'deadline_settings',
        sa.Column('blue_days', sa.Integer(), nullable=False),
        sa.Column('yellow_days', sa.Integer(), nullable=False),
        sa.Column('grace_days', sa.Integer(), nullable=True),
        sa.Column('late_approver', sa.String(length=10), nullable=False),
        sa.Column('review_mode', sa.String(length=10), nullable=False),
        sa.Column('id', ID, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_settings')),
    )
    op.create_table(
        'review_modes',
        sa.Column('scope', sa.String(length=10), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('mode', sa.String(length=10), nullable=False),
        sa.Column('id', ID, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_modes')),
        sa.UniqueConstraint('scope', 'key', name='uq_review_modes_scope_key'),
    )
    # The dashboard's warning and review counts as plain columns (the roll-up fills them
    # on its next pass; the nightly run recomputes every bureau).
    for table in ('tenant_metrics', 'metric_snapshots'):
        with op.batch_alter_table(table) as batch_op:
            for column in NEW_FIGURES:
                batch_op.add_column(sa.Column(column, sa.Float(), nullable=True))


def downgrade() -> None:
    for table in ('metric_snapshots', 'tenant_metrics'):
        with op.batch_alter_table(table) as batch_op:
            for column in NEW_FIGURES:
                batch_op.drop_column(column)
    op.drop_table('review_modes')
    op.drop_table('deadline_settings')
