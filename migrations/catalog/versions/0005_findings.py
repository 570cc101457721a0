"""Users' e-mail addresses, the reminder log and the city's register of its findings

Issue 5: ``users.email`` (optional, for the daily digest), ``reminder_digests`` (one row
per user and day: ``flask reminders send`` is idempotent per day) and ``city_findings``
(the city's copy of the findings it raised in bureaus, so city pages read the catalog).

Revision ID: 0005_findings
Revises: 0004_scoring
Create Date: 2026-11-26 18:00:24.102460
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_findings'
down_revision = '0004_scoring'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('city_findings',
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('finding_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.Column('batch', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('found_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_city_findings_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_city_findings')),
    sa.UniqueConstraint('tenant_id', 'finding_id', name='uq_city_findings_tenant_finding')
    )
    with op.batch_alter_table('city_findings', schema=None) as batch_op:
        batch_op.create_index('ix_city_findings_status_due', ['status', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_city_findings_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('reminder_digests',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminder_digests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_digests')),
    sa.UniqueConstraint('user_id', 'day', name='uq_reminder_digests_user_day')
    )
    with op.batch_alter_table('reminder_digests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_digests_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')

    with op.batch_alter_table('reminder_digests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_digests_user_id'))

    op.drop_table('reminder_digests')
    with op.batch_alter_table('city_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_city_findings_tenant_id'))
        batch_op.drop_index('ix_city_findings_status_due')

    op.drop_table('city_findings')
