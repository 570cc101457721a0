"""The city's roll-up: each bureau's figures in the catalog, recomputed after its commits.

City pages never open bureau databases.  After a commit that changed a bureau's rows,
the tenancy layer counts the change (``Tenant.data_version``), marks the features it
touched (``TenantChange``) and sends ``tenant_changed``; :func:`app.city.tasks.on_tenant_changed`
submits one job per bureau (``rollup.refresh``): a burst of
writes while one is queued or running joins it.  The job (:func:`refresh_changed`)
recomputes the marked features in a fresh session (``tenant_context``), upserts them
into ``tenant_metrics`` stamped with the version it read, plus today's row of
``metric_snapshots``, and deletes the marks it covered.  A figure computed from older
data than the bureau holds is *stale*, and every page says so.  ``flask rollup refresh``
rebuilds everything.

Each feature defines its figures once, in ``<feature>.services.metrics(year)`` run
inside the bureau's context; this module only assembles them (dependencies point one
way: city → features → tenancy).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import date
from typing import Callable, Iterable

from flask import current_app
from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import utcnow
from app.tenancy.models import Tenant
from app.tenancy.session import ALL_SCOPES, tenant_context
from app.tenancy.store import TenantRef
from app.core.clock import today
from app.jsonsafe import jsonable  # figures: Decimals as floats (the features rounded them)

from . import rollup
from .models import MetricSnapshot, TenantMetrics

MetricsFunction = Callable[[int], dict]


def sources() -> dict[str, MetricsFunction]:
    """Every feature's metrics function, by the name its figures are stored under."""
    from app.audit.services import metrics as activity
    from app.duties.services import metrics as duties
    from app.findings.services import metrics as findings
    from app.orgs.services import metrics as orgs
    from app.scoring.services import metrics as scoring

    return {"activity": activity, "duties": duties, "findings": findings, "scoring": scoring, "orgs": orgs}


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


#: The figures each feature's changes can move (``TenantChange.scope`` → sources); a
#: scope not named here (people, years, anything new) moves every figure.
SCOPE_SOURCES: dict[str, frozenset[str]] = {
    "duties": frozenset({"duties", "activity"}),
    "findings": frozenset({"findings", "activity"}),
    "scoring": frozenset({"scoring", "activity"}),
    "audit": frozenset({"activity"}),
    "evidence": frozenset({"duties", "findings", "activity"}),
    "orgs": frozenset({"orgs", "activity"}),
    # a duty item may count a unit's meetings as its records (DutyItem.meeting_kind)
    "meetings": frozenset({"orgs", "duties", "activity"}),
}


def sources_for(scopes: Iterable[str]) -> set[str]:
    """The sources to recompute after changes in ``scopes``."""
    every = set(sources())
    wanted: set[str] = set()
    for scope in scopes:
        wanted |= SCOPE_SOURCES.get(scope, every)
    return wanted & every


def refresh_tenant(ref: TenantRef, *, years: Iterable[int] | None = None,
                   data_version: int | None = None, only: Iterable[str] | None = None) -> list[int]:
    """Recompute one bureau's figures and store them in the catalog; return the years done.

    ``only``: the sources to recompute, merged into the stored figures (a year without
    stored figures gets all of them).  Runs in a fresh session bound to the bureau (safe
    from a request of another bureau and from inside another session's ``after_commit``).
    """
    every = sources()
    with tenant_context(ref):
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == ref.slug))
        if tenant is None:  # deleted meanwhile
            return []
        version = tenant.data_version if data_version is None else data_version
        stored = {row.year: row.figures for row in db.session.scalars(
            select(TenantMetrics).where(TenantMetrics.tenant_id == tenant.id))}
        done = []
        for year in years or years_to_refresh(tenant.id):
            if only is None or year not in stored:
                figures = compute(year, every)
            else:
                figures = {**stored[year], **compute(year, {name: every[name] for name in only if name in every})}
            now = utcnow()
            # with the plain columns the city's lists read (the same figures, sortable)
            listed = rollup.list_values(figures)
            _upsert(TenantMetrics, {"tenant_id": tenant.id, "year": year, "figures": figures,
                                    "data_version": version, "computed_at": now, **listed},
                    keys=("tenant_id", "year"), update=("figures", "data_version", "computed_at", *listed))
            _upsert(MetricSnapshot, {"tenant_id": tenant.id, "year": year, "day": today(), "figures": figures,
                                     **listed},
                    keys=("tenant_id", "year", "day"), update=("figures", *listed))
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
            listed = rollup.list_values(figures)
            _upsert(MetricSnapshot, {"tenant_id": tenant.id, "year": year, "day": day, "figures": figures,
                                     **listed},
                    keys=("tenant_id", "year", "day"), update=("figures", *listed))
            written += 1
        db.session.commit()
    return written


def refresh_changed(slug: str) -> list[int]:
    """Recompute what changed in a bureau since its figures were stamped (its marks up to
    the version read now), stamp that version and delete the marks it covered.

    One job per bureau runs this at a time (the job's slot), so stamps only grow.  The
    version is read before the marks: a change committed in between is counted in neither
    and stays marked for the next run, which its own commit queued.
    """
    from app.tenancy.models import TenantChange

    with db.engine.connect() as connection:
        found = connection.execute(select(Tenant.id, Tenant.data_version).where(Tenant.slug == slug)).first()
        if found is None:
            return []
        tenant_id, version = found
        marks = dict(connection.execute(select(TenantChange.scope, TenantChange.version).where(
            TenantChange.tenant_id == tenant_id, TenantChange.version <= version)).all())
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        return []
    only = None if not marks or ALL_SCOPES in marks else sources_for(marks)
    done = refresh_tenant(tenant.ref, data_version=version, only=only)
    with db.engine.begin() as connection:
        for scope, marked in marks.items():
            connection.execute(delete(TenantChange).where(
                TenantChange.tenant_id == tenant_id, TenantChange.scope == scope, TenantChange.version <= marked))
    return done


def has_pending(slug: str) -> bool:
    """Whether a bureau has changes its stored figures do not cover yet."""
    from app.tenancy.models import TenantChange

    with db.engine.connect() as connection:
        return connection.scalar(select(TenantChange.version).join(Tenant, Tenant.id == TenantChange.tenant_id)
                                 .where(Tenant.slug == slug).limit(1)) is not None


def behind() -> list[str]:
    """Active bureaus whose current-year figures are missing, stale or have unmarked changes
    (the reconcile's list: after a crash, a lost job or a new day)."""
    from app.tenancy.models import TenantChange

    year = today().year
    with db.engine.connect() as connection:
        stamped = select(TenantMetrics.data_version).where(TenantMetrics.tenant_id == Tenant.id,
                                                           TenantMetrics.year == year).scalar_subquery()
        marked = select(TenantChange.tenant_id).where(TenantChange.tenant_id == Tenant.id).exists()
        rows = connection.execute(select(Tenant.slug).where(
            Tenant.status == "active", or_(stamped.is_(None), stamped < Tenant.data_version, marked))
            .order_by(Tenant.id)).all()
    return [slug for (slug,) in rows]


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
