"""Prometheus metrics: request latency by endpoint, and the roll-up's staleness.

Under gunicorn every worker is a process of its own, so the metrics live in
prometheus_client's multiprocess mode: ``gunicorn.conf.py`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before the application is imported,
each worker writes its samples there, and ``/metrics`` — whichever worker answers it —
aggregates them all.  Without the variable (``make run``, tests) the process's own
registry is exported.  Figures that are read, not counted (how many bureaus' city
figures are behind their data), are computed at scrape time from the catalog.

``/metrics`` answers only the addresses in ``ZEREN_METRICS_ALLOW`` (default: this host),
404 for everyone else: it names endpoints and counts, nothing of a bureau's data.
"""
from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest,
                               multiprocess)
from prometheus_client.core import GaugeMetricFamily

bp = Blueprint("metrics", __name__)

REQUEST_SECONDS = Histogram(
    "zeren_request_duration_seconds", "Time to answer a request, by endpoint, method and status class.",
    ["endpoint", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120))


def init_app(app: Flask) -> None:
    """Time every request and serve ``/metrics``."""
    app.register_blueprint(bp)

    # The first hook of a request (before the bureau scope's URL processor, which may
    # answer on its own), so that refusals are timed too.
    @app.url_value_preprocessor
    def start_clock(_endpoint, _values) -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def observe(response):
        started = g.pop("metrics_started", None)
        if started is not None and request.endpoint != "metrics.export":
            REQUEST_SECONDS.labels(request.endpoint or "unmatched", request.method,
                                   f"{response.status_code // 100}xx").observe(time.perf_counter() - started)
        return response


@bp.route("/metrics")
def export():
    """The metrics in Prometheus' text format (allowed addresses only)."""
    if request.remote_addr not in current_app.config["METRICS_ALLOW"]:
        abort(404)
    scraped = CollectorRegistry()
    scraped.register(_RollupStaleness())
    scraped.register(_QueueDepth())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    return Response(generate_latest(counted) + generate_latest(scraped), mimetype=CONTENT_TYPE_LATEST)


class _RollupStaleness:
    """Bureaus whose city figures of this year were computed from older data than they
    hold now (the roll-up is pushed after each commit; a crash or a failing push leaves
    them behind until ``flask rollup`` runs)."""

    def collect(self):
        from app.city import services as city_services
        from app.core.clock import today

        rows = city_services.rollup_stamps(today().year)
        stale = sum(1 for _slug, _version, data_version, figures_version, _at in rows
                    if figures_version is None or figures_version < data_version)
        behind = GaugeMetricFamily("zeren_rollup_stale_bureaus",
                                   "Active bureaus whose city figures are behind their data.")
        behind.add_metric([], stale)
        yield behind
        bureaus = GaugeMetricFamily("zeren_active_bureaus", "Active bureaus.")
        bureaus.add_metric([], len(rows))
        yield bureaus


class _QueueDepth:
    """Jobs queued and running by kind, and the oldest queued job's wait."""

    def collect(self):
        from app.jobs import services

        depth = GaugeMetricFamily("zeren_jobs", "Jobs queued or running, by kind and state.", labels=["kind", "state"])
        for kind, states in sorted(services.depth().items()):
            for state, count in sorted(states.items()):
                depth.add_metric([kind, state], count)
        yield depth
        wait = GaugeMetricFamily("zeren_jobs_oldest_queued_seconds",
                                 "How long the oldest queued job has waited (a stopped worker shows here).")
        wait.add_metric([], services.oldest_queued_seconds())
        yield wait
