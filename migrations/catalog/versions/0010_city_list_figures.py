"""The figures the city's lists sort, count and average, as plain columns of tenant_metrics

Issue 14 (the city view at 5,000 bureaus): the dashboard shows a page of bureaus, its
tiles, grade counts and ranks over every bureau its filter matches.  Reading those from
every bureau's JSON on each page view took seconds on PostgreSQL (a ``json`` value is
parsed again by each operator); the roll-up now writes them beside the JSON, and this
revision fills them for the rows already stored, by the roll-up's own reading rule
(``app.city.rollup.list_values``: it is derived data, and today's rule is the right one).

Revision ID: 0010_city_list_figures
Revises: 0009_upgrade_and_move_status
Create Date: 2026-12-02 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_city_list_figures'
down_revision = '0009_upgrade_and_move_status'
branch_labels = None
depends_on = None

NUMBERS = ('completion_rate', 'items_done', 'items_total', 'items_overdue', 'evidence_count', 'findings_open',
           'findings_overdue', 'closure_rate', 'days_to_close', 'self_total', 'reviewer_total', 'composite')
TEXTS = ('grade', 'last_activity')


def upgrade() -> None:
    with op.batch_alter_table('tenant_metrics') as batch_op:
        for name in NUMBERS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
        for name in TEXTS:
            batch_op.add_column(sa.Column(name, sa.String(length=40), nullable=True))
    from app.city.rollup import list_values

    table = sa.table('tenant_metrics', sa.column('id', sa.BigInteger), sa.column('figures', sa.JSON),
                     *[sa.column(name) for name in NUMBERS + TEXTS])
    connection = op.get_bind()
    rows = connection.execute(sa.select(table.c.id, table.c.figures)).all()
    for row_id, figures in rows:
        connection.execute(sa.update(table).where(table.c.id == row_id).values(**list_values(figures)))


def downgrade() -> None:
    with op.batch_alter_table('tenant_metrics') as batch_op:
        for name in reversed(NUMBERS + TEXTS):
            batch_op.drop_column(name)
