"""Directory identities of accounts

Issue 17 (points 4 and 5): an account made at the first log-in through the city's
directory (LDAP) or unified identity service (OIDC) is linked to that identity, with the
roles the directory granted, so that later log-ins change only those.

Revision ID: 0013_directory_accounts
Revises: 0011_snapshot_list_figures
Create Date: 2026-12-04 02:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_directory_accounts'
down_revision = '0012_identity_level3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'directory_identities',
        sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('subject', sa.String(length=500), nullable=False),
        sa.Column('dn', sa.String(length=500), nullable=True),
        sa.Column('managed_roles', sa.JSON(), nullable=False),
        sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_directory_identities_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_identities')),
        sa.UniqueConstraint('source', 'subject', name=op.f('uq_directory_identities_source')),
    )
    with op.batch_alter_table('directory_identities') as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_identities_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('directory_identities') as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_identities_user_id'))
    op.drop_table('directory_identities')
