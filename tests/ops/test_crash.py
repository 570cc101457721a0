"""A crash under load loses no acknowledged write and leaves nothing running (issue 13).

Clients record progress through HTTP on a gunicorn with two workers while one worker and
then the master are SIGKILLed (the job worker goes down with the master, as a host's
service would).  Afterwards: no worker of the dead master and no process of the dead job
worker is left running, the server and the job worker start again on the same port,
every SQLite database passes ``PRAGMA integrity_check``, every write that was acknowledged (answered with the redirect
back to its item) is in its bureau, and the city's figures of every bureau catch up with
the bureau's data version.  Runs on SQLite, and on PostgreSQL too in the suite's
PostgreSQL pass (a database of its own, made and dropped here).  Waits are bounded;
nothing here measures time.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.support.live import PROJECT_ROOT, Browser, LiveServer, run_flask, run_python, server_env

PASSWORD = "Crash-test-Passw0rd"
POSTGRES_URL = os.environ.get("ZEREN_TEST_POSTGRES_URL")
WRITERS_PER_BUREAU = 2


# -- processes ------------------------------------------------------------------------
def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process from /proc/<pid>/stat; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return fields[0], int(fields[1])


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat and stat[1] == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    """Still running: signal 0 reaches it and it is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def wait_until(condition, seconds: float, what: str, every: float = 0.2):
    """Poll ``condition`` until it returns something truthy; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds:.0f} s: {what}")
        time.sleep(every)


def start_jobs(env: dict[str, str], log: Path) -> subprocess.Popen:
    """The job-queue worker, ``flask jobs worker``, as the service runs it."""
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"], cwd=PROJECT_ROOT,
                            env=env, stdout=open(log, "a"), stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def today() -> str:
    """Today in the bureaus' time zone (the configuration's default), as the form takes it."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


# -- writers --------------------------------------------------------------------------
class Writer(threading.Thread):
    """A bureau administrator recording progress on the bureau's items until stopped.

    ``acknowledged`` collects ``(slug, summary)`` of every write the server answered with
    the redirect back to the item; a refused connection or any other answer is only
    retried, as a user would press the button again.
    """

    def __init__(self, url: str, slug: str, number: int, acknowledged: list, stopping: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.slug, self.number = url, slug, number
        self.acknowledged, self.stopping = acknowledged, stopping
        self.browser = Browser()
        self.browser.login(url, f"{slug}-admin", PASSWORD)
        base = f"{url}/b/{slug}/duties"
        lists = sorted(set(re.findall(rf'href="/b/{slug}/duties/(\d+)"', self.browser.get(f"{base}/").text)))
        page = self.browser.get(f"{base}/{lists[0]}").text
        self.items = sorted(set(re.findall(rf'href="/b/{slug}/duties/items/(\d+)"', page)))[:5]
        item_page = self.browser.get(f"{base}/items/{self.items[0]}").text
        self.token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', item_page).group(1)
        assert f"/items/{self.items[0]}/records" in item_page, "no progress form on the item page"

    def run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            n += 1
            item = self.items[n % len(self.items)]
            summary = f"崩溃测试 {self.slug} {self.number}-{n} {uuid.uuid4().hex[:8]}"
            try:
                reply = self.browser.request(f"{self.url}/b/{self.slug}/duties/items/{item}/records", {
                    "csrf_token": self.token, "occurred_on": today(), "summary": summary, "count": "1", "version": ""})
            except (OSError, http.client.HTTPException):  # refused or cut while the server is down
                time.sleep(0.05)
                continue
            if reply.status == 302 and reply.location.endswith(f"/duties/items/{item}"):
                self.acknowledged.append((self.slug, summary))
            else:
                time.sleep(0.05)


# -- the data root ----------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def city(request, tmp_path):
    """A data root (and on PostgreSQL a database) with a catalog and 3 demo bureaus."""
    extra = {}
    admin = None
    if request.param == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("PostgreSQL: set ZEREN_TEST_POSTGRES_URL")
        server = make_url(POSTGRES_URL)
        name = f"zeren_crash_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        extra["ZEREN_DATABASE_URL"] = server.set(database=name).render_as_string(hide_password=False)
    data_root = tmp_path / "tenants"
    env = server_env(data_root, **extra)
    try:
        run_flask(env, "catalog", "upgrade")
        run_flask(env, "demo", "seed", "--bureaus", "3", "--password", PASSWORD)
        yield request.param, env, data_root
    finally:
        if admin is not None:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


def _slugs(env: dict[str, str]) -> list[str]:
    return json.loads(run_python(env, """
import json
from app.tenancy import services as tenancy
print(json.dumps([t.slug for t in tenancy.list_tenants()]))
""").strip().splitlines()[-1])


def _summaries(env: dict[str, str]) -> dict[str, set[str]]:
    """Every progress record's text, per bureau, read from the bureaus' own databases."""
    found = json.loads(run_python(env, """
import json
from sqlalchemy import select
from app.duties.models import ProgressRecord
from app.extensions import db
from app.tenancy import services as tenancy
from app.tenancy.session import tenant_context
found = {}
for tenant in tenancy.list_tenants():
    with tenant_context(tenant):
        found[tenant.slug] = list(db.session.scalars(select(ProgressRecord.summary)))
print(json.dumps(found))
""").strip().splitlines()[-1])
    return {slug: set(texts) for slug, texts in found.items()}


def _behind(catalog_url: str) -> dict[str, tuple]:
    """Active bureaus whose figures of this year lag their data version: slug → (data
    version, figures' data version or None)."""
    year = int(today()[:4])
    engine = create_engine(catalog_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT t.slug, t.data_version, m.data_version FROM tenants t "
                "LEFT JOIN tenant_metrics m ON m.tenant_id = t.id AND m.year = :year "
                "WHERE t.status = 'active'"), {"year": year}).all()
    finally:
        engine.dispose()
    return {slug: (version, figures) for slug, version, figures in rows if figures != version}


def _integrity(data_root: Path) -> dict[str, str]:
    """``PRAGMA integrity_check`` of the catalog and every bureau SQLite file."""
    results = {}
    for path in sorted(data_root.rglob("*.sqlite3")):
        connection = sqlite3.connect(path)
        try:
            results[str(path.relative_to(data_root))] = connection.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            connection.close()
    return results


# -- the test -------------------------------------------------------------------------
def test_a_killed_worker_and_master_lose_no_acknowledged_write_and_leave_no_orphan(city, tmp_path):
    backend, env, data_root = city
    slugs = _slugs(env)
    assert len(slugs) == 3
    jobs_log = tmp_path / "jobs.log"
    server = LiveServer(env, workers=2).start()
    processes = {"server": server, "jobs": start_jobs(env, jobs_log)}
    try:
        acknowledged = _crash_while_writing(processes, env, data_root, slugs, tmp_path, jobs_log)

        if backend == "sqlite":
            checked = _integrity(data_root)
            assert "catalog.sqlite3" in checked, checked
            assert all(any(name.startswith(f"{slug}/") for name in checked) for slug in slugs), checked
            assert all(result == "ok" for result in checked.values()), checked

        stored = _summaries(env)
        lost = [(slug, summary) for slug, summary in acknowledged if summary not in stored.get(slug, set())]
        assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged writes are missing: {lost[:5]}"

        jobs = processes["jobs"]
        assert jobs.poll() is None, f"flask jobs worker is not running (exit {jobs.returncode}): see {jobs_log}"
        catalog_url = env.get("ZEREN_DATABASE_URL") or f"sqlite:///{data_root / 'catalog.sqlite3'}"
        deadline = time.monotonic() + 60
        while lagging := _behind(catalog_url):
            assert time.monotonic() < deadline, f"figures behind their bureau's data version after 60 s: {lagging}"
            time.sleep(1)
    finally:
        stop(processes["jobs"])
        for name in ("restarted", "server"):
            if name in processes:
                processes[name].stop()
        for pid in processes.get("orphans", []):
            if alive(pid) and _stat(pid) and _stat(pid)[1] == 1:  # still an orphan of this test: reparented to init
                os.kill(pid, signal.SIGKILL)


def _crash_while_writing(processes: dict, env: dict[str, str], data_root: Path, slugs: list[str],
                         tmp_path: Path, jobs_log: Path) -> list[tuple[str, str]]:
    """Writers on every bureau while a worker, then the master (and the job worker) are
    SIGKILLed; no orphan may remain; restart on the same port.  Returns the acknowledged
    writes as ``(slug, summary)``; ``processes`` holds what is running for the clean-up."""
    server = processes["server"]
    stopping = threading.Event()
    acknowledged: list[tuple[str, str]] = []
    writers: list[Writer] = []
    try:
        writers = [Writer(server.url, slug, n, acknowledged, stopping)
                   for slug in slugs for n in range(WRITERS_PER_BUREAU)]
        for writer in writers:
            writer.start()
        wait_until(lambda: len(acknowledged) >= 20, 60, "20 acknowledged writes before the crash")

        master = server.process.pid
        workers = wait_until(lambda: (found := children(master)) and len(found) == 2 and found, 30, "two workers")
        os.kill(workers[0], signal.SIGKILL)
        before = len(acknowledged)
        wait_until(lambda: len(acknowledged) >= before + 20, 60, "writes acknowledged after a worker was killed")
        wait_until(lambda: len(children(master)) == 2, 30, "the master replacing its killed worker")

        workers = children(master)
        job_children = children(processes["jobs"].pid)
        processes["orphans"] = workers + job_children  # killed at the end if the test fails
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        processes["jobs"].send_signal(signal.SIGKILL)
        processes["jobs"].wait(timeout=10)
        wait_until(lambda: not any(alive(pid) for pid in workers), 10,
                   f"workers {workers} of the killed master exiting")
        wait_until(lambda: not any(alive(pid) for pid in job_children), 10,
                   f"processes {job_children} of the killed job worker exiting")
        time.sleep(0.5)  # the writers meet a refused connection for a while, as users would

        os.replace(data_root.parent / f"gunicorn-{server.port}.log", tmp_path / "gunicorn-before-crash.log")
        # The same port: nothing of the killed server may still hold it.
        processes["restarted"] = LiveServer(env, workers=2, port=server.port).start()
        processes["jobs"] = start_jobs(env, jobs_log)
        before = len(acknowledged)
        wait_until(lambda: len(acknowledged) >= before + 10, 60, "writes acknowledged after the restart")
    finally:
        stopping.set()
        for writer in writers:
            writer.join(timeout=30)
    return list(acknowledged)
