"""The catalog's audit trail becomes a hash chain

Issue 17 (a tamper-evident audit): each event gets its sequence number, the hash of the
event before it and its own hash (``app.audit.chain``); events already written are linked
in id order.  ``audit_chain_head`` holds the chain's last event and its archive anchor; on
PostgreSQL a trigger refuses UPDATE and DELETE of events.  Indexes serve the audit
administrator's filters (who, what, one bureau's events by time).

Revision ID: 0014_audit_chain
Revises: 0012_identity_level3
Create Date: 2026-12-04 02:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_audit_chain'
down_revision = '0013_directory_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from app.audit.backfill import append_only_ddl, link_existing

    op.create_table('audit_chain_head',
                    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False,
                              nullable=False),
                    sa.Column('seq', sa.BigInteger(), nullable=False),
                    sa.Column('hash', sa.String(length=64), nullable=False),
                    sa.Column('anchor_seq', sa.BigInteger(), nullable=False),
                    sa.Column('anchor_hash', sa.String(length=64), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')))
    with op.batch_alter_table('audit_events') as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    link_existing(connection, catalog=True)
    with op.batch_alter_table('audit_events') as batch_op:
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])
        batch_op.create_index(batch_op.f('ix_audit_events_actor_name'), ['actor_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_entity_type'), ['entity_type'], unique=False)
        batch_op.create_index('ix_audit_events_tenant_slug_at', ['tenant_slug', 'at'], unique=False)
    if connection.dialect.name == 'postgresql':
        for statement in append_only_ddl(None):
            connection.exec_driver_sql(statement)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == 'postgresql':
        connection.exec_driver_sql('DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events')
        connection.exec_driver_sql('DROP FUNCTION IF EXISTS zeren_audit_append_only()')
    with op.batch_alter_table('audit_events') as batch_op:
        batch_op.drop_index('ix_audit_events_tenant_slug_at')
        batch_op.drop_index(batch_op.f('ix_audit_events_entity_type'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_name'))
        batch_op.drop_constraint(batch_op.f('uq_audit_events_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
    op.drop_table('audit_chain_head')
