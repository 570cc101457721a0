"""Report jobs: every PDF and Word file is laid out by a job worker, never by a web
worker (a city summary takes tens of seconds for a hundred bureaus; a web worker busy
with it would keep users waiting and be killed by its timeout).  The pages order a
report (:func:`app.reports.services.obtain`) and show the job's progress until the file
is in the cache.

One rendering per report: the jobs table gives a report one job at a time (its ``dedup``
slot, :func:`app.jobs.services.submit`), so thirty users asking at once share it.  A job
run twice all the same (its worker presumed lost while still alive, or a second job
submitted just as the first stored its file) holds the report's lock across processes
(:meth:`app.reports.cache.ReportCache.lock`) and looks in the cache again once it has it:
the second waits for the first and serves its file instead of laying the report out again.
"""
from __future__ import annotations

import logging
import time

from app.jobs.queue import at_worker_start
from app.jobs.services import handler

from . import services
from .cache import report_cache

log = logging.getLogger(__name__)

KINDS = ("report.bureau", "report.scores", "report.ledger", "report.city", "report.taskboard")


def make_once(kind: str, params: dict, progress) -> dict:
    """Lay out the ordered report unless its file is made, under its lock."""
    cache = report_cache()
    with cache.lock(params["key"]):
        data = cache.get(params["key"], params["suffix"])
        if data is not None:
            return {"key": params["key"], "bytes": len(data), "cached": True}
        return services.make(kind, params, progress)


def _register(kind: str) -> None:
    @handler(kind)
    def make(progress, **params) -> dict:
        return make_once(kind, params, progress)

    make.__doc__ = f"Lay out a {kind} ordered by a page and keep it in the report cache."


for _kind in KINDS:
    _register(_kind)


@at_worker_start
def warm_worker(app) -> None:
    """Fonts, character maps, templates and WeasyPrint's code paths, once per worker
    process before its first report (:func:`app.reports.render.warm`)."""
    from .render import warm

    started = time.perf_counter()
    warm(app)
    log.info("report layout warmed in %.1f s", time.perf_counter() - started)
