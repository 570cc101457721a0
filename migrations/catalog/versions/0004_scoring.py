"""Score-sheet templates (editions per year), their assignment to bureaus, year locks

The catalog side of issue 4 (考核评分): ``score_templates`` holds the city's template
editions (published ones never change), ``score_template_assignments`` which edition a
bureau is assessed on in a year, and ``year_locks`` the years nothing may change any more.

Revision ID: 0004_scoring
Revises: 0003_rollup
Create Date: 2026-11-26 17:57:31
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_scoring'
down_revision = '0003_rollup'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('score_templates',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('edition', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by', sa.String(length=60), nullable=True),
    sa.Column('published_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_templates')),
    sa.UniqueConstraint('year', 'edition', name='uq_score_templates_edition')
    )
    with op.batch_alter_table('score_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_templates_year'), ['year'], unique=False)

    op.create_table('year_locks',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('locked_by', sa.String(length=60), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_year_locks')),
    sa.UniqueConstraint('year', name=op.f('uq_year_locks_year'))
    )
    op.create_table('score_template_assignments',
    sa.Column('template_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('assigned_by', sa.String(length=60), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['score_templates.id'], name=op.f('fk_score_template_assignments_template_id_score_templates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_score_template_assignments_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_template_assignments')),
    sa.UniqueConstraint('tenant_id', 'year', name='uq_score_template_assignments_year')
    )
    with op.batch_alter_table('score_template_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_template_assignments_template_id'), ['template_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('score_template_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_template_assignments_template_id'))

    op.drop_table('score_template_assignments')
    op.drop_table('year_locks')
    with op.batch_alter_table('score_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_templates_year'))

    op.drop_table('score_templates')
