"""The rules of jobs: one per key, run by whoever takes it first, retried, found again
after a crash, started once a day when scheduled."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from app.extensions import db
from app.jobs import queue, services
from app.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from app.models import utcnow
from app.ops.process import this_process

from tests.helpers import work_queue as work

CALLS: list[dict] = []


@services.handler("test.echo")
def _echo(progress, **params):
    progress(1, 2, "halfway")
    CALLS.append(params)
    return {"echo": params}


FAILURES = {"left": 0}


@services.handler("test.flaky")
def _flaky(progress, **params):
    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise RuntimeError("字体缺失：No Such Sans")
    return {"ok": True}


@pytest.fixture(autouse=True)
def _fresh_calls():
    CALLS.clear()
    FAILURES["left"] = 0


def _set(job_id: str, **values) -> None:
    with db.engine.begin() as connection:
        connection.execute(update(Job).where(Job.id == job_id).values(**values))


def test_a_second_request_for_the_same_key_joins_the_queued_job(queued):
    first = services.submit("test.echo", "echo:a", {"n": 1}, requested_by="city")
    second = services.submit("test.echo", "echo:a", {"n": 2})
    other = services.submit("test.echo", "echo:b", {"n": 3})
    assert second.id == first.id and other.id != first.id
    assert first.state == QUEUED and queued.pending_count() == 2
    assert work() == 2
    assert CALLS == [{"n": 1}, {"n": 3}]
    done = services.get(first.id)
    assert (done.state, done.result, done.done, done.total, done.stage) == (DONE, {"echo": {"n": 1}}, 1, 2, "halfway")
    assert done.dedup is None and done.attempts == 1 and done.requested_by == "city"
    # Its slot is free: the next request is a new job.
    assert services.submit("test.echo", "echo:a", {"n": 4}).id != first.id


def test_merge_widens_a_queued_job(queued):
    union = lambda old, new: {"features": sorted(set(old["features"]) | set(new["features"]))}  # noqa: E731
    first = services.submit("test.echo", "k", {"features": ["duties"]}, merge=union)
    services.submit("test.echo", "k", {"features": ["findings"]}, merge=union)
    assert services.get(first.id).params == {"features": ["duties", "findings"]}


def test_a_message_delivered_twice_runs_the_job_once(queued):
    job = services.submit("test.echo", "twice", {})
    services.run(job.id)  # a duplicate, as a requeue after a lost message can make
    assert work() == 2
    assert len(CALLS) == 1 and services.get(job.id).state == DONE


def test_an_error_is_retried_later_then_left_failed_with_its_words(queued):
    FAILURES["left"] = 5
    job = services.submit("test.flaky", "flaky", {})
    work()
    again = services.get(job.id)
    assert again.state == QUEUED and again.attempts == 1 and "No Such Sans" in again.error
    assert queued.scheduled_count() == 1  # handed back with a delay, not at once
    later = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=1)  # Huey's clock: naive UTC
    for _attempt in range(2):
        for task in queued.read_schedule(later):  # the scheduler's part, an hour on
            queued.execute(task, later)
        work()  # a delayed message waits in the queue until a worker moves it to the schedule
    failed = services.get(job.id)
    assert failed.state == FAILED and failed.attempts == services.MAX_ATTEMPTS
    assert failed.error == "字体缺失：No Such Sans" and failed.dedup is None


def test_a_job_whose_worker_died_goes_back_on_the_queue(queued):
    job = services.submit("test.echo", "lost", {"n": 1})
    queued.flush()  # the worker took the message …
    long_ago = utcnow() - timedelta(minutes=10)
    _set(job.id, state=RUNNING, attempts=1, started_at=long_ago, heartbeat_at=long_ago)  # … and was killed
    assert services.requeue_lost() == 1
    assert services.get(job.id).state == QUEUED
    work()
    assert services.get(job.id).state == DONE and CALLS == [{"n": 1}]


def test_a_running_job_that_still_beats_is_left_alone(queued):
    job = services.submit("test.echo", "alive", {})
    queued.flush()
    # Running longer than a heartbeat may lapse, not as long as a job may run.
    _set(job.id, state=RUNNING, started_at=utcnow() - timedelta(minutes=5), heartbeat_at=utcnow())
    assert services.requeue_lost() == 0
    # A request for the same key joins it rather than starting a second rendering.
    assert services.submit("test.echo", "alive", {}).id == job.id


def test_a_lost_worker_s_job_is_not_joined_but_replaced(queued):
    job = services.submit("test.echo", "replaced", {})
    long_ago = utcnow() - timedelta(minutes=10)
    _set(job.id, state=RUNNING, started_at=long_ago, heartbeat_at=long_ago)
    fresh = services.submit("test.echo", "replaced", {})
    assert fresh.id != job.id and services.get(job.id).state == FAILED


def test_a_queued_message_lost_with_the_queue_s_storage_is_sent_again(queued):
    job = services.submit("test.echo", "forgotten", {})
    queued.flush()  # e.g. Redis restarted without persistence
    assert services.requeue_lost() == 0  # not yet: it may simply be waiting its turn
    _set(job.id, enqueued_at=utcnow() - timedelta(minutes=10))
    assert services.requeue_lost() == 1
    work()
    assert services.get(job.id).state == DONE


def test_a_starting_worker_sends_every_queued_job_again_and_each_runs_once(queued):
    # A web worker killed between recording the job and sending its message, or a worker
    # killed after taking the message: the row waits, the queue holds nothing.
    orphan = services.submit("test.echo", "orphan", {"n": 1})
    queued.flush()
    waiting = services.submit("test.echo", "waiting", {"n": 2})  # its message is still there
    assert services.requeue_lost() == 0
    assert services.requeue_lost(every_queued=True) == 2
    work()
    assert services.get(orphan.id).state == DONE and services.get(waiting.id).state == DONE
    assert sorted(call["n"] for call in CALLS) == [1, 2]  # the duplicate message found it taken


def test_an_unreachable_queue_fails_the_job_and_says_so(app):
    app.config["QUEUE_URL"] = "redis://127.0.0.1:1/0"
    queue.configure(app)
    try:
        with pytest.raises(services.QueueUnavailable):
            services.submit("test.echo", "nowhere", {})
    finally:
        app.config["QUEUE_URL"] = "memory://"
        queue.configure(app)
    job = services.latest("nowhere")
    assert job.state == FAILED and "queue unavailable" in job.error and job.dedup is None


def test_the_test_queue_runs_a_job_inside_the_caller(app):
    job = services.submit("test.echo", "at-once", {"n": 7})
    assert job.state == DONE and CALLS == [{"n": 7}]


def test_a_daily_job_starts_once_a_day_after_its_time(queued, app):
    services.daily("test.echo", at_setting="TEST_ECHO_AT", default_at="07:30")
    try:
        shanghai = timezone(timedelta(hours=8))
        before = datetime(2026, 12, 2, 7, 29, tzinfo=shanghai)
        after = datetime(2026, 12, 2, 7, 31, tzinfo=shanghai)
        assert "test.echo" not in [d.kind for d in services.due_daily(before)]
        assert "test.echo" in [d.kind for d in services.due_daily(after)]
        services.tick(after)
        assert "test.echo" not in [d.kind for d in services.due_daily(after + timedelta(hours=3))]
        assert services.latest("test.echo:2026-12-02").state == QUEUED
        assert "test.echo" in [d.kind for d in services.due_daily(after + timedelta(days=1))]
        app.config["TEST_ECHO_AT"] = "23:00"
        assert "test.echo" not in [d.kind for d in services.due_daily(after + timedelta(days=1))]
    finally:
        services._DAILY.pop("test.echo")


def test_ended_jobs_are_forgotten_after_a_month(queued):
    old = services.submit("test.echo", "old", {})
    work()
    _set(old.id, finished_at=utcnow() - services.KEEP_ENDED - timedelta(days=1))
    recent = services.submit("test.echo", "recent", {})
    services.tick()
    assert services.get(old.id) is None and services.get(recent.id) is not None


def test_depth_and_wait_count_what_is_waiting(queued):
    services.submit("test.echo", "d1", {})
    services.submit("test.echo", "d2", {})
    assert services.depth()["test.echo"] == {QUEUED: 2, RUNNING: 0}
    assert services.oldest_queued_seconds() >= 0
    work()
    assert services.depth() == {} and services.oldest_queued_seconds() == 0


def test_queue_urls_choose_the_storage(tmp_path):
    from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

    assert queue.storage_for("memory://")[0] is MemoryStorage and queue.storage_for("memory://")[2]
    storage, options, immediate = queue.storage_for(f"sqlite:///{tmp_path}/q/jobs.sqlite3")
    assert storage is SqliteStorage and options["filename"] == f"{tmp_path}/q/jobs.sqlite3" and not immediate
    assert (tmp_path / "q").is_dir()
    assert queue.storage_for("redis://127.0.0.1:6379/1")[0] is RedisStorage
    with pytest.raises(RuntimeError, match="unknown scheme"):
        queue.storage_for("amqp://guest@localhost//")
    with pytest.raises(RuntimeError, match="sqlite:///"):
        queue.storage_for("sqlite://relative")


def test_a_job_running_past_its_limit_is_taken_from_its_stuck_worker(queued, app):
    # A worker deadlocked inside a job still beats (its heartbeat thread lives on).
    stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        job = services.submit("test.echo", "stuck", {"n": 7})
        queued.flush()
        long_ago = utcnow() - timedelta(seconds=app.config["JOBS_MAX_SECONDS"] + 60)
        _set(job.id, state=RUNNING, attempts=1, started_at=long_ago, heartbeat_at=utcnow(),
             worker=f"{socket.gethostname()}:{stuck.pid}")
        assert services.requeue_lost() == 1
        assert stuck.wait(timeout=10) == -signal.SIGKILL
        requeued = services.get(job.id)
        assert requeued.state == QUEUED and requeued.error.startswith("stopped: still running after")
        work()
        assert services.get(job.id).state == DONE and CALLS == [{"n": 7}]
    finally:
        stuck.kill()
        stuck.wait()


def test_this_process_is_never_killed_for_a_job_it_runs_too_long(queued, app):
    job = services.submit("test.echo", "self", {})
    queued.flush()
    long_ago = utcnow() - timedelta(seconds=app.config["JOBS_MAX_SECONDS"] + 60)
    _set(job.id, state=RUNNING, attempts=1, started_at=long_ago, heartbeat_at=utcnow(), worker=this_process())
    assert services.requeue_lost() == 1  # still here to say so
    assert services.get(job.id).state == QUEUED


def test_importing_the_wsgi_module_starts_no_thread(tmp_path):
    # gunicorn's master and the job consumer fork their workers from the process that
    # imported it: a thread busy at the fork leaves its locks held in every child.
    from tests.support.live import PROJECT_ROOT, server_env

    code = "import threading, wsgi; print(sorted(t.name for t in threading.enumerate()))"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=server_env(tmp_path / "data"),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['MainThread']"


def test_worker_start_steps_run_once_a_process_and_one_failing_stops_no_other(app, monkeypatch):
    ran = []

    def failing(_app):
        ran.append("failing")
        raise RuntimeError("no fonts")

    monkeypatch.setattr(queue, "_at_start", [failing, lambda started: ran.append(started.name)])
    monkeypatch.setattr(queue, "_worker_app", app)
    monkeypatch.setattr(queue, "_started_in", None)
    queue._after_fork()
    queue._after_fork()  # a second thread worker of the same process
    assert ran == ["failing", app.name]
