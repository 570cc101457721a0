"""Job metrics: durations are counted where jobs run (the worker serves them on its own
port, ``flask jobs worker --metrics-port``); the queue's depth is read from the catalog
when the web's ``/metrics`` is scraped (:class:`QueueDepth`)."""
from __future__ import annotations

from prometheus_client import Histogram
from prometheus_client.core import GaugeMetricFamily

JOB_SECONDS = Histogram(
    "zeren_job_duration_seconds", "Time a job's work took, by kind and outcome (reports: their rendering).",
    ["kind", "outcome"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600))


def observe(kind: str, outcome: str, seconds: float) -> None:
    """Count one job's run."""
    JOB_SECONDS.labels(kind, outcome).observe(seconds)


class QueueDepth:
    """Jobs queued and running by kind, and the oldest queued job's wait."""

    def collect(self):
        from . import services

        depth = GaugeMetricFamily("zeren_jobs", "Jobs queued or running, by kind and state.", labels=["kind", "state"])
        for kind, states in sorted(services.depth().items()):
            for state, count in sorted(states.items()):
                depth.add_metric([kind, state], count)
        yield depth
        wait = GaugeMetricFamily("zeren_jobs_oldest_queued_seconds",
                                 "How long the oldest queued job has waited (a stopped worker shows here).")
        wait.add_metric([], services.oldest_queued_seconds())
        yield wait
