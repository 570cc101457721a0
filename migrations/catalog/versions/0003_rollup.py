"""rollup metrics

Revision ID: 0003_rollup
Revises: 0002_duties
Create Date: 2026-11-26 17:51:28.860932
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_rollup'
down_revision = '0002_duties'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('metric_snapshots',
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_metric_snapshots_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metric_snapshots')),
    sa.UniqueConstraint('tenant_id', 'year', 'day', name=op.f('uq_metric_snapshots_tenant_id'))
    )
    with op.batch_alter_table('metric_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_metric_snapshots_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('tenant_metrics',
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('data_version', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_tenant_metrics_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenant_metrics')),
    sa.UniqueConstraint('tenant_id', 'year', name=op.f('uq_tenant_metrics_tenant_id'))
    )
    with op.batch_alter_table('tenant_metrics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tenant_metrics_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tenant_metrics_year'), ['year'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tenant_metrics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tenant_metrics_year'))
        batch_op.drop_index(batch_op.f('ix_tenant_metrics_tenant_id'))

    op.drop_table('tenant_metrics')
    with op.batch_alter_table('metric_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_metric_snapshots_tenant_id'))

    op.drop_table('metric_snapshots')
