"""Score sheets: the bureau's sheets, entries, evidence links, adjustments and ballots

The bureau's side of issue 4 (考核评分).  A sheet copies its template's body, id and
edition (no reference into the catalog); ``score_evidence`` links entries to the
bureau's ``attachments`` (responsibility-list evidence).

Revision ID: 0003_scoring
Revises: 0002_duties
Create Date: 2026-11-26 17:57:36
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_scoring'
down_revision = '0002_duties'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('score_sheets',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('assessee_key', sa.String(length=40), nullable=False),
    sa.Column('assessee_name', sa.String(length=100), nullable=False),
    sa.Column('template_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('template_edition', sa.Integer(), nullable=False),
    sa.Column('template_name', sa.Text(), nullable=False),
    sa.Column('template_body', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('self_summary', sa.Text(), nullable=False),
    sa.Column('reviewer_comment', sa.Text(), nullable=False),
    sa.Column('self_submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('self_submitted_by', sa.String(length=60), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by', sa.String(length=60), nullable=True),
    sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finalised_by', sa.String(length=60), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_sheets')),
    sa.UniqueConstraint('year', 'assessee_key', name='uq_score_sheets_assessee')
    )
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_sheets_year'), ['year'], unique=False)

    op.create_table('score_adjustments',
    sa.Column('sheet_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=True),
    sa.Column('rule_title', sa.Text(), nullable=True),
    sa.Column('points', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('document', sa.String(length=100), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sheet_id'], ['score_sheets.id'], name=op.f('fk_score_adjustments_sheet_id_score_sheets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_adjustments'))
    )
    with op.batch_alter_table('score_adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_adjustments_sheet_id'), ['sheet_id'], unique=False)

    op.create_table('score_ballots',
    sa.Column('sheet_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('eligible', sa.Integer(), nullable=True),
    sa.Column('present', sa.Integer(), nullable=True),
    sa.Column('held_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sheet_id'], ['score_sheets.id'], name=op.f('fk_score_ballots_sheet_id_score_sheets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_ballots')),
    sa.UniqueConstraint('sheet_id', name=op.f('uq_score_ballots_sheet_id'))
    )
    op.create_table('score_entries',
    sa.Column('sheet_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('indicator_code', sa.String(length=64), nullable=False),
    sa.Column('self_points', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('self_level', sa.String(length=64), nullable=True),
    sa.Column('self_deductions', sa.JSON(), nullable=True),
    sa.Column('self_note', sa.Text(), nullable=False),
    sa.Column('reviewer_points', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('reviewer_level', sa.String(length=64), nullable=True),
    sa.Column('reviewer_deductions', sa.JSON(), nullable=True),
    sa.Column('reviewer_comment', sa.Text(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sheet_id'], ['score_sheets.id'], name=op.f('fk_score_entries_sheet_id_score_sheets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_entries')),
    sa.UniqueConstraint('sheet_id', 'indicator_code', name='uq_score_entries_indicator')
    )
    op.create_table('score_evidence',
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attachment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachments.id'], name=op.f('fk_score_evidence_attachment_id_attachments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entry_id'], ['score_entries.id'], name=op.f('fk_score_evidence_entry_id_score_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'attachment_id', name=op.f('pk_score_evidence'))
    )
    with op.batch_alter_table('score_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_evidence_attachment_id'), ['attachment_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('score_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_evidence_attachment_id'))

    op.drop_table('score_evidence')
    op.drop_table('score_entries')
    op.drop_table('score_ballots')
    with op.batch_alter_table('score_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_adjustments_sheet_id'))

    op.drop_table('score_adjustments')
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_sheets_year'))

    op.drop_table('score_sheets')
