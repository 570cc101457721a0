"""Load on a real server: gunicorn on 127.0.0.1 with a demo city, simulated users over HTTP.

    .venv/bin/python bench/load.py [--backend sqlite|postgresql] [--bureaus 100] [--duration 30]
                                   [--users 10,50] [--writers 40] [--rush 30]
                                   [--scenario pages,writes,rss,rush] [--reuse] [--merge] [--write]
    .venv/bin/python bench/load.py --saved --write     # the last run's saved figures into RESULTS.md

Each simulated user is a thread with its own ``httpx.Client`` (its own cookies: it logs in
through the form, and reads CSRF tokens from the pages as a browser would).  Scenarios:

* ``pages``: bureau editors and city users browse (bureau home, duty list, an item,
  findings, score sheet; city dashboard, compare) with a think time, at each ``--users``;
* ``writes``: ``--writers`` bureau administrators record progress on their bureau's items
  without pause, every other write with a small PDF; a write is acknowledged when the
  server answered the POST with its redirect back to the item;
* ``rush``: ``--rush`` city users ask for the city summary PDF at once, the report cache
  emptied first; renderings are counted from ``X-Report-Cache: miss`` (or, with the job
  queue, ``202`` answers polled until the PDF arrives);
* ``rss``: VmRSS of every gunicorn worker and job-queue process before and after 16 bureau
  annual reports and 2 city summaries are rendered;

``rush`` runs last: without the job queue it can leave every worker busy for minutes.

In every scenario an anonymous client fetches ``/login`` a few times a second: the same
run's reference, so that figures taken on a busy machine can be compared.  The job-queue
worker (``flask jobs worker``) is started when ``flask jobs --help`` succeeds; the mode is
printed and written down.  Figures are saved after each scenario under bench/.work/
(``--merge`` keeps the saved ones of scenarios not run this time); ``--write`` replaces
this backend's part of the "Load" section of bench/RESULTS.md (``<!-- load -->``).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
PASSWORD = "Bench-load-2026!"
SECRET_KEY = "bench-load-secret-" + "k" * 32
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "zeren_bench_load"
#: Simulated browsers wait this long for an answer; a cold city summary takes tens of seconds.
CLIENT_TIMEOUT = 300.0
#: Log-ins answered 409 and retried (see :meth:`User.login`).
LOGIN_CONFLICTS: list[str] = []
#: Simulated users that could not log in or find their pages (they then sit out the run).
SETUP_FAILURES: list[str] = []
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# ============================================================================ figures
def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0–100) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Sample:
    label: str
    seconds: float
    ok: bool
    status: int
    ended: float  # monotonic clock at the answer


@dataclass
class Recorder:
    """Samples of one scenario run, appended by many threads (list.append is atomic)."""

    samples: list[Sample] = field(default_factory=list)

    def add(self, label: str, started: float, ok: bool, status: int) -> None:
        now = time.monotonic()
        self.samples.append(Sample(label, now - started, ok, status, now))

    def of(self, label: str) -> list[Sample]:
        return [s for s in self.samples if s.label == label]


def summarise(samples: list[Sample], seconds: float) -> dict:
    """Count, rate, errors and latency percentiles (ms) of the successful samples."""
    good = [s.seconds * 1000 for s in samples if s.ok]
    return {"count": len(samples), "ok": len(good), "errors": len(samples) - len(good),
            "rate": len(good) / seconds if seconds else 0.0,
            "p50": percentile(good, 50), "p95": percentile(good, 95), "p99": percentile(good, 99)}


def ms(value: float) -> str:
    return "—" if value != value else (f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms")


def secs(milliseconds: float) -> str:
    return "—" if milliseconds != milliseconds else f"{milliseconds / 1000:.1f} s"


def ratio(value: float, reference: float) -> str:
    return "—" if value != value or reference != reference or not reference else f"{value / reference:.1f}"


# ============================================================================ processes
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def parents() -> dict[int, int]:
    """pid → parent pid of every process, from /proc/<pid>/stat (field 4, after the name)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        found[int(entry)] = int(stat[stat.rindex(")") + 2:].split()[1])
    return found


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``."""
    tree = parents()
    below, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in tree.items() if ppid == parent]
        below += children
        frontier += children
    return below


def rss_kib(pid: int) -> int | None:
    """VmRSS of a process in KiB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_backends(database: str) -> list[int]:
    """PostgreSQL backend processes serving ``database`` (their title names it)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                title = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {database} " in title:
                found.append(int(entry))
    return found


class CpuMeter:
    """CPU used by the web workers, the job processes, the database's backends and this
    client between :meth:`start` and :meth:`stop`: where a write's cost goes, whatever else
    the machine runs (processes that end in between are counted up to their last reading)."""

    def __init__(self, server: "Server", database: str | None) -> None:
        self.server, self.database = server, database
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}

    def _groups(self) -> dict[tuple[str, int], float]:
        pids = {"web": [*self.server.worker_pids(), *([self.server.gunicorn.pid] if self.server.gunicorn else [])],
                "jobs": self.server.job_pids(),
                "database": database_backends(self.database) if self.database else []}
        readings = {(group, pid): cpu_seconds(pid) for group, members in pids.items() for pid in members}
        readings[("client", os.getpid())] = time.process_time()
        return readings

    def start(self) -> None:
        self.first = self._groups()

    def sample(self) -> None:
        self.last.update(self._groups())

    def stop(self) -> dict[str, float]:
        self.sample()
        used: Counter = Counter()
        for key, seconds in self.last.items():
            used[key[0]] += seconds - self.first.get(key, 0.0)
        return dict(used)


def flask(env: dict[str, str], *args: str, check: bool = True, timeout: float = 1800) -> subprocess.CompletedProcess:
    """``flask --app wsgi ARGS`` in the project directory."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


class Server:
    """gunicorn with the project's gunicorn.conf.py, and the job worker when there is one."""

    def __init__(self, env: dict[str, str], data_root: Path, workers: int | None) -> None:
        self.env = dict(env)
        self.port = free_port()
        self.env["ZEREN_BIND"] = f"127.0.0.1:{self.port}"
        if workers:
            self.env["ZEREN_WORKERS"] = str(workers)
        self.log_path = data_root.parent / f"{data_root.name}-gunicorn.log"
        self.jobs_log_path = data_root.parent / f"{data_root.name}-jobs.log"
        self.gunicorn: subprocess.Popen | None = None
        self.jobs: subprocess.Popen | None = None
        self.with_jobs = flask(self.env, "jobs", "--help", check=False, timeout=120).returncode == 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        log = open(self.log_path, "w")
        self.gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                          "wsgi:app"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        if self.with_jobs:
            self.jobs = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"], cwd=ROOT,
                                         env=self.env, stdout=open(self.jobs_log_path, "w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                raise SystemExit(f"gunicorn exited: see {self.log_path}")
            with contextlib.suppress(httpx.HTTPError):  # not listening yet: ask again
                if httpx.get(f"{self.url}/login", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        else:
            raise SystemExit("gunicorn did not answer within 90 s")
        # Every worker booted (the first answer can come before the last one forks).
        expected = int(self.env.get("ZEREN_WORKERS") or 2 * (os.cpu_count() or 1) + 1)
        while len(self.worker_pids()) < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        return self

    def worker_pids(self) -> list[int]:
        return [pid for pid, ppid in parents().items() if self.gunicorn and ppid == self.gunicorn.pid]

    def job_pids(self) -> list[int]:
        return [self.jobs.pid, *descendants(self.jobs.pid)] if self.jobs and self.jobs.poll() is None else []

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def stop(self) -> None:
        for process in (self.jobs, self.gunicorn):
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


# ============================================================================ data root
def base_env(data_root: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEREN_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({"ZEREN_TENANTS_DIR": str(data_root), "ZEREN_SECRET_KEY": SECRET_KEY, "PYTHONPATH": str(ROOT),
                # The demo has one city account where a city has a person per account: its
                # log-in limit (10 a minute) would refuse the simulated city users.
                "ZEREN_LOGIN_RATE_LIMIT": "1000 per minute"})
    if database_url:
        env["ZEREN_DATABASE_URL"] = database_url
    return env


def _pg(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG_SERVER.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(statement)


def prepare(backend: str, bureaus: int, reuse: bool) -> tuple[Path, dict[str, str], dict]:
    """A data root (and on PostgreSQL a database) with the catalog and ``bureaus`` demo
    bureaus; with ``reuse``, the one of an earlier run with the same backend and size."""
    data_root = WORK / f"load-{backend}-{bureaus}"
    database_url = PG_SERVER.rsplit("/", 1)[0] + f"/{PG_DATABASE}" if backend == "postgresql" else None
    env = base_env(data_root, database_url)
    marker = data_root / "bench-load.json"
    if reuse and marker.exists():
        seeded = json.loads(marker.read_text())
        print(f"reusing {data_root} ({bureaus} bureaus, seeded in {seeded['seed_seconds']:.0f} s)")
        return data_root, env, seeded
    if data_root.exists():
        shutil.rmtree(data_root)
    data_root.mkdir(parents=True)
    if database_url:
        _pg(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        _pg(f'CREATE DATABASE "{PG_DATABASE}"')
    flask(env, "catalog", "upgrade")
    print(f"seeding {bureaus} demo bureaus ({backend}) …", flush=True)
    started = time.perf_counter()
    flask(env, "demo", "seed", "--bureaus", str(bureaus), "--password", PASSWORD)
    seeded = {"bureaus": bureaus, "backend": backend, "seed_seconds": time.perf_counter() - started}
    marker.write_text(json.dumps(seeded))
    print(f"seeded in {seeded['seed_seconds']:.0f} s", flush=True)
    return data_root, env, seeded


def bureau_slugs(env: dict[str, str]) -> list[str]:
    """Active bureaus in the catalog, in slug order (read through the application)."""
    code = ("from app import create_app\nfrom app.tenancy import services\napp = create_app()\n"
            "with app.app_context():\n    print('\\n'.join(t.slug for t in services.list_tenants()))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=True)
    return sorted(line for line in result.stdout.split() if line)


def small_pdf(text: str) -> bytes:
    """A valid one-page PDF with ``text`` (ASCII), built with its cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# ============================================================================ simulated users
class User:
    """One browser: an ``httpx.Client`` keeping its cookies, redirects not followed (a
    redirect after a POST is the answer that acknowledges it)."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=CLIENT_TIMEOUT, follow_redirects=False)

    def login(self, username: str) -> None:
        """Log in through the form.  Concurrent log-ins of one account can be refused with
        409 (the account row's version changed under the second one): retried, as a user
        would, and counted in :data:`LOGIN_CONFLICTS`."""
        for attempt in range(10):
            page = self.client.get("/login")
            token = CSRF.search(page.text)
            reply = self.client.post("/login", data={"csrf_token": token.group(1) if token else "",
                                                     "username": username, "password": PASSWORD, "next": ""})
            if reply.status_code == 409:
                LOGIN_CONFLICTS.append(username)
                time.sleep(0.1 * (attempt + 1))
                continue
            if reply.status_code != 302 or "/login" in reply.headers.get("location", ""):
                raise RuntimeError(f"log-in as {username} failed: {reply.status_code}")
            return
        raise RuntimeError(f"log-in as {username} refused 10 times with 409")

    def timed_get(self, recorder: Recorder, label: str, url: str) -> httpx.Response | None:
        started = time.monotonic()
        try:
            reply = self.client.get(url)
        except httpx.HTTPError:
            recorder.add(label, started, False, 0)
            return None
        recorder.add(label, started, reply.status_code == 200, reply.status_code)
        return reply

    def close(self) -> None:
        self.client.close()


def links(html: str, pattern: str) -> list[str]:
    return sorted(set(re.findall(pattern, html)))


def bureau_pages(user: User, slug: str) -> dict[str, list[str]]:
    """The URLs a bureau user browses, found on the bureau's own pages."""
    base = f"/b/{slug}"
    lists = links(user.client.get(f"{base}/duties/").text, rf'href="({base}/duties/\d+)"')
    items: list[str] = []
    for duty_list in lists[:3]:
        items += links(user.client.get(duty_list).text, rf'href="({base}/duties/items/\d+)"')
    sheets = links(user.client.get(f"{base}/scoring/").text, rf'href="({base}/scoring/\d{{4}})"')
    return {"bureau home": [f"{base}/"], "duty list": lists, "duty item": items,
            "findings": [f"{base}/findings/"], "score sheet": sheets}


CITY_PAGES = ("city dashboard", "compare")
#: How often each page is opened relative to the others (a day's browsing, roughly).
WEIGHTS = {"bureau home": 3, "duty list": 3, "duty item": 4, "findings": 2, "score sheet": 1,
           "city dashboard": 3, "compare": 1}


def _timed_run(targets, ready: threading.Event, server, recorder, duration: float, meter: CpuMeter | None = None) -> float:
    """Start one thread per target (each called with the stop event), wait until every user
    is ready, then measure ``duration`` seconds beside the /login reference probe (and the
    CPU used, with ``meter``); return the seconds measured."""
    stop = threading.Event()
    threads = [threading.Thread(target=target, args=(stop,), daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    ready.wait()  # every user logged in and found its pages: measure from here
    probe = threading.Thread(target=reference_probe, args=(server.url, recorder, stop), daemon=True)
    if meter:
        meter.start()
    started = time.monotonic()
    probe.start()
    end = started + duration
    while time.monotonic() < end:  # read the meter now and then: job processes come and go
        time.sleep(min(1.0, max(0.0, end - time.monotonic())))
        if meter:
            meter.sample()
    stop.set()
    for thread in (*threads, probe):
        thread.join()
    return time.monotonic() - started


def reference_probe(base_url: str, recorder: Recorder, stop: threading.Event, every: float = 0.25) -> None:
    """Anonymous ``GET /login`` every ``every`` seconds: the run's reference page."""
    user = User(base_url)
    try:
        while not stop.is_set():
            user.timed_get(recorder, "/login (reference)", "/login")
            stop.wait(every)
    finally:
        user.close()


def run_threads(targets: list, stop_after: float | None, recorder: Recorder, base_url: str) -> float:
    """Run ``targets`` (callables taking a stop event) with the reference probe; return the
    seconds between the moment all were started and the last one's end."""
    stop = threading.Event()
    threads = [threading.Thread(target=t, args=(stop,), daemon=True) for t in targets]
    probe = threading.Thread(target=reference_probe, args=(base_url, recorder, stop), daemon=True)
    started = time.monotonic()
    probe.start()
    for thread in threads:
        thread.start()
    if stop_after is not None:
        time.sleep(stop_after)
        stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    stop.set()
    probe.join()
    return elapsed


# ---------------------------------------------------------------------------- pages
def scenario_pages(server: Server, slugs: list[str], users: int, duration: float, think: float) -> dict:
    """``users`` browsing users (one in five a city user) for ``duration`` seconds."""
    recorder = Recorder()
    ready = threading.Barrier(users + 1)

    def browse(index: int):
        def run(stop: threading.Event) -> None:
            user, local = User(server.url), random.Random(index)
            try:
                if index % 5 == 4:
                    user.login("city")
                    chosen = local.sample(slugs, min(4, len(slugs)))
                    pages = {"city dashboard": ["/city/"],
                             "compare": ["/city/compare?" + "&".join(f"b={s}" for s in chosen)]}
                else:
                    slug = slugs[index % len(slugs)]
                    user.login(f"{slug}-editor")
                    pages = {k: v for k, v in bureau_pages(user, slug).items() if v}
            except (RuntimeError, httpx.HTTPError) as error:
                SETUP_FAILURES.append(f"user {index}: {error}")
                ready.wait()
                return
            ready.wait()
            names = list(pages)
            weights = [WEIGHTS[n] for n in names]
            try:
                while not stop.is_set():
                    label = local.choices(names, weights)[0]
                    user.timed_get(recorder, label, local.choice(pages[label]))
                    stop.wait(local.uniform(0, 2 * think))
            finally:
                user.close()
        return run

    targets = [browse(i) for i in range(users)]
    elapsed = _timed_run(targets, ready, server, recorder, duration)
    labels = [*WEIGHTS, "all pages"]
    rows = {label: summarise(recorder.of(label), elapsed) for label in WEIGHTS}
    rows["all pages"] = summarise([s for s in recorder.samples if s.label in WEIGHTS], elapsed)
    return {"users": users, "seconds": elapsed, "think": think, "rows": {k: rows[k] for k in labels},
            "reference": summarise(recorder.of("/login (reference)"), elapsed)}


# ---------------------------------------------------------------------------- writes
def record_form(html: str) -> tuple[str, dict[str, str]] | None:
    """The action and hidden fields of an item page's "record progress" form."""
    match = re.search(r'<form[^>]*action="([^"]*/items/\d+/records)"[^>]*>(.*?)</form>', html, re.S)
    if not match:
        return None
    hidden = {}
    for tag in re.findall(r"<input[^>]*>", match.group(2)):
        if 'type="hidden"' in tag:
            name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
            if name:
                hidden[name.group(1)] = value.group(1) if value else ""
    return match.group(1).replace("&amp;", "&"), hidden


def scenario_writes(server: Server, slugs: list[str], writers: int, duration: float,
                    database: str | None = None) -> dict:
    """``writers`` bureau administrators recording progress without pause; the CPU each
    part of the system used for them is read from /proc."""
    recorder = Recorder()
    ready = threading.Barrier(writers + 1)
    evidence = small_pdf("load test evidence")
    today = date.today().isoformat()

    def write(index: int):
        def run(stop: threading.Event) -> None:
            user, local = User(server.url), random.Random(index)
            forms = []
            try:
                slug = slugs[index % len(slugs)]
                user.login(f"{slug}-admin")
                for item in bureau_pages(user, slug)["duty item"][:12]:
                    form = record_form(user.client.get(item).text)
                    if form:
                        forms.append((item, *form))
            except (RuntimeError, httpx.HTTPError) as error:
                SETUP_FAILURES.append(f"writer {index}: {error}")
            ready.wait()
            if not forms:
                SETUP_FAILURES.append(f"writer {index}: no item to record on")
            n = 0
            try:
                while forms and not stop.is_set():
                    item, action, hidden = local.choice(forms)
                    n += 1
                    with_file = n % 2 == 0
                    label = "write with a PDF" if with_file else "write"
                    data = {**hidden, "occurred_on": today, "count": "1",
                            "summary": f"负载测试 {index}-{n} {uuid.uuid4().hex[:8]}"}
                    files = [("files", ("evidence.pdf", evidence, "application/pdf"))] if with_file else None
                    started = time.monotonic()
                    try:
                        reply = user.client.post(action, data=data, files=files)
                    except httpx.HTTPError:
                        recorder.add(label, started, False, 0)
                        continue
                    acknowledged = reply.status_code == 302 and reply.headers.get("location", "").endswith(item)
                    recorder.add(label, started, acknowledged, reply.status_code)
            finally:
                user.close()
        return run

    meter = CpuMeter(server, database)
    elapsed = _timed_run([write(i) for i in range(writers)], ready, server, recorder, duration, meter)
    cpu = meter.stop()
    labels = ("write", "write with a PDF")
    rows = {label: summarise(recorder.of(label), elapsed) for label in labels}
    rows["all writes"] = summarise([s for s in recorder.samples if s.label in labels], elapsed)
    statuses = sorted({s.status for s in recorder.samples if s.label in labels and not s.ok})
    return {"writers": writers, "seconds": elapsed, "rows": rows, "failed_statuses": statuses, "cpu": cpu,
            "reference": summarise(recorder.of("/login (reference)"), elapsed)}


# ---------------------------------------------------------------------------- reports
def clear_report_cache(data_root: Path) -> None:
    """Empty the disk cache of rendered reports (workers keep their in-memory layouts)."""
    shutil.rmtree(data_root / "_cache" / "reports", ignore_errors=True)


def fetch_report(user: User, url: str, recorder: Recorder, label: str, outcome: dict) -> None:
    """GET a report until it is a PDF: a 202 (made by a job) is polled again."""
    started = time.monotonic()
    polls = 0
    while True:
        try:
            reply = user.client.get(url)
        except httpx.HTTPError as error:
            outcome.setdefault("errors", []).append(type(error).__name__)
            recorder.add(label, started, False, 0)
            return
        if reply.status_code == 202:
            polls += 1
            outcome["accepted"] = outcome.get("accepted", 0) + (polls == 1)
            time.sleep(min(float(reply.headers.get("retry-after", 1) or 1), 2.0))
            continue
        pdf = reply.status_code == 200 and reply.content.startswith(b"%PDF")
        cache = reply.headers.get("x-report-cache", "")
        outcome[cache or f"status {reply.status_code}"] = outcome.get(cache or f"status {reply.status_code}", 0) + 1
        recorder.add(label, started, pdf, reply.status_code)
        return


def scenario_rush(server: Server, data_root: Path, users: int, year: int) -> dict:
    """``users`` city users open the city summary at the same moment, cache emptied."""
    clear_report_cache(data_root)
    recorder, outcome = Recorder(), {}
    browsers = []
    for _ in range(users):
        user = User(server.url)
        user.login("city")
        browsers.append(user)
    offset = server.log_size()
    gate = threading.Barrier(users)

    def open_summary(user: User):
        def run(stop: threading.Event) -> None:
            gate.wait()
            fetch_report(user, f"/city/reports/{year}.pdf", recorder, "city summary", outcome)
        return run

    elapsed = run_threads([open_summary(u) for u in browsers], None, recorder, server.url)
    for user in browsers:
        user.close()
    log = server.log_since(offset)
    samples = recorder.of("city summary")
    return {"users": users, "seconds": elapsed, "summary": summarise(samples, elapsed),
            "last": max((s.seconds for s in samples if s.ok), default=float("nan")),
            "renderings": outcome.get("miss", 0), "hits": outcome.get("hit", 0), "accepted": outcome.get("accepted", 0),
            "server_errors": sum(1 for s in samples if s.status >= 500),
            "other": {k: v for k, v in outcome.items() if k not in ("miss", "hit", "accepted")},
            "timeouts": log.count("WORKER TIMEOUT"), "reference": summarise(recorder.of("/login (reference)"), elapsed)}


def rss_snapshot(server: Server) -> dict[str, int]:
    """VmRSS (KiB) of the gunicorn master, its workers and the job worker's processes."""
    found = {f"gunicorn worker {pid}": rss_kib(pid) for pid in sorted(server.worker_pids())}
    if server.gunicorn:
        found[f"gunicorn master {server.gunicorn.pid}"] = rss_kib(server.gunicorn.pid)
    found.update({f"job worker {pid}": rss_kib(pid) for pid in server.job_pids()})
    return {k: v for k, v in found.items() if v is not None}


def scenario_rss(server: Server, data_root: Path, slugs: list[str], year: int) -> dict:
    """VmRSS of every server process before and after a rush of PDFs."""
    snapshot = lambda: rss_snapshot(server)  # noqa: E731
    before = snapshot()
    clear_report_cache(data_root)
    recorder, outcome = Recorder(), {}
    offset = server.log_size()
    bureaus = [User(server.url) for _ in range(16)]
    for user in bureaus:
        user.login("city")

    def bureau_report(user: User, slug: str):
        return lambda stop: fetch_report(user, f"/b/{slug}/reports/{year}.pdf", recorder, "bureau report", outcome)

    started = time.monotonic()
    run_threads([bureau_report(u, s) for u, s in zip(bureaus, slugs[:16])], None, recorder, server.url)
    city = [User(server.url) for _ in range(2)]
    for user in city:
        user.login("city")
    run_threads([lambda stop, u=u, y=y: fetch_report(u, f"/city/reports/{y}.pdf", recorder, "city summary", outcome)
                 for u, y in zip(city, (year, year - 1))], None, recorder, server.url)
    elapsed = time.monotonic() - started
    for user in (*bureaus, *city):
        user.close()
    time.sleep(1)
    after = snapshot()
    return {"before": before, "after": after, "seconds": elapsed, "outcome": outcome, "reports": min(16, len(slugs)),
            "bureau": summarise(recorder.of("bureau report"), elapsed),
            "city": summarise(recorder.of("city summary"), elapsed),
            "timeouts": server.log_since(offset).count("WORKER TIMEOUT")}


# ============================================================================ output
def machine() -> str:
    load = os.getloadavg()[0]
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {load:.1f} at the start")


def client(run: dict) -> str:
    """How busy the machine and the load client itself were during a run."""
    if "client_cpu" not in run:
        return ""
    return (f"; load average {run['load']:.1f} at the end, the load client itself "
            f"{run['client_cpu'] * 100:.0f} % of a core")


def cpu_lines(run: dict) -> list[str]:
    """Where the writes' CPU went, per acknowledged write, and the rate two cores allow."""
    acknowledged = run["rows"]["all writes"]["ok"]
    if "cpu" not in run or not acknowledged:
        return []
    names = {"web": "gunicorn workers", "jobs": "job worker (roll-up)", "database": "PostgreSQL backends",
             "client": "load client"}
    per_write = {group: seconds * 1000 / acknowledged for group, seconds in run["cpu"].items() if seconds > 0}
    server_side = sum(v for k, v in per_write.items() if k != "client")
    cores = os.cpu_count() or 1
    lines = ["CPU per acknowledged write (from /proc, the measured seconds only):", "",
             "| part | CPU per write |", "|---|---|"]
    lines += [f"| {names.get(group, group)} | {value:.1f} ms |" for group, value in sorted(per_write.items())]
    lines += [f"| **server side** | **{server_side:.1f} ms** |", "",
              f"{cores} cores at {server_side + per_write.get('client', 0):.1f} ms a write (server and client) "
              f"allow at most **{cores * 1000 / (server_side + per_write.get('client', 0)):.0f} writes/s** "
              f"on this machine, {cores * 1000 / server_side:.0f}/s without the client."]
    return lines


def markdown(backend: str, mode: str, setup: dict, results: dict) -> str:
    """This backend's figures as Markdown."""
    out = [f"### {'SQLite' if backend == 'sqlite' else 'PostgreSQL'}", "",
           f"{setup['when']}; {setup['machine']}; {setup['bureaus']} demo bureaus "
           f"(`flask demo seed` took {setup['seed_seconds']:.0f} s); gunicorn "
           f"{setup['workers']} sync workers; {mode}.", ""]
    for run in results.get("pages", []):
        ref = run["reference"]
        out += [f"**Pages, {run['users']} users** ({run['seconds']:.0f} s, think time 0–{2 * run['think']:.0f} s "
                f"between pages; one user in five a city user{client(run)}):", "",
                "| page | requests | per second | p50 | p95 | p99 | errors | p50 / login | p95 / login |",
                "|---|---|---|---|---|---|---|---|---|"]
        for label, row in [*run["rows"].items(), ("`/login` (reference)", ref)]:
            if not row["count"]:
                continue
            bold = "**" if label == "all pages" else ""
            out.append(f"| {bold}{label}{bold} | {row['count']} | {row['rate']:.1f} | {ms(row['p50'])} | "
                       f"{bold}{ms(row['p95'])}{bold} | {ms(row['p99'])} | {row['errors']} | "
                       f"{ratio(row['p50'], ref['p50'])} | {ratio(row['p95'], ref['p95'])} |")
        out.append("")
    if "writes" in results:
        run = results["writes"]
        ref = run["reference"]
        out += [f"**Writes, {run['writers']} concurrent writers** ({run['seconds']:.0f} s without pause; "
                f"progress records on the writer's own bureau, every other one with a 1 KiB PDF{client(run)}):", "",
                "| write | acknowledged | per second | p50 | p95 | p99 | errors | p50 / login |",
                "|---|---|---|---|---|---|---|---|"]
        for label, row in [*run["rows"].items(), ("`/login` (reference)", ref)]:
            bold = "**" if label == "all writes" else ""
            out.append(f"| {bold}{label}{bold} | {row['ok']} | {bold}{row['rate']:.1f}{bold} | {ms(row['p50'])} | "
                       f"{bold}{ms(row['p95'])}{bold} | {ms(row['p99'])} | {row['errors']} | "
                       f"{ratio(row['p50'], ref['p50'])} |")
        if run["failed_statuses"]:
            out.append(f"\nStatuses of the failed writes: {', '.join(map(str, run['failed_statuses']))}.")
        out += ["", *cpu_lines(run)]
        out.append("")
    if "rush" in results:
        run = results["rush"]
        ref = run["reference"]
        other = ", ".join(f"{k}: {v}" if not isinstance(v, list) else
                          f"{k}: " + ", ".join(f"{n}× {e}" for e, n in sorted(Counter(v).items()))
                          for k, v in run["other"].items())
        out += [f"**Meeting-morning rush**: {run['users']} city users open the city summary PDF at once, "
                "report cache emptied first:", "",
                "| served the PDF | renderings | served from cache | answered 202 | last one served after | "
                "p50 | 5xx | worker timeouts | `/login` answered meanwhile |", "|---|---|---|---|---|---|---|---|---|",
                f"| **{run['summary']['ok']} of {run['users']}** | {run['renderings']} | {run['hits']} | "
                f"{run['accepted']} | **{secs(run['last'] * 1000)}** | {secs(run['summary']['p50'])} | "
                f"{run['server_errors']} | {run['timeouts']} | {ref['ok']} of {ref['count']}, p95 {ms(ref['p95'])} |"]
        if other:
            out.append(f"\nOther answers: {other}.")
        out.append("")
    if "rss" in results:
        run = results["rss"]
        out += [f"**Memory** (VmRSS from /proc) at the start, before and after {run['reports']} bureau annual "
                "reports and 2 city summaries (this and last year) were made at once, report cache emptied first "
                f"({run['seconds']:.0f} s; bureau reports served {run['bureau']['ok']} of {run['reports']}, p50 "
                f"{secs(run['bureau']['p50'])}; city summaries served {run['city']['ok']} of 2, p50 "
                f"{secs(run['city']['p50'])}; worker timeouts: {run['timeouts']}):", "",
                "| process | at the start | before | after |", "|---|---|---|---|"]
        mib = lambda kib: f"{kib / 1024:.0f} MiB" if kib else "—"  # noqa: E731
        start = setup.get("rss_at_start", {})
        for name in sorted(set(start) | set(run["before"]) | set(run["after"]), key=lambda n: (n.split()[0:2], n)):
            out.append(f"| {name} | {mib(start.get(name))} | {mib(run['before'].get(name))} | "
                       f"{mib(run['after'].get(name))} |")
        workers = [v for k, v in run["after"].items() if k.startswith("gunicorn worker")]
        if workers:
            out.append(f"\nGunicorn workers after the PDF rush: median {statistics.median(workers) / 1024:.0f} MiB, "
                       f"largest {max(workers) / 1024:.0f} MiB.")
        out.append("")
    if LOGIN_CONFLICTS:
        out.append(f"{len(LOGIN_CONFLICTS)} log-ins were answered 409 (the same account logging in "
                   "concurrently) and retried.")
    if SETUP_FAILURES:
        out.append(f"{len(SETUP_FAILURES)} simulated users could not start: {'; '.join(SETUP_FAILURES[:5])}.")
    return "\n".join(out)


HEADER = """## Load (`bench/load.py`)

gunicorn with the project's `gunicorn.conf.py` on 127.0.0.1 and simulated users over HTTP
(one `httpx.Client` per user, logged in through the form, CSRF tokens read from the
pages), on the same machine as the server.  Every scenario fetches the anonymous `/login`
page a few times a second as its reference, measured in the same run.  Targets: pages
p95 < 200 ms at 50 users; 40 concurrent writers ≥ 100 acknowledged writes/s with
p95 < 500 ms on SQLite and PostgreSQL; 30 city users opening the city summary at once →
one rendering, everyone served within 10 s, no worker timeout.
"""


def write_results(backend: str, text: str, note: str) -> None:
    """Replace this backend's block (its figures, after ``note``) inside the ``<!-- load -->``
    section of bench/RESULTS.md; the other backend's block stays."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_foundation import write_section

    path = ROOT / "bench" / "RESULTS.md"
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    blocks = {}
    if "<!-- load -->" in existing:
        section = existing[existing.index("<!-- load -->"):existing.index("<!-- /load -->")]
        for name in ("sqlite", "postgresql"):
            begin, end = f"<!-- load:{name} -->", f"<!-- /load:{name} -->"
            if begin in section:
                blocks[name] = section[section.index(begin):section.index(end) + len(end)]
    heading, _, rest = text.partition("\n")
    note = f"\n{note.strip()}\n" if note.strip() else ""
    blocks[backend] = f"<!-- load:{backend} -->\n{heading}\n{note}{rest.rstrip()}\n<!-- /load:{backend} -->"
    body = HEADER
    body += "".join(f"\n{blocks[name]}\n" for name in ("sqlite", "postgresql") if name in blocks)
    write_section("load", body)


# ============================================================================ main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--bureaus", type=int, default=100)
    parser.add_argument("--duration", type=float, default=30, help="seconds per page and write run")
    parser.add_argument("--users", default="10,50", help="browsing users, comma-separated")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a user's pages (s)")
    parser.add_argument("--writers", type=int, default=40)
    parser.add_argument("--rush", type=int, default=30, help="city users in the meeting-morning rush")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--scenario", default="pages,writes,rss,rush")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the data root (and database) of an earlier run, and keep it afterwards")
    parser.add_argument("--merge", action="store_true",
                        help="keep the saved figures of scenarios not run now (same backend and size)")
    parser.add_argument("--saved", action="store_true",
                        help="run nothing: show (and with --write, write) the figures saved by the last run")
    parser.add_argument("--write", action="store_true", help="write the figures into bench/RESULTS.md")
    parser.add_argument("--note", default="", help="a paragraph written above this backend's figures (--write)")
    args = parser.parse_args()
    scenarios = {s.strip() for s in args.scenario.split(",") if s.strip()}
    unknown = scenarios - {"pages", "writes", "rush", "rss"}
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")

    saved = WORK / f"load-{args.backend}-{args.bureaus}-results.json"
    if args.saved:
        stored = json.loads(saved.read_text())
        text = markdown(args.backend, stored["mode"], stored["setup"], stored["results"])
        print(text)
        if args.write:
            write_results(args.backend, text, args.note)
            print("written to bench/RESULTS.md")
        return

    setup = {"machine": machine(), "when": f"Measured {date.today().isoformat()}"}
    data_root, env, seeded = prepare(args.backend, args.bureaus, args.reuse)
    setup.update(bureaus=seeded["bureaus"], seed_seconds=seeded["seed_seconds"])
    slugs = bureau_slugs(env)
    year = date.today().year
    server = Server(env, data_root, args.workers)
    mode = ("job queue: `flask jobs worker` running" if server.with_jobs
            else "no job queue (`flask jobs` absent): reports are made inside the requests")
    print(f"mode: {mode}", flush=True)
    results: dict = json.loads(saved.read_text())["results"] if args.merge and saved.exists() else {}

    def done(name: str, run, line: str) -> None:
        results[name] = run
        saved.write_text(json.dumps({"setup": setup, "mode": mode, "results": results}, ensure_ascii=False))
        print(line, flush=True)

    try:
        server.start()
        setup["workers"] = len(server.worker_pids())
        setup["rss_at_start"] = rss_snapshot(server)
        print(f"gunicorn on {server.url} with {setup['workers']} workers; log {server.log_path}", flush=True)
        if "pages" in scenarios:
            runs = []
            for users in (int(u) for u in args.users.split(",")):
                cpu = time.process_time()
                run = scenario_pages(server, slugs, users, args.duration, args.think)
                run.update(client_cpu=(time.process_time() - cpu) / run["seconds"], load=os.getloadavg()[0])
                runs.append(run)
                done("pages", runs, f"pages, {users} users: {run['rows']['all pages']['rate']:.1f}/s, "
                     f"p95 {ms(run['rows']['all pages']['p95'])}, errors {run['rows']['all pages']['errors']}; "
                     f"/login p95 {ms(run['reference']['p95'])}")
        if "writes" in scenarios:
            cpu = time.process_time()
            run = scenario_writes(server, slugs, args.writers, args.duration,
                                  PG_DATABASE if args.backend == "postgresql" else None)
            run.update(client_cpu=(time.process_time() - cpu) / run["seconds"], load=os.getloadavg()[0])
            done("writes", run, f"writes, {args.writers} writers: {run['rows']['all writes']['rate']:.1f}/s "
                 f"acknowledged, p95 {ms(run['rows']['all writes']['p95'])}, errors {run['rows']['all writes']['errors']}")
        if "rss" in scenarios:
            run = scenario_rss(server, data_root, slugs, year)
            done("rss", run, "rss after the PDF rush: " + ", ".join(f"{k} {v / 1024:.0f} MiB"
                                                                    for k, v in run["after"].items()))
        # Last: without the job queue a rush can leave every worker busy for minutes with
        # requests whose clients have given up.
        if "rush" in scenarios:
            run = scenario_rush(server, data_root, args.rush, year)
            done("rush", run, f"rush, {args.rush} users: {run['summary']['ok']} served, {run['renderings']} "
                 f"renderings, last served after {secs(run['last'] * 1000)}, 5xx {run['server_errors']}, "
                 f"worker timeouts {run['timeouts']}")
    finally:
        server.stop()
        if args.backend == "postgresql" and not args.reuse:
            _pg(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            shutil.rmtree(data_root, ignore_errors=True)
        text = markdown(args.backend, mode, setup, results)
        print("\n" + text)
    if args.write:
        write_results(args.backend, text, args.note)
        print("written to bench/RESULTS.md")


if __name__ == "__main__":
    main()
