"""The roll-up as jobs: a burst of writes queues one recompute of the features it touched,
stamped with the data version it covers; a change during a recompute is never counted as
covered; the reconcile finds bureaus left behind."""
from __future__ import annotations

from sqlalchemy import delete, select, update

from app.city import metrics, tasks
from app.city.models import TenantMetrics
from app.extensions import db
from app.jobs import services as jobs
from app.jobs.models import DONE, QUEUED, Job
from app.tenancy.models import Tenant, TenantChange
from tests.helpers import bureau_commits, work_queue


def _stamp(tenant) -> tuple[int, int | None]:
    """(the bureau's data version, the version its current figures cover)."""
    db.session.expire_all()
    version = db.session.get(Tenant, tenant.id).data_version
    row = db.session.scalar(select(TenantMetrics).where(TenantMetrics.tenant_id == tenant.id,
                                                        TenantMetrics.year == metrics.today().year))
    return version, row.data_version if row else None


def _marks(tenant) -> dict[str, int]:
    return dict(db.session.execute(select(TenantChange.scope, TenantChange.version)
                                   .where(TenantChange.tenant_id == tenant.id)).all())


def _rollup_jobs(slug: str) -> list[Job]:
    return [j for j in jobs.recent(kind=tasks.REFRESH) if j.tenant_slug == slug]


def test_a_burst_of_writes_queues_one_recompute(queued, bureau_a):
    bureau_commits(bureau_a.tenant, 12)
    waiting = _rollup_jobs(bureau_a.slug)
    assert [j.state for j in waiting] == [QUEUED]
    version, covered = _stamp(bureau_a.tenant)
    assert covered is None or covered < version  # behind, and the dashboard says so
    assert _marks(bureau_a.tenant) == {"audit": version}
    work_queue()
    assert _stamp(bureau_a.tenant) == (version, version)
    assert _marks(bureau_a.tenant) == {}
    assert [j.state for j in _rollup_jobs(bureau_a.slug)] == [DONE]


def test_only_the_touched_features_are_recomputed(queued, bureau_a, monkeypatch):
    bureau_commits(bureau_a.tenant)
    work_queue()
    called: list[str] = []
    real = metrics.sources()
    monkeypatch.setattr(metrics, "sources", lambda: {
        name: (lambda year, _f=function, _n=name: called.append(_n) or _f(year)) for name, function in real.items()})
    bureau_commits(bureau_a.tenant)  # an audit event only
    work_queue()
    assert set(called) == {"activity"}
    row = db.session.scalar(select(TenantMetrics).where(TenantMetrics.tenant_id == bureau_a.tenant.id,
                                                        TenantMetrics.year == metrics.today().year))
    assert {"duties", "findings", "scoring", "activity"} <= set(row.figures)  # the rest kept as it was


def test_a_change_during_a_recompute_stays_marked_and_queues_another(queued, bureau_a, monkeypatch):
    bureau_commits(bureau_a.tenant)
    real = metrics.refresh_tenant
    happened = []

    def with_a_write_meanwhile(ref, **kwargs):
        done = real(ref, **kwargs)
        if not happened:  # another user saves while the figures are being computed
            happened.append(True)
            bureau_commits(bureau_a.tenant)
        return done

    monkeypatch.setattr(metrics, "refresh_tenant", with_a_write_meanwhile)
    work_queue()  # the first job, and the one queued when it ended
    version, covered = _stamp(bureau_a.tenant)
    assert happened and covered == version and _marks(bureau_a.tenant) == {}
    assert [j.state for j in _rollup_jobs(bureau_a.slug)] == [DONE, DONE]


def test_the_reconcile_finds_bureaus_left_behind(queued, bureau_a, bureau_b):
    bureau_commits(bureau_a.tenant)
    work_queue()
    with db.engine.begin() as connection:  # a crash between the commit and its job
        connection.execute(update(Tenant).where(Tenant.id == bureau_b.tenant.id)
                           .values(data_version=Tenant.data_version + 3))
        connection.execute(delete(Job))
    assert bureau_b.slug in metrics.behind() and bureau_a.slug not in metrics.behind()
    jobs.tick()
    assert [j.state for j in _rollup_jobs(bureau_b.slug)] == [QUEUED]
    work_queue()
    version, covered = _stamp(bureau_b.tenant)
    assert covered == version and metrics.behind() == []
