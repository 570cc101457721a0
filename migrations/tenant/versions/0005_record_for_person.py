"""Progress records say for whom they were recorded

Issue 11: the bureau's clerk records progress on the leaders' items; a record keeps the
account that wrote it (``author_*``) and the person it was recorded for
(``for_person_*``: the item's owner at the time).

Revision ID: 0005_record_for_person
Revises: 0004_findings
Create Date: 2026-12-02 13:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_record_for_person'
down_revision = '0004_findings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('progress_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('for_person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.add_column(sa.Column('for_person_name', sa.String(length=60), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_progress_records_for_person_id_people'), 'people',
                                    ['for_person_id'], ['id'], ondelete='SET NULL')
    # Records written before this revision were for the item's owner of today (editors
    # could record only on their own items).
    op.execute("UPDATE progress_records SET for_person_id = (SELECT owner_id FROM duty_items "
               "WHERE duty_items.id = progress_records.item_id)")
    op.execute("UPDATE progress_records SET for_person_name = COALESCE((SELECT name FROM people "
               "WHERE people.id = progress_records.for_person_id), '')")


def downgrade() -> None:
    with op.batch_alter_table('progress_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_progress_records_for_person_id_people'), type_='foreignkey')
        batch_op.drop_column('for_person_name')
        batch_op.drop_column('for_person_id')
