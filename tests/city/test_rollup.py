"""Push roll-up: a bureau's commit updates its figures in the catalog."""
from __future__ import annotations

from sqlalchemy import delete, select

from app.audit.services import record_bureau
from app.city import metrics
from app.city.models import MetricSnapshot, TenantMetrics
from app.extensions import db
from app.tenancy.models import Tenant
from app.tenancy.session import tenant_context


def _write(tenant, n: int = 1) -> None:
    with tenant_context(tenant):
        for i in range(n):
            record_bureau("test.write", "thing", i, summary=f"第{i}次")
        db.session.commit()


def _row(tenant, year=None) -> TenantMetrics | None:
    db.session.expire_all()
    return db.session.scalar(select(TenantMetrics).where(
        TenantMetrics.tenant_id == tenant.id, TenantMetrics.year == (year or metrics.today().year)))


def test_a_commit_pushes_that_bureaus_figures_only(app, bureau_a, bureau_b):
    db.session.execute(delete(TenantMetrics))
    db.session.commit()
    _write(bureau_a.tenant, 3)
    row = _row(bureau_a.tenant)
    assert row is not None and row.figures["activity"]["events"] == 3
    assert row.data_version == db.session.get(Tenant, bureau_a.tenant.id).data_version
    assert _row(bureau_b.tenant) is None
    _write(bureau_a.tenant, 2)
    assert _row(bureau_a.tenant).figures["activity"]["events"] == 5
    snapshot = db.session.scalars(select(MetricSnapshot).where(
        MetricSnapshot.tenant_id == bureau_a.tenant.id, MetricSnapshot.year == metrics.today().year)).all()
    assert [(s.day, s.figures["activity"]["events"]) for s in snapshot] == [(metrics.today(), 5)]


def test_a_failing_push_never_undoes_the_write(app, bureau_a, monkeypatch, caplog):
    _write(bureau_a.tenant)
    before = _row(bureau_a.tenant).figures["activity"]["events"]

    def broken(year):
        raise RuntimeError("figures unavailable")

    monkeypatch.setattr(metrics, "sources", lambda: {"activity": broken})
    _write(bureau_a.tenant)
    assert "figures unavailable" in caplog.text and "rollup.refresh" in caplog.text
    with tenant_context(bureau_a.tenant):
        from app.audit.services import metrics as activity

        assert activity(metrics.today().year)["events"] == before + 1
    row = _row(bureau_a.tenant)
    assert row.figures["activity"]["events"] == before  # stale, and visibly so:
    assert row.data_version < db.session.get(Tenant, bureau_a.tenant.id).data_version


def test_refresh_rebuilds_every_bureau(app, bureau_a, bureau_b):
    _write(bureau_b.tenant, 4)
    db.session.execute(delete(TenantMetrics))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["rollup", "refresh", "--all", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "2 bureaus refreshed, 0 failed" in result.output
    assert _row(bureau_b.tenant).figures["activity"]["events"] == 4
    assert _row(bureau_a.tenant).figures["activity"]["events"] == 0
    result = app.test_cli_runner().invoke(args=["rollup", "refresh", "--year", "2025", bureau_a.slug])
    assert result.exit_code == 0 and _row(bureau_a.tenant, 2025) is not None


def test_deleting_a_bureau_removes_its_figures(app, bureau_a):
    _write(bureau_a.tenant)
    from app.tenancy import services as tenancy

    tenant_id = bureau_a.tenant.id
    tenancy.delete_tenant(bureau_a.tenant, confirm_slug=bureau_a.slug)
    assert db.session.scalars(select(TenantMetrics).where(TenantMetrics.tenant_id == tenant_id)).all() == []


def test_backfill_reconstructs_past_days_from_dated_records(app, bureau_a):
    from datetime import date, timedelta

    from app.duties import services as duties
    from tests.helpers import SYSTEM

    year = metrics.today().year - 1
    with tenant_context(bureau_a.tenant):
        duty_list = duties.create_list(year, actor=SYSTEM)
        item = duties.add_item(duty_list, {"category": "party_group", "area": "political", "content": "每月学习",
                                           "cadence": "monthly"}, actor=SYSTEM)
        duties.add_record(item, {"occurred_on": f"{year}-01-20", "summary": "一月", "count": "1"}, actor=SYSTEM)
        duties.add_record(item, {"occurred_on": f"{year}-05-20", "summary": "五月", "count": "1"}, actor=SYSTEM)
    days = [date(year, 2, 1), date(year, 6, 1), metrics.today() + timedelta(days=1)]
    assert metrics.backfill_snapshots(bureau_a.tenant.ref, year, days) == 2  # never the future
    rows = {s.day: s.figures["duties"] for s in db.session.scalars(
        select(MetricSnapshot).where(MetricSnapshot.tenant_id == bureau_a.tenant.id, MetricSnapshot.year == year))}
    # 1 Feb: January owed, one record by then; 1 June: five months owed, two recorded
    assert rows[date(year, 2, 1)]["completion_rate"] == 1.0
    assert rows[date(year, 6, 1)]["completion_rate"] == 0.4
    assert set(rows[date(year, 6, 1)]) >= {"items_total", "items_overdue"}
