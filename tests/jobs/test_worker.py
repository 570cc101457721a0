"""Reports made by a real job worker beside a real gunicorn: the page waits, a crowd shares
one rendering, and a worker killed in the middle of a job is replaced without the job
being lost."""
from __future__ import annotations

import html
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support.live import PROJECT_ROOT, Browser, LiveServer, run_flask, server_env

PASSWORD = "zeren-demo-2026"


def _start_worker(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--workers", "2",
                             "--worker-type", "process", "--no-periodic"],
                            cwd=PROJECT_ROOT, env=env, stdout=open(log, "a"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(process: subprocess.Popen, sig: int = signal.SIGINT) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _fetch(user: Browser, url: str) -> tuple[int, bytes, dict]:

    try:
        with user.opener.open(urllib.request.Request(url), timeout=60) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def _until_made(user: Browser, url: str, log: Path, seconds: float = 180) -> bytes:
    """Follow the waiting page as its reloads do (to the job's address) until the file
    comes; a timeout says what the worker logged."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, body, _headers = _fetch(user, url)
        if status == 200:
            return body
        assert status == 202, (status, body[:500])
        follow = re.search(r'http-equiv="refresh" content="\d+;url=([^"]+)"', body.decode())
        url = urllib.parse.urljoin(url, html.unescape(follow.group(1)))
        time.sleep(0.5)
    tail = "\n".join(line for line in log.read_text(errors="replace").splitlines() if "weasyprint" not in line)
    raise AssertionError(f"not made within {seconds} s; the worker's log ends:\n{tail[-4000:]}")


def _jobs(env: dict, kind: str) -> list[tuple[str, int]]:
    """(state, attempts) of the jobs of ``kind``, newest first, read from the catalog file
    (fast enough to catch a job while it runs)."""
    catalog = Path(env["ZEREN_TENANTS_DIR"]) / "catalog.sqlite3"
    with closing(sqlite3.connect(catalog, timeout=10)) as connection:
        return connection.execute("SELECT state, attempts FROM jobs WHERE kind = ? ORDER BY created_at DESC",
                                  (kind,)).fetchall()


@pytest.fixture(scope="module")
def city_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("jobs-live") / "data"
    env = server_env(root, ZEREN_JOBS_STALE_SECONDS="4")
    run_flask(env, "catalog", "upgrade")
    run_flask(env, "demo", "seed", "--bureaus", "3", "--password", PASSWORD)
    # The seed's own roll-up jobs, done first: the city summary orders below must not see
    # the figures change under them.
    worker = _start_worker(env, root.parent / "worker.log")
    try:
        deadline = time.monotonic() + 120
        while any(state in ("queued", "running") for state, _ in _jobs(env, "rollup.refresh")):
            assert time.monotonic() < deadline, "the seed's roll-up jobs did not finish"
            time.sleep(0.5)
    finally:
        _stop(worker)
    return root, env


def test_a_report_waits_for_the_worker_and_a_crowd_shares_one_rendering(city_root):
    root, env = city_root
    server = LiveServer(env, workers=2).start()
    worker = None
    try:
        users = []
        for _ in range(3):
            user = Browser()
            user.login(server.url, "city", PASSWORD)
            users.append(user)
        url = f"{server.url}/city/reports/{time.localtime().tm_year}.pdf"
        status, body, headers = _fetch(users[0], url)
        assert status == 202 and 'http-equiv="refresh"' in body.decode()  # no worker yet: it waits
        assert "排队" in body.decode() or "等待" in body.decode()
        for user in users[1:]:
            assert _fetch(user, url)[0] == 202
        assert _jobs(env, "report.city") == [("queued", 0)]
        log = root.parent / "worker.log"
        logged = log.stat().st_size
        worker = _start_worker(env, log)
        pdf = _until_made(users[1], url, log)
        assert pdf[:5] == b"%PDF-"
        for user in users:
            status, body, headers = _fetch(user, url)
            assert status == 200 and body == pdf and headers["X-Report-Cache"] == "hit"
        assert _jobs(env, "report.city") == [("done", 1)]
        # Each process worker warmed the layout itself once forked, none in their parent.
        started = log.read_text()[logged:]
        assert "Worker-1 app.reports.tasks: report layout warmed" in started
        assert "Worker-2 app.reports.tasks: report layout warmed" in started
        assert "MainProcess app.reports.tasks" not in started
        assert "weasyprint.progress" not in started  # every layout step at INFO flooded the log
    finally:
        if worker is not None:
            _stop(worker)
        server.stop()


def test_a_job_of_a_killed_worker_is_finished_by_the_next(city_root):
    root, env = city_root
    server = LiveServer(env, workers=1).start()
    worker = _start_worker(env, root.parent / "worker.log")
    try:
        user = Browser()
        user.login(server.url, "city", PASSWORD)
        url = f"{server.url}/city/reports/{time.localtime().tm_year}.docx"
        assert _fetch(user, url)[0] == 202
        deadline = time.monotonic() + 60
        while _jobs(env, "report.city")[0][0] != "running" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _jobs(env, "report.city")[0] == ("running", 1)
        _stop(worker, signal.SIGKILL)  # the consumer and its processes, mid-job
        assert _jobs(env, "report.city")[0] == ("running", 1)  # the row still says so …
        time.sleep(5)  # … until its heartbeat is older than ZEREN_JOBS_STALE_SECONDS
        worker = _start_worker(env, root.parent / "worker.log")
        document = _until_made(user, url, root.parent / "worker.log")
        assert document[:2] == b"PK"
        # Taken again (attempt 2) by the new worker, or given up and replaced by the
        # page's next request: either way nothing is left running or waiting.
        states = _jobs(env, "report.city")
        assert states[0] in (("done", 2), ("done", 1)) and not [s for s, _ in states if s in ("running", "queued")]
    finally:
        _stop(worker)
        server.stop()
