"""The roll-up's jobs: recompute a bureau's figures after its changes, catch up after a
crash or a lost job, and recompute every bureau once a day (overdue counts move with the
date, not only with the data)."""
from __future__ import annotations

import logging

from flask import Flask

from app.jobs.services import daily, every_minute, handler, submit
from app.tenancy.session import tenant_changed
from app.tenancy.store import TenantRef

from . import metrics

log = logging.getLogger(__name__)

REFRESH = "rollup.refresh"
NIGHTLY = "rollup.nightly"


def refresh_key(slug: str) -> str:
    """One recompute per bureau at a time: its job's key."""
    return f"rollup:{slug}"


def submit_refresh(slug: str):
    """Queue the recompute of a bureau's changed figures, or join the one queued or running
    (which looks again for changes before it ends, :func:`_then`)."""
    return submit(REFRESH, refresh_key(slug), {"slug": slug}, tenant_slug=slug)


def on_tenant_changed(app: Flask, tenant: TenantRef, data_version: int | None = None, **_extra) -> None:
    """Receiver of ``tenant_changed``: ask for the bureau's figures to be recomputed.

    A failure to reach the queue is logged and never undoes the bureau's own (already
    committed) change: its figures show as stale until the scheduler's reconcile (every
    minute) submits the job again.
    """
    if not app.config.get("ROLLUP_PUSH", True):
        return
    try:
        submit_refresh(tenant.slug)
    except Exception:  # noqa: BLE001 - the write succeeded; the roll-up catches up later
        log.exception("roll-up job not submitted for bureau %s", tenant.slug)


def init_app(app: Flask) -> None:
    """Recompute a bureau's figures (as a job) after each of its commits."""
    tenant_changed.connect(on_tenant_changed, sender=app, weak=False)


def _then(params: dict) -> None:
    # A change committed while the job ran found the slot taken and queued nothing; its
    # mark is still there.  Looked at after the slot is free, so no change falls between.
    if metrics.has_pending(params["slug"]):
        submit_refresh(params["slug"])


@handler(REFRESH, then=_then)
def refresh(progress, slug: str) -> dict:
    """Recompute what changed in one bureau (:func:`metrics.refresh_changed`)."""
    return {"years": metrics.refresh_changed(slug)}


@every_minute("rollup.reconcile")
def reconcile() -> None:
    """Submit a recompute for every bureau whose figures are behind its data."""
    for slug in metrics.behind():
        submit_refresh(slug)


@handler(NIGHTLY)
def nightly(progress) -> dict:
    """Every bureau's figures of every year, recomputed (a new day moves overdue counts)."""
    failures = metrics.refresh_all(jobs=1, on_done=lambda slug, error: progress.advance())
    return {"failed": failures}


daily(NIGHTLY, at_setting="ROLLUP_NIGHTLY_AT", default_at="00:10")
