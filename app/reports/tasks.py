"""Report jobs: every PDF and Word file is laid out by a job worker, never by a web
worker (a city summary takes tens of seconds for a hundred bureaus; a web worker busy
with it would keep users waiting and be killed by its timeout).  The pages order a
report (:func:`app.reports.services.obtain`) and show the job's progress until the file
is in the cache."""
from __future__ import annotations

from app.jobs.services import handler

from . import services

KINDS = ("report.bureau", "report.scores", "report.ledger", "report.city")


def _register(kind: str) -> None:
    @handler(kind)
    def make(progress, **params) -> dict:
        return services.make(kind, params, progress)

    make.__doc__ = f"Lay out a {kind} ordered by a page and keep it in the report cache."


for _kind in KINDS:
    _register(_kind)

