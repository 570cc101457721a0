"""Notifications and their outward deliveries; city tasks and each bureau's answer state

Issue 16: the in-app notification centre (one row per user and event), the deliveries of
the same events to the city's gateway (webhook), and the tasks the city issues to bureaus
(任务下发 / 材料报送 / 督办) with one row per task and bureau (the answer's files stay in
the bureau's own evidence store).

Revision ID: 0015_notices_tasks
Revises: 0011_snapshot_list_figures
Create Date: 2026-12-04 02:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_notices_tasks'
down_revision = '0011_snapshot_list_figures'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'notifications',
        sa.Column('id', BIG, primary_key=True),
        sa.Column('user_id', BIG, sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False),
        sa.Column('tenant_id', BIG, sa.ForeignKey('tenants.id', ondelete='CASCADE'), nullable=True),
        sa.Column('tenant_slug', sa.String(40), nullable=True),
        sa.Column('kind', sa.String(40), nullable=False),
        sa.Column('title', sa.String(200), nullable=False),
        sa.Column('link', sa.String(500), nullable=False),
        sa.Column('actor_name', sa.String(60), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_notifications_user_unread', 'notifications', ['user_id', 'read_at', 'id'])
    op.create_index('ix_notifications_tenant_id', 'notifications', ['tenant_id'])
    op.create_table(
        'notification_deliveries',
        sa.Column('id', BIG, primary_key=True),
        sa.Column('channel', sa.String(20), nullable=False),
        sa.Column('kind', sa.String(40), nullable=False),
        sa.Column('title', sa.String(200), nullable=False),
        sa.Column('link', sa.String(500), nullable=False),
        sa.Column('tenant_slug', sa.String(40), nullable=True),
        sa.Column('recipients', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_notification_deliveries_status', 'notification_deliveries', ['status'])
    op.create_index('ix_notification_deliveries_tenant_slug', 'notification_deliveries', ['tenant_slug'])


def downgrade() -> None:
    op.drop_table('notification_deliveries')
    op.drop_table('notifications')
