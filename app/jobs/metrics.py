"""Job metrics counted where jobs run (the worker serves them on its own port, ``flask jobs
worker --metrics-port``); the queue's depth is read from the catalog when the web's
``/metrics`` is scraped (``app.ops.metrics``)."""
from __future__ import annotations

from prometheus_client import Histogram

JOB_SECONDS = Histogram(
    "zeren_job_duration_seconds", "Time a job's work took, by kind and outcome (reports: their rendering).",
    ["kind", "outcome"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600))


def observe(kind: str, outcome: str, seconds: float) -> None:
    """Count one job's run."""
    JOB_SECONDS.labels(kind, outcome).observe(seconds)
