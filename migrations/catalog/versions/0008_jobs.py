"""Jobs and change marks

Issue 13: the catalog records every background job (reports, roll-up recomputes,
backups, reminder digests, upgrades): its state, progress and outcome.  ``dedup`` holds
the job's key while it occupies its slot (see ``app.jobs.models.Job``).
``tenant_changes`` marks which features of a bureau changed at which data version, so
that the roll-up recomputes those only (``app.tenancy.models.TenantChange``).

Revision ID: 0008_jobs
Revises: 0007_storage_key
Create Date: 2026-12-02 07:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_jobs'
down_revision = '0007_storage_key'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'jobs',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('dedup', sa.String(length=200), nullable=True),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('tenant_slug', sa.String(length=40), nullable=True),
        sa.Column('requested_by', sa.String(length=80), nullable=True),
        sa.Column('worker', sa.String(length=120), nullable=True),
        sa.Column('stage', sa.String(length=40), nullable=True),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
        sa.UniqueConstraint('dedup', name=op.f('uq_jobs_dedup')),
    )
    with op.batch_alter_table('jobs') as batch_op:
        batch_op.create_index('ix_jobs_state_kind', ['state', 'kind'], unique=False)
        batch_op.create_index('ix_jobs_key_created', ['key', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_tenant_slug'), ['tenant_slug'], unique=False)


    op.create_table(
        'tenant_changes',
        sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_tenant_changes_tenant_id_tenants'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('tenant_id', 'scope', name=op.f('pk_tenant_changes')),
    )


def downgrade() -> None:
    op.drop_table('tenant_changes')
    op.drop_table('jobs')
