"""Processes that lay out the parts of a cold report in parallel.

Layout is Python under the GIL and WeasyPrint allows one layout per process
(:data:`app.reports.pdf._weasy_lock`), so a report's cold time falls with cores only if
its parts are laid out in several processes.  :class:`LayoutPool` keeps up to ``size``
layout processes (:mod:`app.reports.layoutproc`), started when first needed and kept for
the next report; each is replaced after ``recycle`` parts, so that the memory a layout
leaves behind is given back.  They write the parts into the shared parts folder
themselves; the caller only learns which parts are there.

The processes are plain subprocesses talking JSON lines over pipes, not
``multiprocessing``: the job worker's process workers are daemonic, and daemonic
processes may not start ``multiprocessing`` children.

Settings: ``REPORTS_LAYOUT_PROCESSES`` (default: the cores, at most one per 400 MB of
available memory; 1 lays everything out in the calling process; the test suite's default
is 1) and ``REPORTS_LAYOUT_RECYCLE`` (parts per process, default 40).
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger(__name__)

#: Memory one layout process may take at its peak (measured: 150–300 MB on the city summary's parts).
PROCESS_MB = 400
_pools: dict[tuple, "LayoutPool"] = {}
_pools_lock = threading.Lock()


def _available_mb() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def default_size() -> int:
    """One process per core, at most one per :data:`PROCESS_MB` of available memory."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    memory = _available_mb()
    return max(1, min(cores, memory // PROCESS_MB if memory else cores))


class _Child:
    """One layout process and the parts it has laid out."""

    def __init__(self, static_dir: str, store, parts: int = 0) -> None:
        script = Path(__file__).with_name("layoutproc.py")
        self.process = subprocess.Popen(
            [sys.executable, str(script), static_dir, str(store.root), str(store.max_bytes), str(store.max_files),
             str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, text=True, encoding="utf-8", bufsize=1)
        self.static_dir = static_dir
        self.root = str(store.root)
        self.parts = parts

    def ask(self, key: str, html: str | None = None, **numbers) -> dict:
        """Have the process lay one part out (or, given ``prefix`` and ``names``, a
        report's page numbers); its answer."""
        task = {"key": key, "html": html} if html is not None else {"key": key, **numbers}
        self.process.stdin.write(json.dumps(task, ensure_ascii=False) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise EOFError("the layout process ended")
        self.parts += 1
        return json.loads(answer)

    def close(self) -> None:
        """End the process (at the end of its input) and wait for it."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


class LayoutPool:
    """Up to ``size`` layout processes, each replaced after ``recycle`` parts; used for a
    report when at least ``min_parts`` of its parts are to be laid out (fewer are laid
    out in the calling process: no process to start or wake)."""

    def __init__(self, size: int, *, recycle: int = 40, min_parts: int = 3) -> None:
        self.size = max(1, size)
        self.recycle = max(1, recycle)
        self.min_parts = min_parts
        self._idle: list[_Child] = []
        self._lock = threading.Lock()
        self.started = 0
        # Children are started from one thread that lives as long as the pool: a child
        # asks Linux to kill it when its parent dies (PR_SET_PDEATHSIG), and Linux takes
        # the *thread* that started it for its parent, so a child started by a report's
        # layout thread was killed when that thread ended, and no idle child survived to
        # the next report.
        self._starter = ThreadPoolExecutor(1, thread_name_prefix="report-layout-start")

    def worth(self, missing: int) -> bool:
        """Whether ``missing`` parts are better laid out by the pool."""
        return self.size > 1 and missing >= self.min_parts

    def _take(self, static_dir: str, store) -> _Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.process.poll() is None and child.static_dir == static_dir and child.root == str(store.root):
                    return child
                child.close()
            self.started += 1
        return self._starter.submit(_Child, static_dir, store).result()

    def _give_back(self, child: _Child) -> None:
        if child.parts >= self.recycle or child.process.poll() is not None:
            child.close()
            return
        with self._lock:
            self._idle.append(child)

    def lay_out(self, missing: dict[str, str], *, static_dir: str, store) -> dict[str, bool]:
        """Lay out the parts ``missing`` ({key: HTML}) into ``store``'s folder; {key:
        whether it was laid out now (else another process had)} of the parts that are
        there.  A part whose process failed is left out (the caller lays it out)."""
        tasks: queue.Queue = queue.Queue()
        for key, html in sorted(missing.items(), key=lambda item: -len(item[1])):  # longest first
            tasks.put((key, html))
        done: dict[str, bool] = {}
        done_lock = threading.Lock()

        def run() -> None:
            child = None
            try:
                while True:
                    try:
                        key, html = tasks.get_nowait()
                    except queue.Empty:
                        return
                    if child is None:
                        child = self._take(static_dir, store)
                    try:
                        answer = child.ask(key, html)
                    except (OSError, EOFError, ValueError) as error:
                        log.warning("layout process failed on a part (%s); it is laid out in the caller", error)
                        child.close()
                        child = None
                        continue
                    if "error" in answer:
                        log.warning("layout process: %s", answer["error"])
                    else:
                        with done_lock:
                            done[key] = bool(answer.get("laid"))
                    if child.parts >= self.recycle:
                        child.close()
                        child = None
            finally:
                if child is not None:
                    self._give_back(child)

        threads = [threading.Thread(target=run, name=f"report-layout-{n}", daemon=True)
                   for n in range(min(self.size, len(missing)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return done

    def lay_out_numbers(self, key: str, prefix: str, names: tuple[str, ...], *, static_dir: str, store) -> bool:
        """Lay a report's page numbers (:func:`app.reports.parts.render_numbers`) out into
        ``store``'s folder in a layout process; whether it was laid out now.  On a failure
        nothing is there, and the caller lays them out itself."""
        child = self._take(static_dir, store)
        try:
            answer = child.ask(key, prefix=prefix, names=list(names))
        except (OSError, EOFError, ValueError) as error:
            log.warning("layout process failed on page numbers (%s); they are laid out in the caller", error)
            child.close()
            return False
        self._give_back(child)
        if "error" in answer:
            log.warning("layout process: %s", answer["error"])
            return False
        return bool(answer.get("laid"))

    def close(self) -> None:
        """End every idle process."""
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.close()


def pool(app) -> LayoutPool | None:
    """The process's layout pool for ``app``'s settings, or ``None`` when parts are laid
    out in the calling process (one process configured, or the test suite's default)."""
    configured = app.config.get("REPORTS_LAYOUT_PROCESSES")
    if configured is None and app.testing:
        return None
    size = int(configured) if configured else default_size()
    if size <= 1:
        return None
    recycle = int(app.config.get("REPORTS_LAYOUT_RECYCLE") or 40)
    with _pools_lock:
        # By process too: a forked process has neither its parent's children nor the
        # pool's starting thread.
        key = (os.getpid(), size, recycle)
        found = _pools.get(key)
        if found is None:
            found = _pools[key] = LayoutPool(size, recycle=recycle)
        return found


@atexit.register
def _close_all() -> None:
    with _pools_lock:
        pools = list(_pools.values())
    for each in pools:
        each.close()
