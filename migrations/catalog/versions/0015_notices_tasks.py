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
    op.create_table(
        'city_tasks',
        sa.Column('id', BIG, primary_key=True),
        sa.Column('title', sa.String(200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('file_required', sa.Boolean(), nullable=False),
        sa.Column('scope', sa.String(10), nullable=False),
        sa.Column('category', sa.String(40), nullable=True),
        sa.Column('issued_by', sa.String(60), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
    )
    op.create_index('ix_city_tasks_due_on', 'city_tasks', ['due_on'])
    op.create_table(
        'city_task_files',
        sa.Column('id', BIG, primary_key=True),
        sa.Column('task_id', BIG, sa.ForeignKey('city_tasks.id', ondelete='CASCADE'), nullable=False),
        sa.Column('role', sa.String(10), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(10), nullable=False),
        sa.Column('original_name', sa.String(255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_city_task_files_task_id', 'city_task_files', ['task_id'])
    op.create_table(
        'city_task_assignments',
        sa.Column('id', BIG, primary_key=True),
        sa.Column('task_id', BIG, sa.ForeignKey('city_tasks.id', ondelete='CASCADE'), nullable=False),
        sa.Column('tenant_id', BIG, sa.ForeignKey('tenants.id', ondelete='CASCADE'), nullable=False),
        sa.Column('tenant_slug', sa.String(40), nullable=False),
        sa.Column('tenant_name', sa.String(120), nullable=False),
        sa.Column('state', sa.String(10), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('signed_by', sa.String(60), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('submitted_by', sa.String(60), nullable=False),
        sa.Column('late', sa.Boolean(), nullable=False),
        sa.Column('rounds', sa.Integer(), nullable=False),
        sa.Column('return_reason', sa.Text(), nullable=False),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reviewed_by', sa.String(60), nullable=False),
        sa.Column('urged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('urge_count', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.UniqueConstraint('task_id', 'tenant_id'),
    )
    op.create_index('ix_city_task_assignments_tenant_id', 'city_task_assignments', ['tenant_id'])
    op.create_index('ix_city_task_assignments_state', 'city_task_assignments', ['state'])


def downgrade() -> None:
    op.drop_table('city_task_assignments')
    op.drop_table('city_task_files')
    op.drop_table('city_tasks')
    op.drop_table('notification_deliveries')
    op.drop_table('notifications')
