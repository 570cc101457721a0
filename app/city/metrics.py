"""The city's roll-up: push each bureau's figures into the catalog after its commits.

City pages never open bureau databases.  After a commit that changed a bureau's rows,
the tenancy layer sends ``tenant_changed``; :func:`on_tenant_changed` recomputes that
bureau's figures in a fresh session (``tenant_context``) and upserts them into
``tenant_metrics`` plus today's row of ``metric_snapshots``.  ``flask rollup refresh``
rebuilds everything.

Each feature defines its figures once, in ``<feature>.services.metrics(year)`` run
inside the bureau's context; this module only assembles them (dependencies point one
way: city → features → tenancy).
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import date
from typing import Callable, Iterable

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import utcnow
from app.tenancy.models import Tenant
from app.tenancy.session import tenant_changed, tenant_context
from app.tenancy.store import TenantRef
from app.core.clock import today
from app.jsonsafe import jsonable  # figures: Decimals as floats (the features rounded them)

from .models import MetricSnapshot, TenantMetrics

log = logging.getLogger(__name__)
MetricsFunction = Callable[[int], dict]


def sources() -> dict[str, MetricsFunction]:
    """Every feature's metrics function, by the name its figures are stored under."""
    from app.audit.services import metrics as activity
    from app.duties.services import metrics as duties
    from app.findings.services import metrics as findings
    from app.scoring.services import metrics as scoring

    return {"activity": activity, "duties": duties, "findings": findings, "scoring": scoring}


def compute(year: int, functions: dict[str, MetricsFunction] | None = None) -> dict:
    """All figures of the current bureau for ``year`` (call inside ``tenant_context``)."""
    return {name: jsonable(function(year)) for name, function in (functions or sources()).items()}


def _upsert(model: type, values: dict, keys: Iterable[str], update: Iterable[str]) -> None:
    dialect = db.session.get_bind(clause=model.__table__).dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(model).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in update})
    db.session.execute(statement)


def years_to_refresh(tenant_id: int) -> list[int]:
    """This year, last year (bureaus finish last year's work and assessment early in the
    new year) and every year the bureau already has figures for."""
    known = db.session.scalars(select(TenantMetrics.year).where(TenantMetrics.tenant_id == tenant_id))
    current = today().year
    return sorted({current - 1, current, *known})


def refresh_tenant(ref: TenantRef, *, years: Iterable[int] | None = None,
                   data_version: int | None = None) -> list[int]:
    """Recompute one bureau's figures and store them in the catalog; return the years done.

    Runs in a fresh session bound to the bureau (safe from a request of another bureau and
    from inside another session's ``after_commit``).
    """
    with tenant_context(ref):
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == ref.slug))
        if tenant is None:  # deleted meanwhile
            return []
        version = tenant.data_version if data_version is None else data_version
        done = []
        for year in years or years_to_refresh(tenant.id):
            figures = compute(year)
            now = utcnow()
            _upsert(TenantMetrics, {"tenant_id": tenant.id, "year": year, "figures": figures,
                                    "data_version": version, "computed_at": now},
                    keys=("tenant_id", "year"), update=("figures", "data_version", "computed_at"))
            _upsert(MetricSnapshot, {"tenant_id": tenant.id, "year": year, "day": today(), "figures": figures},
                    keys=("tenant_id", "year", "day"), update=("figures",))
            done.append(year)
        db.session.commit()
        return done


#: Sources whose ``metrics(year, as_of=day)`` reconstruct a past day from dated records.
HISTORY_SOURCES = ("duties",)


def backfill_snapshots(ref: TenantRef, year: int, days: Iterable[date]) -> int:
    """Write snapshots for past ``days`` from the dated records (history for a bureau whose
    data was imported or seeded at once).  Only :data:`HISTORY_SOURCES` can say what a
    past day looked like; the other figures are left out of those snapshots rather than
    guessed.  Returns the number of snapshots written."""
    functions = {name: function for name, function in sources().items() if name in HISTORY_SOURCES}
    written = 0
    with tenant_context(ref):
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == ref.slug))
        for day in sorted(set(days)):
            if day >= today():
                continue  # today's snapshot comes from the live push
            figures = {name: jsonable(function(year, as_of=day)) for name, function in functions.items()}
            _upsert(MetricSnapshot, {"tenant_id": tenant.id, "year": year, "day": day, "figures": figures},
                    keys=("tenant_id", "year", "day"), update=("figures",))
            written += 1
        db.session.commit()
    return written


def on_tenant_changed(app: Flask, tenant: TenantRef, data_version: int | None = None, **_extra) -> None:
    """Receiver of ``tenant_changed``: push the bureau's new figures.

    A failure is logged and never undoes the bureau's own (already committed) change; the
    dashboard then shows the figures as stale until the next change or a refresh.
    """
    if not app.config.get("ROLLUP_PUSH", True):
        return
    try:
        refresh_tenant(tenant, data_version=data_version)
    except Exception:  # noqa: BLE001 - the write succeeded; the roll-up catches up later
        log.exception("roll-up push failed for bureau %s", tenant.slug)


def init_app(app: Flask) -> None:
    tenant_changed.connect(on_tenant_changed, sender=app, weak=False)


def refresh_all(*, slugs: list[str] | None = None, years: list[int] | None = None, jobs: int = 1,
                on_done: Callable[[str, str | None], None] | None = None) -> dict[str, str]:
    """Rebuild the figures of every bureau (or ``slugs``); return failures by slug."""
    query = select(Tenant)
    if slugs:
        query = query.where(Tenant.slug.in_(slugs))
    refs = [t.ref for t in db.session.scalars(query.order_by(Tenant.id))]
    app = current_app._get_current_object()
    failures: dict[str, str] = {}

    def work(ref: TenantRef) -> None:
        with app.app_context():
            refresh_tenant(ref, years=years)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(work, ref): ref.slug for ref in refs}
        for future in as_completed(futures):
            slug = futures[future]
            error = None
            try:
                future.result()
            except Exception as exc:  # noqa: BLE001 - report per bureau, carry on
                error = failures[slug] = f"{type(exc).__name__}: {exc}"
            if on_done:
                on_done(slug, error)
    return failures


def latest(year: int) -> list[TenantMetrics]:
    """The stored figures of every active bureau for ``year`` (catalog only)."""
    return list(db.session.scalars(
        select(TenantMetrics).join(Tenant).where(TenantMetrics.year == year, Tenant.status == "active")
        .order_by(Tenant.id)))
