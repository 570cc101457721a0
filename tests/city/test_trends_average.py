"""The trends page's city average, computed in the database, against the rule it follows:
each bureau's last known value carried forward, averaged over the bureaus that have one."""
from __future__ import annotations

import random
from datetime import date, timedelta
from statistics import mean

import pytest
from sqlalchemy import delete, update

from app.city import rollup
from app.city.models import MetricSnapshot
from app.extensions import db
from app.tenancy.models import Tenant

YEAR = 2025


def _carried_forward(rows: list[tuple[str, date, float | None]]) -> list[tuple[date, float]]:
    """The rule, written the plain way: walk the days in order, keep each bureau's latest
    value, average them on every day some bureau has a value by then."""
    latest: dict[str, float] = {}
    by_day: dict[date, float] = {}
    for slug, day, value in sorted(rows, key=lambda row: row[1]):
        if value is not None:
            latest[slug] = value
        if latest:
            by_day[day] = round(mean(latest.values()), 4)
    return sorted(by_day.items())


def _snapshots(tenants, generator: random.Random) -> list[tuple[str, date, float | None]]:
    rows = []
    start = date(YEAR, 1, 1)
    for tenant in tenants:
        for day in sorted(generator.sample(range(60), generator.randint(0, 12))):
            value = None if generator.random() < 0.2 else round(generator.random(), 4)
            rows.append((tenant.slug, start + timedelta(days=day), value))
    return rows


def _figures(rate: float | None) -> dict:
    return {"duties": {"list_status": "published", "completion_rate": rate}}


def test_the_city_average_carries_each_bureaus_last_value_forward(app, bureau_factory):
    tenants = [bureau_factory(f"bureau-{n}", f"市第{n}局").tenant for n in range(5)]
    ids = {tenant.slug: tenant.id for tenant in tenants}
    for seed in range(6):
        db.session.execute(delete(MetricSnapshot))
        rows = _snapshots(tenants, random.Random(seed))
        for slug, day, value in rows:
            db.session.add(MetricSnapshot(tenant_id=ids[slug], year=YEAR, day=day, figures=_figures(value)))
        db.session.commit()
        # The database answers for the days on which some bureau had a value; on a day
        # when only empty ones arrived the average is the day before's (the same line).
        valued = {day for _slug, day, value in rows if value is not None}
        expected = [(day, average) for day, average in _carried_forward(rows) if day in valued]
        got = rollup.city_average_by_day(YEAR, "completion_rate")
        assert [day for day, _v in got] == [day for day, _v in expected], seed
        # Both sides are rounded to 4 places: a sum of changes may round one unit apart.
        assert [v for _d, v in got] == pytest.approx([v for _d, v in expected], abs=1.01e-4), seed


def test_archived_bureaus_leave_the_average_and_only_the_chosen_get_a_line(app, bureau_factory):
    first, second = (bureau_factory(slug, name).tenant for slug, name in (("czj", "市财政局"), ("jyj", "市教育局")))
    db.session.execute(delete(MetricSnapshot))
    for tenant, value in ((first, 0.5), (second, 1.0)):
        db.session.add(MetricSnapshot(tenant_id=tenant.id, year=YEAR, day=date(YEAR, 3, 1), figures=_figures(value)))
    db.session.commit()
    lines = rollup.trend(YEAR, "completion_rate", ["czj"])
    assert lines == {"市财政局": [(date(YEAR, 3, 1), 0.5)], "": [(date(YEAR, 3, 1), 0.75)]}
    db.session.execute(update(Tenant).where(Tenant.id == second.id).values(status="archived"))
    db.session.commit()
    assert rollup.trend(YEAR, "completion_rate", []) == {"": [(date(YEAR, 3, 1), 0.5)]}


def test_a_snapshot_written_through_the_orm_carries_its_list_figures(app, bureau_a):
    snapshot = MetricSnapshot(tenant_id=bureau_a.tenant.id, year=YEAR, day=date(YEAR, 5, 1),
                              figures={"duties": {"list_status": "published", "completion_rate": 0.25},
                                       "findings": {"closure_rate": 0.5}})
    db.session.add(snapshot)
    db.session.commit()
    assert (snapshot.completion_rate, snapshot.closure_rate) == (0.25, 0.5)
    draft = MetricSnapshot(tenant_id=bureau_a.tenant.id, year=YEAR, day=date(YEAR, 5, 2),
                           figures={"duties": {"list_status": "draft", "completion_rate": 0.25}})
    db.session.add(draft)
    db.session.commit()
    assert draft.completion_rate is None  # a list not published stays out, as on the dashboard


def test_every_figure_the_trends_page_offers_is_in_the_snapshots_index():
    from app.city.models import TREND_COLUMNS
    from app.city.services import TREND_FIGURES

    assert set(TREND_FIGURES) == set(TREND_COLUMNS)
