"""One-time passwords and the shared log-in rate limit

Issue "trust" (accounts): ``users.must_change_password`` (set when an administrator chose
the password: at account creation or a reset; the user must choose their own at the next
log-in) and ``rate_limits`` (the fixed-window counters of the log-in limits, shared by
every worker process; app/accounts/ratelimit.py).

Revision ID: 0006_accounts_security
Revises: 0005_findings
Create Date: 2026-12-01 20:07:23.397159
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_accounts_security'
down_revision = '0005_findings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_limits',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limits'))
    )
    with op.batch_alter_table('rate_limits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limits_expires_at'), ['expires_at'], unique=False)

    # Existing accounts keep their passwords: nobody is forced to change by the upgrade.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')

    with op.batch_alter_table('rate_limits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limits_expires_at'))

    op.drop_table('rate_limits')
