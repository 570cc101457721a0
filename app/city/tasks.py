"""The roll-up's jobs: recompute a bureau's figures after its changes, catch up after a
crash or a lost job, and recompute every bureau once a day (overdue counts move with the
date, not only with the data)."""
from __future__ import annotations

from app.jobs.services import daily, every_minute, handler, submit

from . import metrics

REFRESH = "rollup.refresh"
NIGHTLY = "rollup.nightly"


def refresh_key(slug: str) -> str:
    """One recompute per bureau at a time: its job's key."""
    return f"rollup:{slug}"


def submit_refresh(slug: str):
    """Queue the recompute of a bureau's changed figures, or join the one queued or running
    (which looks again for changes before it ends, :func:`_then`)."""
    return submit(REFRESH, refresh_key(slug), {"slug": slug}, tenant_slug=slug)


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
