"""Disk cache of rendered reports (PDF, docx) and of the city summary's bureau profiles.

Entries live under ``<TENANTS_DIR>/_cache/reports/`` (the leading underscore keeps the
folder out of the bureau namespace: no slug can start with one, so a bureau named
``cache`` can never own or back up these files).  An entry's name is the SHA-256 of its
key, a JSON list naming everything the output depends on:

* the report and its arguments (bureau slug, year, audience, filters),
* :func:`template_version`: a digest of the application's templates, stylesheets,
  translations and code (``app/``), the font families and the WeasyPrint version,
* the data: each bureau's ``Tenant.data_version`` (bumped after every commit that touched
  its rows) and ``Tenant.version`` (its name and status), the roll-up's computation
  stamps for the city summary,
* the day (overdue is derived from today's date) and the locale.

A changed input gives another name, so entries are never invalidated, only evicted:
least recently used first (a hit refreshes the file's modification time) once the folder
exceeds ``REPORTS_CACHE_MB`` (default 256) or ``REPORTS_CACHE_FILES`` (default 2000).
Writes go to a temporary file in the same folder and are renamed into place, so a reader
sees a whole entry or none, also across processes.

The laid-out *parts* of reports (:mod:`app.reports.parts`) are a second folder of the same
kind, ``<TENANTS_DIR>/_cache/parts/`` (``REPORTS_PARTS_CACHE_MB``, default 512, and
``REPORTS_PARTS_CACHE_FILES``, default 5000), shared by every process.  :meth:`ReportCache.lock`
is a lock across processes (``fcntl.flock`` on one of 64 lock files in the folder's
``.locks``, chosen by the key: a bounded number of files, never deleted, so no process can
hold a lock on a file another has just replaced).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import threading
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from flask import current_app

#: Suffixes of the files whose content shapes a report: templates, stylesheets,
#: translations and the code of every feature (a deployment that changes how a figure is
#: computed must not serve a PDF made by the old code).
SOURCE_SUFFIXES = (".py", ".html", ".css", ".js", ".mo", ".po", ".yaml", ".yml", ".json")
_prune_lock = threading.Lock()
#: Lock files of a cache folder (keys share them by their first digits).
LOCK_FILES = 64


@lru_cache(maxsize=8)
def _digest_sources(root: str, families: tuple[str, ...]) -> str:
    # The installed version, read without importing WeasyPrint: a web worker computes
    # report keys but never lays out a page, and need not load Pango for it.
    digest = hashlib.sha256(f"weasyprint {metadata.version('weasyprint')} {families}".encode())
    base = Path(root)
    for file in sorted(p for p in base.rglob("*") if p.suffix in SOURCE_SUFFIXES and "__pycache__" not in p.parts):
        digest.update(str(file.relative_to(base)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def template_version(app=None) -> str:
    """Digest of the sources that shape a report and of the font settings (every
    ``PDF_FONT_*``: role, fallback and emoji faces); computed once per process."""
    app = app or current_app
    fonts = tuple(sorted((name, str(value)) for name, value in app.config.items() if name.startswith("PDF_FONT_")))
    return _digest_sources(app.root_path, fonts)


def make_key(*parts: object) -> str:
    """The entry name of a key (any JSON-serialisable parts; dates as ISO text)."""
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ReportCache:
    """A bounded folder of rendered outputs (see the module's docstring)."""

    def __init__(self, root: str | Path, *, max_bytes: int, max_files: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.max_files = max_files

    def _path(self, key: str, suffix: str) -> Path:
        if not key.isalnum() or not suffix.isalnum():
            raise ValueError("cache keys and suffixes are hex digests and extensions")
        return self.root / f"{key}.{suffix}"

    def get(self, key: str, suffix: str) -> bytes | None:
        """The stored bytes, or ``None``; a hit counts as a use for eviction."""
        path = self._path(key, suffix)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        with contextlib.suppress(OSError):  # evicted by another process meanwhile: the bytes are still good
            os.utime(path)
        return data

    def has(self, key: str, suffix: str) -> bool:
        """Whether an entry exists (the reports page shows which reports are ready)."""
        return self._path(key, suffix).is_file()

    def put(self, key: str, suffix: str, data: bytes) -> None:
        """Store ``data`` atomically, then evict beyond the bounds."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=f".{suffix}")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, self._path(key, suffix))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.prune()

    def prune(self) -> None:
        """Delete the least recently used entries until both bounds hold."""
        with _prune_lock:
            entries = []
            for entry in os.scandir(self.root):
                if entry.name.startswith(".tmp-") or not entry.is_file():
                    continue
                try:
                    stat = entry.stat()
                except FileNotFoundError:
                    continue
                entries.append((stat.st_mtime, stat.st_size, entry.path))
            total = sum(size for _mtime, size, _path in entries)
            entries.sort()
            while entries and (total > self.max_bytes or len(entries) > self.max_files):
                _mtime, size, path = entries.pop(0)
                Path(path).unlink(missing_ok=True)
                total -= size

    @contextlib.contextmanager
    def lock(self, key: str):
        """Hold the lock of ``key`` across processes (and threads: each holder opens its
        own file) until the block ends; another holder of the same key waits."""
        try:
            stripe = int(key[:8], 16) % LOCK_FILES
        except ValueError:
            raise ValueError("cache keys are hex digests") from None
        folder = self.root / ".locks"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{stripe:02d}.lock"
        with open(path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def clear(self) -> None:
        """Delete every entry."""
        if self.root.is_dir():
            for entry in os.scandir(self.root):
                if entry.is_file():
                    Path(entry.path).unlink(missing_ok=True)


def report_cache(app=None) -> ReportCache:
    """The application's report cache."""
    app = app or current_app
    cache = app.extensions.get("zeren.report_cache")
    if cache is None:
        cache = app.extensions.setdefault("zeren.report_cache", ReportCache(
            Path(app.config["TENANTS_DIR"]) / "_cache" / "reports",
            max_bytes=int(app.config.get("REPORTS_CACHE_MB", 256)) * 1024 * 1024,
            max_files=int(app.config.get("REPORTS_CACHE_FILES", 2000))))
    return cache


def parts_cache(app=None) -> ReportCache:
    """The folder of laid-out report parts shared by every process (:mod:`app.reports.parts`)."""
    app = app or current_app
    cache = app.extensions.get("zeren.report_parts")
    if cache is None:
        cache = app.extensions.setdefault("zeren.report_parts", ReportCache(
            Path(app.config["TENANTS_DIR"]) / "_cache" / "parts",
            max_bytes=int(app.config.get("REPORTS_PARTS_CACHE_MB", 512)) * 1024 * 1024,
            max_files=int(app.config.get("REPORTS_PARTS_CACHE_FILES", 5000))))
    return cache
