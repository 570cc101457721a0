"""Progress records are reviewed before they count, and may be late entries (补录)

Issue 16: ``review_state`` (pending / approved / returned) with who reviewed, when and the
reason of a return; ``late`` and ``late_reason`` for a record entered after its period
closed.  Records stored before are approved: they counted before and keep counting.

Revision ID: 0008_record_review
Revises: 0007_task_answers
Create Date: 2026-12-04 02:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_record_review'
down_revision = '0007_task_answers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('progress_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_state', sa.String(length=20), nullable=False, server_default='approved'))
        batch_op.add_column(sa.Column('reviewed_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.add_column(sa.Column('reviewed_by_name', sa.String(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('return_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('late', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('late_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_progress_records_review_state'), ['review_state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('progress_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_records_review_state'))
        for column in ('late_reason', 'late', 'return_reason', 'reviewed_at', 'reviewed_by_name', 'reviewed_by_id',
                       'review_state'):
            batch_op.drop_column(column)
