"""The queue: Huey, its storage chosen by ``ZEREN_QUEUE_URL``, and its consumer.

Huey carries job ids, never work: the two Huey tasks, ``zeren.run`` (one job) and
``zeren.tick`` (the scheduler's minute), are declared with the rules they apply, in
:mod:`app.jobs.services`; this module imports nothing of it.

Storage by URL:

* ``sqlite:///<path>`` — the embedded default (``<TENANTS_DIR>/_queue/jobs.sqlite3``):
  one file, no server, survives restarts; what ``make run`` uses.
* ``redis://host:port/db`` — production with Redis (``redis-server`` with persistence
  on; a queued id lost with Redis' memory is found again by :func:`tick`).
* ``postgresql://…`` — production on the catalog's PostgreSQL server (Huey's table
  ``huey_task`` and friends, ``LISTEN/NOTIFY`` for prompt pick-up).
* ``memory://`` — the test suite: every job runs at once, in the caller's process.

One Huey instance per process (tasks register with it at import); each application
configures it when created.  Only the consumer process needs :func:`bind_worker_app`.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.consumer import Consumer, Scheduler, Worker
from huey.storage import MemoryStorage, PostgresStorage, RedisStorage, SqliteStorage

log = logging.getLogger(__name__)


def _die_with_consumer() -> None:
    # A process worker or scheduler is forked from the consumer: it dies with it (after a
    # SIGKILLed consumer they ran on, holding jobs no one could see).  Thread workers share
    # the consumer's process and have nothing to do.
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is not None:
        from app.ops.process import die_with_parent

        die_with_parent(parent.pid)


class _Worker(Worker):
    def initialize(self):
        _die_with_consumer()
        super().initialize()


class _Scheduler(Scheduler):
    def initialize(self):
        _die_with_consumer()
        super().initialize()


class ZerenConsumer(Consumer):
    """Huey's consumer whose processes never outlive it."""

    worker_class = _Worker
    scheduler_class = _Scheduler


class ZerenHuey(Huey):
    """Huey whose storage is set by :func:`configure` (until then: in memory)."""

    storage_class = MemoryStorage

    def create_consumer(self, **options) -> ZerenConsumer:
        return ZerenConsumer(self, **options)


queue = ZerenHuey("zeren", results=False, utc=True)
_worker_app: Flask | None = None
_at_start: list[Callable[[Flask], None]] = []
_started_in: int | None = None
_start_lock = threading.Lock()


def storage_for(url: str) -> tuple[type, dict, bool]:
    """The storage class, its arguments and whether jobs run at once, for a queue URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "memory":
        return MemoryStorage, {}, True
    if scheme == "sqlite":
        if not url.startswith("sqlite:///"):
            raise RuntimeError("ZEREN_QUEUE_URL: write a SQLite queue as sqlite:///relative/path or sqlite:////absolute/path")
        path = Path(url[len("sqlite:///"):])  # as SQLAlchemy: sqlite:////abs/path, sqlite:///relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # fsync on commit: an acknowledged job must survive a power cut like the data does.
        return SqliteStorage, {"filename": str(path), "fsync": True, "timeout": 10}, False
    if scheme in ("redis", "rediss", "unix"):
        return RedisStorage, {"url": url}, False
    if scheme in ("postgresql", "postgres"):
        dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        return PostgresStorage, {"dsn": dsn}, False
    raise RuntimeError(f"ZEREN_QUEUE_URL: unknown scheme {parts.scheme!r} (sqlite:///…, redis://…, "
                       "postgresql://… or memory://)")


def configure(app: Flask) -> None:
    """Point the process's queue at ``app``'s storage (``QUEUE_URL``)."""
    storage_class, options, immediate = storage_for(app.config["QUEUE_URL"])
    current = (queue.storage_class, queue.storage_kwargs, queue.immediate)
    if current == (storage_class, options, immediate):
        return
    queue.storage_class, queue.storage_kwargs = storage_class, options
    queue._immediate = immediate  # set directly: the property's setter would build a storage first
    queue.storage = queue.create_storage()


def bind_worker_app(app: Flask) -> None:
    """The application the consumer's threads and processes run jobs in."""
    global _worker_app
    _worker_app = app


def job_app() -> Flask:
    """The application a job runs in: the caller's (immediate mode, tests) or the worker's."""
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        raise RuntimeError("no application bound: start workers with `flask jobs worker`")
    return _worker_app


def at_worker_start(function: Callable[[Flask], None]) -> Callable[[Flask], None]:
    """Run ``function(app)`` once in every worker process, after its fork and before its
    first job (a feature warms what its jobs need: the reports' fonts and layout).

    Never in the consumer before it forks: a thread of the parent busy at the fork leaves
    the locks it holds (WeasyPrint's layout lock, Jinja's template cache, a module's
    import lock) held in every child, whose first job then waits for ever."""
    _at_start.append(function)
    return function


@queue.on_startup()
def _after_fork() -> None:
    # Process workers are forked from the consumer: connections opened before the fork
    # belong to the parent, and two processes on one socket corrupt each other's replies.
    # Thread workers share one process: its first worker runs the hooks, the others wait.
    global _started_in
    app = _worker_app
    if app is None:
        return
    with _start_lock:
        if _started_in == os.getpid():
            return
        from app.extensions import db

        with app.app_context():
            db.engine.dispose(close=False)
        store = app.extensions.get("zeren.tenant_store")
        if store is not None:
            store.dispose_all()
        for function in _at_start:
            try:
                function(app)
            except Exception:  # noqa: BLE001 - a failed warm-up makes the first job slower, nothing worse
                log.exception("worker start-up step %s failed", function.__name__)
        _started_in = os.getpid()
