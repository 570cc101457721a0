"""The list figures as plain columns of metric_snapshots too

Issue 14 (the city view at 5,000 bureaus): the trends page's city average carries every
bureau's last value forward day by day.  Read from every snapshot's JSON in Python it grew
with bureaus × days (and averaged every bureau again for each snapshot); with the figures
beside the JSON, as tenant_metrics has them since 0010, the database computes it.  Rows
stored before are filled by the roll-up's own reading rule (``app.city.rollup.list_values``),
a thousand at a time; an index holds the figures the trends page plots.

Revision ID: 0011_snapshot_list_figures
Revises: 0010_city_list_figures
Create Date: 2026-12-03 08:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_snapshot_list_figures'
down_revision = '0010_city_list_figures'
branch_labels = None
depends_on = None

NUMBERS = ('completion_rate', 'items_done', 'items_total', 'items_overdue', 'evidence_count', 'findings_open',
           'findings_overdue', 'closure_rate', 'days_to_close', 'self_total', 'reviewer_total', 'composite')
TEXTS = ('grade', 'last_activity')
TRENDS = ('completion_rate', 'closure_rate', 'composite', 'items_overdue')
BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table('metric_snapshots') as batch_op:
        for name in NUMBERS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
        for name in TEXTS:
            batch_op.add_column(sa.Column(name, sa.String(length=40), nullable=True))
    from app.city.rollup import list_values

    table = sa.table('metric_snapshots', sa.column('id', sa.BigInteger), sa.column('figures', sa.JSON),
                     *[sa.column(name) for name in NUMBERS + TEXTS])
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(sa.select(table.c.id, table.c.figures).where(table.c.id > last)
                                  .order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            break
        for row_id, figures in rows:
            connection.execute(sa.update(table).where(table.c.id == row_id).values(**list_values(figures)))
        last = rows[-1][0]
    op.create_index('ix_metric_snapshots_trends', 'metric_snapshots', ['year', 'tenant_id', 'day', *TRENDS])


def downgrade() -> None:
    op.drop_index('ix_metric_snapshots_trends', table_name='metric_snapshots')
    with op.batch_alter_table('metric_snapshots') as batch_op:
        for name in reversed(NUMBERS + TEXTS):
            batch_op.drop_column(name)
