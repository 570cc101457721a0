"""Identity for 等保 level 3: lockout, two factors, password history, security settings

Issue 17: ``users`` gains the lockout (failures in a row, locked until), the last log-in's
address, when the password was set, the TOTP secret (confirmed by a first code; the last
step used, against replay) and the demo marker; ``recovery_codes`` keeps the SHA-256 of
each one-time recovery code; ``password_history`` the hashes a new password may not
repeat; ``security_settings`` the security administrator's settings (one row).

Revision ID: 0012_identity_level3
Revises: 0011_snapshot_list_figures
Create Date: 2026-12-04 02:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_identity_level3'
down_revision = '0011_snapshot_list_figures'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_login_ip', sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('demo_account', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('recovery_codes',
    sa.Column('user_id', BIG_ID, nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', BIG_ID, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)
    op.create_table('password_history',
    sa.Column('user_id', BIG_ID, nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', BIG_ID, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_history_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_history'))
    )
    with op.batch_alter_table('password_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_history_user_id'), ['user_id'], unique=False)
    op.create_table('security_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lockout_attempts', sa.Integer(), nullable=True),
    sa.Column('lockout_minutes', sa.Integer(), nullable=True),
    sa.Column('idle_minutes', sa.Integer(), nullable=True),
    sa.Column('two_factor', sa.String(length=30), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_settings'))
    )


def downgrade() -> None:
    op.drop_table('security_settings')
    with op.batch_alter_table('password_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_history_user_id'))
    op.drop_table('password_history')
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
    op.drop_table('recovery_codes')
    with op.batch_alter_table('users', schema=None) as batch_op:
        for name in ('demo_account', 'totp_last_step', 'totp_confirmed_at', 'totp_secret', 'password_changed_at',
                     'last_login_ip', 'locked_until', 'failed_logins'):
            batch_op.drop_column(name)
