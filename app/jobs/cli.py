"""``flask jobs worker`` (the consumer) and ``flask jobs list``."""
from __future__ import annotations

import logging
import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Background jobs: reports, the roll-up, backups, reminder digests, upgrades.")


@jobs_cli.command("worker")
@click.option("--workers", type=int, default=None,
              help="jobs run at once (default: the cores, at least 2)")
@click.option("--worker-type", type=click.Choice(["process", "thread"]), default="process", show_default=True,
              help="process: PDF layout on every core; thread: one process (small machines, debugging)")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="also run the scheduled jobs (exactly one consumer of an installation should)")
@click.option("--max-tasks", type=int, default=200, show_default=True,
              help="a process worker is replaced after this many jobs (its memory is given back)")
@click.option("--metrics-port", type=int, default=None,
              help="serve this consumer's job metrics for Prometheus on 127.0.0.1:PORT")
def worker(workers: int | None, worker_type: str, periodic: bool, max_tasks: int, metrics_port: int | None) -> None:
    """Run jobs from the queue until stopped (SIGINT: finish running jobs; SIGTERM: stop now,
    the interrupted jobs are queued again)."""
    from . import queue

    app = current_app._get_current_object()
    if queue.queue.immediate:
        click.secho("ZEREN_QUEUE_URL=memory:// runs jobs inside the web process; a worker has nothing to do.",
                    fg="red", err=True)
        sys.exit(2)
    handler = logging.StreamHandler()
    if app.config.get("LOG_FORMAT") == "json":  # one object per line, as the web's (app.ops.request_log)
        from app.ops.request_log import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s"))
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"), handlers=[handler], force=True)
    # WeasyPrint logs every step of every layout at INFO (dozens of lines a report); its
    # warnings (a missing image, an unknown CSS property) still reach the log.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    from app.extensions import db
    from app.tenancy import migrations

    head = migrations.head_revision(app.config["MIGRATIONS_DIR"], migrations.CATALOG)
    if migrations.catalog_revision(db.engine) != head:
        click.secho("The catalog database is not at the head revision: run `flask catalog upgrade` first.",
                    fg="red", err=True)
        sys.exit(2)
    queue.bind_worker_app(app)
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1")
    count = workers or max(2, os.cpu_count() or 1)
    consumer = queue.queue.create_consumer(
        workers=count, worker_type=worker_type, periodic=periodic,
        max_tasks=max_tasks if worker_type == "process" else None,
        check_worker_health=True, graceful_signal="INT")
    click.echo(f"zeren jobs: {count} {worker_type} worker(s), periodic {'on' if periodic else 'off'}, "
               f"queue {app.config['QUEUE_URL']}", err=True)
    from . import services

    # A worker that starts may follow a crash: jobs of dead processes are taken again, and
    # every queued job is handed over again, since its message may have died with the
    # process that took it from the queue or with the web worker that was about to send
    # it (a message sent twice runs its job once).  The scheduler's minute is sent now, so
    # a worker runs its checks at once (the roll-up catches up) rather than at the next
    # minute; nothing of a job runs in this process, whose state every worker inherits.
    requeued = services.requeue_lost(every_queued=True)
    if requeued:
        click.echo(f"zeren jobs: {requeued} waiting or interrupted job(s) handed to the queue again", err=True)
    if periodic:
        services.scheduler_minute()
    consumer.run()


@jobs_cli.command("list")
@click.option("--limit", default=30, show_default=True)
@click.option("--kind", help="only jobs of this kind")
def list_jobs(limit: int, kind: str | None) -> None:
    """The latest jobs with their state and progress."""
    from . import services

    for job in services.recent(limit=limit, kind=kind):
        progress = f"{job.done}/{job.total}" if job.total else ""
        seconds = f"{job.seconds:.1f}s" if job.seconds is not None else ""
        click.echo(f"{job.created_at:%Y-%m-%d %H:%M:%S}  {job.state:<8} {job.kind:<18} {job.tenant_slug or '':<12} "
                   f"{job.stage or '':<12} {progress:<9} {seconds:<8} {job.error or ''}")


@jobs_cli.command("tick")
def tick() -> None:
    """Do the scheduler's minute once now (requeue lost jobs, start due scheduled jobs)."""
    from . import services

    click.echo(services.tick())
