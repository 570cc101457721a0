"""A bureau's answers to the city's tasks, with their files

Issue 16: the answer to a city task (任务下发 / 材料报送) is the bureau's own: its text and
its files (in the bureau's evidence store) live in the bureau's database; the catalog keeps
only the state the city's board shows.

Revision ID: 0007_task_answers
Revises: 0005_record_for_person
Create Date: 2026-12-04 02:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_task_answers'
down_revision = '0005_record_for_person'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'task_answers',
        sa.Column('id', BIG, primary_key=True),
        sa.Column('task_id', BIG, nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('submitted_by', sa.String(60), nullable=False),
        sa.Column('late', sa.Boolean(), nullable=False),
        sa.Column('outcome', sa.String(10), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_task_answers_task_id', 'task_answers', ['task_id'])
    op.create_table(
        'task_answer_files',
        sa.Column('id', BIG, primary_key=True),
        sa.Column('answer_id', BIG, sa.ForeignKey('task_answers.id', ondelete='CASCADE'), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(10), nullable=False),
        sa.Column('original_name', sa.String(255), nullable=False),
        sa.Column('uploaded_by', sa.String(60), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_task_answer_files_answer_id', 'task_answer_files', ['answer_id'])
    op.create_index('ix_task_answer_files_sha256', 'task_answer_files', ['sha256'])


def downgrade() -> None:
    op.drop_table('task_answer_files')
    op.drop_table('task_answers')
