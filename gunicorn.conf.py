"""gunicorn's settings for Zeren: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be changed without editing this file: ``ZEREN_BIND``, ``ZEREN_WORKERS``,
``ZEREN_THREADS``, ``ZEREN_TIMEOUT`` (or gunicorn's own command-line options, which win
over this file).  See docs/deploy.md.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile


def _number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("ZEREN_BIND", "127.0.0.1:8000")
# Sync workers, two per core and one more (gunicorn's own advice): a worker waiting on
# SQLite's write lock or on PostgreSQL holds no other request hostage.
workers = _number("ZEREN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
threads = _number("ZEREN_THREADS", 1)
# Longer than the slowest page: a cold city summary is still laid out inside the request
# until reports move to the job queue (it took 29–46 s for 100 bureaus on 2 cores).
timeout = _number("ZEREN_TIMEOUT", 120)
# On SIGHUP / SIGTERM a worker finishes the request it is serving before it goes.
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so the per-process caches (laid-out report pages) cannot
# grow without bound; the jitter keeps them from restarting all at once.
max_requests = 1000
max_requests_jitter = 100
# Import the application once in the master: workers fork ready (faster start, shared
# memory pages) and a broken configuration stops the start instead of every worker.
preload_app = True

accesslog = "-"
errorlog = "-"
# The request id (app/ops/request_log.py) ties this line to the application's own log.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s" request_id=%({x-request-id}o)s'
# Proxy headers are handled by the application (ZEREN_PROXY_HOPS, werkzeug's ProxyFix).
forwarded_allow_ips = "127.0.0.1"


# prometheus_client's multiprocess mode (app/ops/metrics.py): every worker writes its
# samples into one directory, which must be set before the application is imported (here,
# in the master, so every forked worker inherits it) and be empty when the server starts.
_OWN_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="zeren-metrics-")


def on_starting(server):
    """Start the metrics of this run from nothing."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    """A worker that exited (recycled, killed) no longer counts in the live figures."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def post_fork(server, worker):
    """The worker dies with its master; connections opened in the master (none are,
    normally) must not be shared by the forked workers: drop every pooled connection and
    cached bureau engine."""
    from app.ops.process import die_with_parent

    die_with_parent(server.pid)
    from wsgi import app

    with app.app_context():
        from app.extensions import db

        db.engine.dispose(close=False)
        app.extensions["zeren.tenant_store"].dispose_all()


def worker_exit(server, worker):
    """End a worker without the interpreter's teardown, once it has served its last request.

    A worker's teardown collects the whole preloaded application and took 2–3 s a worker on
    2 cores, one after the other: a stop (and so an upgrade's restart) waited 13 s for five
    idle workers, 2 s without it.  The connections are closed first, so the databases see
    a clean log-out; the exit status is kept (the master stops on a worker that could not
    boot).  gunicorn also calls this hook in the master for a worker already gone: there it
    does nothing.
    """
    import sys

    if os.getpid() != worker.pid:
        return
    error = sys.exc_info()[1]
    if isinstance(error, SystemExit):
        status = error.code if isinstance(error.code, int) else (0 if error.code is None else 1)
    else:
        status = 0 if error is None else 1
    try:
        from wsgi import app

        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
            app.extensions["zeren.tenant_store"].dispose_all()
    except Exception:  # noqa: BLE001 - leaving anyway: the OS closes what is left
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)
