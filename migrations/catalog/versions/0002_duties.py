"""Duty-list templates of the city (one row per edition; published editions never change)

Revision ID: 0002_duties
Revises: 0001
Create Date: 2026-11-26 17:50:11.150140
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_duties'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('duty_templates',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('edition', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by', sa.String(length=60), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_templates')),
    sa.UniqueConstraint('kind', 'year', 'edition', name='uq_duty_templates_edition')
    )
    with op.batch_alter_table('duty_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_templates_year'), ['year'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('duty_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_templates_year'))

    op.drop_table('duty_templates')
