"""Jobs: submit once, run through the queue, show where they stand.

A feature declares the work a job does in its own ``tasks.py`` with :func:`handler`
(``@handler("report.bureau")``), and asks for it with :func:`submit`.  The catalog's
``jobs`` row is the truth about a job; Huey only carries its id (:mod:`app.jobs.queue`).

* **Once.** :func:`submit` with a key already in its slot returns the job that holds it
  (``Job.dedup``): thirty users opening the same city summary share one rendering, and a
  burst of writes in one bureau queues one recompute of its figures.
* **Survives a crash.** A job's id is in the queue's storage until a worker takes it; a
  worker killed mid-job leaves the row ``running`` with a heartbeat that stops, and
  :func:`tick` puts it back on the queue (:data:`MAX_ATTEMPTS` in all, then ``failed``).
  A queued id lost with the queue's storage is re-sent the same way: running a job twice
  is safe, taking it is a compare-and-set (:func:`execute`).
* **Retries.** A handler's exception puts the job back on the queue after
  :data:`RETRY_DELAYS`; the last attempt's error stays on the row for the page to show.
* **Progress.** A handler gets a :class:`Progress` and says ``progress(done, total,
  stage)``; the row's ``done``/``total``/``stage`` are what the waiting page shows.
* **Scheduled work.** :func:`daily` registers a job to start once a day after a time of
  day (a setting); :func:`tick` starts it when due, also later that day if the scheduler
  was down at the time.

Rows are written on connections of their own (never the caller's session), so a job can
be submitted from a page that only reads, or right after a bureau's commit.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from huey import crontab

from app.core.clock import local_zone
from app.extensions import db
from app.models import utcnow
from app.ops.process import gone_here, stop_here, this_process

from .metrics import observe
from .models import DONE, FAILED, QUEUED, RUNNING, Job, aware
from .queue import job_app, queue

log = logging.getLogger(__name__)

#: Attempts of a job before it is left ``failed`` (a handler's errors and lost workers).
MAX_ATTEMPTS = 3
#: Seconds before the second and third attempt.
RETRY_DELAYS = (10, 60)
#: A running job whose heartbeat is older than this (``JOBS_STALE_SECONDS``) is presumed
#: lost with its worker; a queued job not taken for as long is handed to the queue again.
STALE_SECONDS = 180
#: Ended jobs are kept this long for the jobs page, then deleted.
KEEP_ENDED = timedelta(days=30)
#: A running job that has not finished after this long (``JOBS_MAX_SECONDS``) is taken
#: from its worker even if the worker still beats: a worker stuck in a deadlock keeps its
#: heartbeat thread alive, and the users waiting for the job must not wait for ever.
MAX_RUN_SECONDS = 600
#: Seconds between two heartbeats written by one job's progress.
BEAT_EVERY = 0.5


class QueueUnavailable(RuntimeError):
    """The queue's storage cannot be reached: the job is recorded as failed."""


@dataclass(frozen=True)
class Handler:
    """The work of one kind of job: ``function(progress, **params)`` → result (JSON)."""

    kind: str
    function: Callable[..., Any]
    #: Called with the job's parameters once it has ended well and freed its slot.
    then: Callable[[dict], None] | None = None


@dataclass(frozen=True)
class Daily:
    """A job started once a day after ``at`` (config key of an ``HH:MM`` local time)."""

    kind: str
    at_setting: str
    default_at: str


_HANDLERS: dict[str, Handler] = {}
_DAILY: dict[str, Daily] = {}
_EVERY_MINUTE: dict[str, Callable[[], None]] = {}


def handler(kind: str, *, then: Callable[[dict], None] | None = None) -> Callable:
    """Register ``function(progress, **params)`` as the work of jobs of ``kind``; ``then``
    runs after a job ended well and freed its slot (to look for work that came meanwhile)."""
    def register(function: Callable) -> Callable:
        _HANDLERS[kind] = Handler(kind, function, then)
        return function
    return register


def daily(kind: str, *, at_setting: str, default_at: str) -> None:
    """Start a job of ``kind`` (no parameters) once a day after the time in ``at_setting``."""
    _DAILY[kind] = Daily(kind, at_setting, default_at)


def every_minute(name: str) -> Callable:
    """Register a check :func:`tick` runs once a minute (it submits jobs when needed)."""
    def register(function: Callable[[], None]) -> Callable[[], None]:
        _EVERY_MINUTE[name] = function
        return function
    return register


def handlers() -> dict[str, Handler]:
    """Every registered kind (the jobs page labels them)."""
    return dict(_HANDLERS)


# ============================================================================ submitting
def _engine():
    return db.engine


def _values(kind: str, key: str, params: dict, tenant_slug: str | None, requested_by: str | None) -> dict:
    now = utcnow()
    return {"id": uuid.uuid4().hex, "kind": kind, "key": key, "dedup": key, "state": QUEUED, "params": params,
            "tenant_slug": tenant_slug, "requested_by": requested_by, "done": 0, "total": 0, "attempts": 0,
            "created_at": now, "enqueued_at": now}


def submit(kind: str, key: str, params: dict | None = None, *, tenant_slug: str | None = None,
           requested_by: str | None = None, merge: Callable[[dict, dict], dict] | None = None) -> Job:
    """The job holding ``key``'s slot, or a new one handed to the queue.

    ``merge(queued_params, params)``: how a request joins a queued job of the same key
    (the roll-up widens the features to recompute); without it the queued job stands.
    """
    if kind not in _HANDLERS:
        raise KeyError(f"no handler for jobs of kind {kind!r}")
    params = dict(params or {})
    for _attempt in range(5):
        # Most submissions (every write of a busy bureau asks for its roll-up) find the slot
        # held: one read answers them.  The insert, when the slot looks free, still refuses
        # in the statement if another took it meanwhile.
        existing = holder(key)
        if existing is None:
            values = _values(kind, key, params, tenant_slug, requested_by)
            with _engine().begin() as connection:
                row = connection.execute(_insert_unless_held(connection.dialect.name, values)).first()
            if row is None:
                continue  # taken between the read and the insert: join that one
            job = _job(row)
            _hand_over(job)
            # Jobs run in the caller's process when the queue is in memory: say how it ended.
            return (get(job.id) or job) if queue.immediate else job
        if _presumed_lost(existing):
            _give_up(existing, "interrupted: its worker stopped")
            continue
        if merge is not None and existing.state == QUEUED:
            merged = merge(existing.params, params)
            if merged != existing.params and not _compare_and_set_params(existing, merged):
                continue
        return existing
    raise RuntimeError(f"could not submit job {kind} {key}: its slot kept changing")


def _insert_unless_held(dialect: str, values: dict):
    """INSERT of a new job that does nothing when another holds its ``dedup`` key; the new
    row is returned."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (insert(Job).values(**values).on_conflict_do_nothing(index_elements=["dedup"])
            .returning(*Job.__table__.c))


def _compare_and_set_params(job: Job, params: dict) -> bool:
    with _engine().begin() as connection:
        changed = connection.execute(update(Job).where(Job.id == job.id, Job.state == QUEUED,
                                                       Job.enqueued_at == job.enqueued_at)
                                     .values(params=params, enqueued_at=utcnow()))
    return changed.rowcount == 1


def _hand_over(job: Job, *, delay: float | None = None) -> None:
    try:
        if delay:
            run.schedule(args=(job.id,), delay=delay)
        else:
            run(job.id)
    except Exception as error:  # noqa: BLE001 - any storage error: the job cannot start
        _finish(job.id, FAILED, error=f"queue unavailable: {error}")
        raise QueueUnavailable(str(error)) from error


def holder(key: str) -> Job | None:
    """The job now holding ``key``'s slot (queued, or running without giving it up)."""
    with _engine().connect() as connection:
        row = connection.execute(select(Job.__table__).where(Job.dedup == key)).first()
    return _job(row)


def get(job_id: str) -> Job | None:
    """One job by id (a detached copy of its row)."""
    with _engine().connect() as connection:
        row = connection.execute(select(Job.__table__).where(Job.id == job_id)).first()
    return _job(row)


def latest(key: str) -> Job | None:
    """The most recent job of ``key`` in any state (the waiting page's subject)."""
    with _engine().connect() as connection:
        row = connection.execute(select(Job.__table__).where(Job.key == key)
                                 .order_by(Job.created_at.desc()).limit(1)).first()
    return _job(row)


def _job(row) -> Job | None:
    return None if row is None else Job(**row._mapping)


def max_run() -> timedelta:
    """How long a job may run before it is taken from its worker (:data:`MAX_RUN_SECONDS`)."""
    return timedelta(seconds=int(current_app.config.get("JOBS_MAX_SECONDS") or MAX_RUN_SECONDS))


def stale_after() -> timedelta:
    """How long a job may go without a heartbeat (running) or a taker (queued)."""
    return timedelta(seconds=int(current_app.config.get("JOBS_STALE_SECONDS") or STALE_SECONDS))


def _presumed_lost(job: Job, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return job.state == RUNNING and (
        gone_here(job.worker) or aware(job.heartbeat_at or job.started_at or job.created_at) < now - stale_after())


def _give_up(job: Job, reason: str) -> None:
    with _engine().begin() as connection:
        connection.execute(update(Job).where(Job.id == job.id, Job.state.in_((QUEUED, RUNNING)))
                           .values(state=FAILED, dedup=None, error=reason, finished_at=utcnow()))


# ============================================================================ running
class Progress:
    """What a handler reports while it works.  A new stage, a new total and the last unit
    are written at once; counts in between at most every :data:`BEAT_EVERY` s."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._written = 0.0
        self._done = 0
        self._total: int | None = None

    def advance(self, step: int = 1) -> None:
        """Count ``step`` more units done."""
        self(self._done + step)

    def __call__(self, done: int | None = None, total: int | None = None, stage: str | None = None) -> None:
        values: dict[str, Any] = {}
        if done is not None:
            values["done"] = self._done = done
        if stage is not None:
            values["stage"] = stage
        news = stage is not None or (total is not None and total != self._total)
        if total is not None:
            values["total"] = self._total = total
        now = time.monotonic()
        if not news and self._done != self._total and now - self._written < BEAT_EVERY:
            return
        self._written = now
        with _engine().begin() as connection:
            connection.execute(update(Job).where(Job.id == self.job.id).values(heartbeat_at=utcnow(), **values))


def execute(job_id: str) -> str | None:
    """Take the job (if still queued) and run its handler; return the state it ended in
    (``None``: not taken, another worker has it or it ended)."""
    handler_ = None
    job = get(job_id)
    if job is None or job.state != QUEUED:
        return None
    handler_ = _HANDLERS.get(job.kind)
    now = utcnow()
    claim = {"state": RUNNING, "started_at": now, "heartbeat_at": now, "attempts": job.attempts + 1,
             "error": None, "worker": this_process()}
    with _engine().begin() as connection:
        taken = connection.execute(update(Job).where(Job.id == job_id, Job.state == QUEUED).values(**claim))
    if taken.rowcount != 1:
        return None
    if handler_ is None:
        _finish(job_id, FAILED, error=f"no handler for jobs of kind {job.kind!r} in this worker")
        return FAILED
    job = get(job_id)
    started = time.perf_counter()
    try:
        with _beating(job_id):
            result = handler_.function(Progress(job), **job.params)
    except Exception as error:  # noqa: BLE001 - recorded on the row, retried or failed
        log.exception("job %s (%s) failed on attempt %s", job_id, job.kind, job.attempts)
        observe(job.kind, "failed", time.perf_counter() - started)
        # What the waiting page shows: the error's own words (FontsMissing names the
        # fonts); the traceback is in the worker's log.
        return _retry_or_fail(job, (str(error) or type(error).__name__)[:2000])
    observe(job.kind, "done", time.perf_counter() - started)
    _finish(job_id, DONE, result=result)
    if handler_.then is not None:
        handler_.then(job.params)
    return DONE


#: Seconds between the heartbeats a running job writes on its own (a page laid out for a
#: minute reports no progress, but its worker is alive).
BEAT_SECONDS = 15


@contextmanager
def _beating(job_id: str) -> Iterator[None]:
    engine = _engine()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(BEAT_SECONDS):
            try:
                with engine.begin() as connection:
                    connection.execute(update(Job).where(Job.id == job_id, Job.state == RUNNING)
                                       .values(heartbeat_at=utcnow()))
            except Exception:  # noqa: BLE001 - a missed beat is retried; the job goes on
                log.warning("heartbeat of job %s not written", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"job-beat-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def _retry_or_fail(job: Job, error: str) -> str:
    if job.attempts >= MAX_ATTEMPTS:
        _finish(job.id, FAILED, error=error)
        return FAILED
    delay = RETRY_DELAYS[min(job.attempts, len(RETRY_DELAYS)) - 1]
    requeued = _requeue(job, error=error)
    if requeued and not current_app.config.get("QUEUE_URL", "").startswith("memory"):
        _hand_over(requeued, delay=delay)
        return QUEUED
    # In the test queue a job runs inside its caller: retrying there would loop at once.
    _finish(job.id, FAILED, error=error)
    return FAILED


def _requeue(job: Job, *, error: str | None = None) -> Job | None:
    """Put a running job back in the queue (its slot too, unless another job took it)."""
    values = {"state": QUEUED, "enqueued_at": utcnow(), "error": error, "heartbeat_at": None}
    try:
        with _engine().begin() as connection:
            changed = connection.execute(update(Job).where(Job.id == job.id, Job.state == RUNNING)
                                         .values(dedup=job.key, **values))
    except IntegrityError:  # a newer job of the same key holds the slot: this one is superseded
        _finish(job.id, FAILED, error=error or "superseded by a newer job")
        return None
    return get(job.id) if changed.rowcount == 1 else None


def _finish(job_id: str, state: str, *, result: Any = None, error: str | None = None) -> None:
    with _engine().begin() as connection:
        connection.execute(update(Job).where(Job.id == job_id).values(
            state=state, dedup=None, result=result, error=error, finished_at=utcnow(), heartbeat_at=utcnow()))


# ============================================================================ the minute
def tick(now: datetime | None = None) -> dict[str, int]:
    """What the scheduler does every minute: requeue lost jobs, run the registered checks,
    start the daily jobs that are due, forget old ended jobs.  Returns what it did."""
    now = now or utcnow()
    done = {"requeued": requeue_lost(now), "started": 0}
    for name, check in _EVERY_MINUTE.items():
        try:
            check()
        except Exception:  # noqa: BLE001 - one check's failure must not stop the others
            log.exception("periodic check %s failed", name)
    for entry in due_daily(now):
        submit(entry.kind, daily_key(entry.kind, now), {})
        done["started"] += 1
    with _engine().begin() as connection:
        connection.execute(delete(Job).where(Job.state.in_((DONE, FAILED)), Job.finished_at < now - KEEP_ENDED))
    return done


def requeue_lost(now: datetime | None = None, *, every_queued: bool = False) -> int:
    """Hand lost jobs to the queue again: running ones whose worker stopped beating or, on
    this host, whose worker process is gone (a worker that starts after a crash need not
    wait for the heartbeat to age), queued ones nobody took for JOBS_STALE_SECONDS (all
    queued ones with ``every_queued``).  Returns how many."""
    now = now or utcnow()
    count = 0
    limit = now - stale_after()
    waiting = Job.state == QUEUED if every_queued else and_(Job.state == QUEUED, Job.enqueued_at < limit)
    with _engine().connect() as connection:
        rows = connection.execute(select(Job.__table__).where(or_(Job.state == RUNNING, waiting))).all()
    overrun = now - max_run()
    lost = [job for job in map(_job, rows) if job.state == QUEUED or gone_here(job.worker) or
            aware(job.heartbeat_at or job.started_at or job.created_at) < limit or
            aware(job.started_at or job.created_at) < overrun]
    for job in lost:
        if job.state == RUNNING:
            reason = "interrupted: its worker stopped"
            if aware(job.started_at or job.created_at) < overrun and not gone_here(job.worker):
                reason = f"stopped: still running after {int(max_run().total_seconds())} s"
                stop_here(job.worker)
            if job.attempts >= MAX_ATTEMPTS:
                _finish(job.id, FAILED, error=f"{reason} (no attempts left)")
                continue
            job = _requeue(job, error=reason)
            if job is None:
                continue
        else:
            with _engine().begin() as connection:
                connection.execute(update(Job).where(Job.id == job.id, Job.state == QUEUED)
                                   .values(enqueued_at=now))
        try:
            _hand_over(job)
            count += 1
        except QueueUnavailable:
            log.error("queue unavailable: job %s stays failed", job.id)
    return count


def daily_key(kind: str, now: datetime) -> str:
    """The key of a daily job's run of one local day."""
    return f"{kind}:{aware(now).astimezone(local_zone()).date().isoformat()}"


def due_daily(now: datetime) -> list[Daily]:
    """Daily jobs whose time of day has passed and that have not started today."""
    local = aware(now).astimezone(local_zone())
    due = []
    for entry in _DAILY.values():
        at = str(current_app.config.get(entry.at_setting) or entry.default_at)
        hour, minute = (int(part) for part in at.split(":"))
        if (local.hour, local.minute) < (hour, minute):
            continue
        key = daily_key(entry.kind, now)
        with _engine().connect() as connection:
            started = connection.scalar(select(func.count()).select_from(Job).where(
                Job.key == key, Job.state != FAILED))
        if not started:
            due.append(entry)
    return due


# ============================================================================ reading
def recent(*, limit: int = 100, kind: str | None = None, tenant_slug: str | None = None) -> list[Job]:
    """The latest jobs, newest first (the jobs page)."""
    query = select(Job.__table__).order_by(Job.created_at.desc()).limit(limit)
    if kind:
        query = query.where(Job.kind == kind)
    if tenant_slug:
        query = query.where(Job.tenant_slug == tenant_slug)
    with _engine().connect() as connection:
        return [_job(row) for row in connection.execute(query)]


def depth() -> dict[str, dict[str, int]]:
    """Jobs waiting and running, by kind (metrics, the jobs page)."""
    with _engine().connect() as connection:
        rows = connection.execute(select(Job.kind, Job.state, func.count()).where(
            Job.state.in_((QUEUED, RUNNING))).group_by(Job.kind, Job.state)).all()
    counts: dict[str, dict[str, int]] = {}
    for kind, state, count in rows:
        counts.setdefault(kind, {QUEUED: 0, RUNNING: 0})[state] = count
    return counts


def oldest_queued_seconds(now: datetime | None = None) -> float:
    """How long the oldest queued job has waited (0 when none waits): a worker that is down
    shows here first."""
    now = now or utcnow()
    with _engine().connect() as connection:
        oldest = connection.scalar(select(func.min(Job.enqueued_at)).where(Job.state == QUEUED))
    return 0.0 if oldest is None else max(0.0, (now - aware(oldest)).total_seconds())


# ============================================================================ Huey's tasks
@queue.task(name="zeren.run")
def run(job_id: str) -> None:
    """Run one job of the catalog (a message naming a job that is gone or taken is dropped)."""
    with job_app().app_context():
        execute(job_id)


@queue.periodic_task(crontab(minute="*"), name="zeren.tick")
def scheduler_minute() -> None:
    """Once a minute, in the consumer that runs the periodic tasks: :func:`tick`."""
    with job_app().app_context():
        tick()

