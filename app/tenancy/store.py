"""Where each bureau's data lives and the engine that reaches it.

A :class:`TenantRef` is the small, immutable description of one bureau's placement that
the routing session carries; :class:`TenantStore` turns it into an engine, always the
*same* engine object for the same bureau (two option engines for one tenant would make
the session split one unit of work over two connections, see DESIGN "Cache the
per-tenant engine object").
"""
from __future__ import annotations

import re
import secrets
import sqlite3
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
#: Names of folders in the data root (and the blob store) that are not bureaus: no bureau may take them.
RESERVED_SLUGS = frozenset({"city-files"})
SQLITE = "sqlite"
POSTGRESQL = "postgresql"


class InvalidSlug(ValueError):
    """A bureau slug that could escape a path or a schema name."""


def validate_slug(slug: object) -> str:
    """Return ``slug`` if it matches ``^[a-z][a-z0-9-]{1,39}$``; raise :class:`InvalidSlug`.

    Called before any file path or schema name is built from a slug, so ``../x``,
    ``a/b`` or upper-case names can never reach the file system or SQL.
    """
    if not isinstance(slug, str) or not SLUG_PATTERN.fullmatch(slug):
        raise InvalidSlug(f"invalid bureau slug: {slug!r}")
    return slug


def schema_for(slug: str) -> str:
    """PostgreSQL schema of a bureau: ``t_<slug>`` with hyphens as underscores."""
    return "t_" + validate_slug(slug).replace("-", "_")


def new_storage_key() -> str:
    """A fresh identity for one incarnation of a bureau's storage (see :class:`TenantRef`)."""
    return secrets.token_hex(6)


def sqlite_file_name(storage: str | None) -> str:
    """File name of a bureau's SQLite database for a storage key (``None``: the first layout)."""
    return f"bureau-{storage}.sqlite3" if storage else "bureau.sqlite3"


class StorageBusy(RuntimeError):
    """A bureau's database stayed write-locked longer than the busy timeout."""


@dataclass(frozen=True)
class TenantRef:
    """One bureau's placement: backend, server name, schema (PostgreSQL only) and storage key.

    ``storage`` names one incarnation of the bureau's storage.  Provisioning and restore
    give every new database a new key, and on SQLite the key is part of the file name, so
    a process that still holds a replaced bureau's file can never write into its
    successor: the next request reads the new key from the catalog, which is a different
    ref, hence a different engine.  ``None`` is the single file of bureaus made before keys
    existed (``bureau.sqlite3``).
    """

    slug: str
    backend: str
    server: str
    schema: str | None = None
    storage: str | None = None

    def __post_init__(self) -> None:
        validate_slug(self.slug)


def parse_servers(spec: str, catalog_url: str) -> dict[str, str]:
    """Parse ``ZEREN_TENANT_SERVERS`` (``name=url,name=url``); default: the catalog's server."""
    servers: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        name, sep, url = part.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise ValueError(f"ZEREN_TENANT_SERVERS entry must be name=url, got {part!r}")
        servers[name.strip()] = url.strip()
    if not servers and catalog_url.startswith("postgresql"):
        servers["default"] = catalog_url
    return servers


def sqlite_pragmas(busy_timeout_ms: int):
    """A connect hook: WAL, foreign keys, busy timeout (every SQLite file we open)."""
    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, much faster commits
        cursor.close()

    return on_connect


def sqlite_engine(path: Path, busy_timeout_ms: int = 5000) -> Engine:
    """An engine for one existing SQLite file with WAL, foreign keys and a busy timeout.

    The file is opened ``mode=rw``: SQLite never creates it, so a process that still
    holds the path of a deleted bureau gets an error instead of a new, empty database.
    """
    engine = create_engine(f"sqlite:///file:{quote(str(Path(path).resolve()))}?mode=rw&uri=true")
    event.listen(engine, "connect", sqlite_pragmas(busy_timeout_ms))
    return engine


class TenantStore:
    """Engines for bureau databases, held in a bounded LRU.

    SQLite: one engine per bureau file; an evicted engine is disposed (its file handles
    closed).  PostgreSQL: one real engine (and pool) per *server*, never evicted, and per
    bureau a cached ``execution_options(schema_translate_map=...)`` view of it, which
    shares that pool; evicting such a view needs no disposal.
    """

    def __init__(self, *, tenants_dir: str | Path, catalog_url: str, servers: dict[str, str],
                 capacity: int = 64, busy_timeout_ms: int = 5000,
                 engine_options: dict | None = None, default_server: str | None = None) -> None:
        self.tenants_dir = Path(tenants_dir)
        self.catalog_url = catalog_url
        self.backend = POSTGRESQL if catalog_url.startswith("postgresql") else SQLITE
        self.servers = servers
        self.capacity = max(1, capacity)
        self.busy_timeout_ms = busy_timeout_ms
        self.engine_options = engine_options or {}
        if default_server is not None and self.backend == POSTGRESQL and default_server not in servers:
            raise ValueError(f"ZEREN_DEFAULT_TENANT_SERVER={default_server!r} names no tenant server; "
                             f"known: {', '.join(servers)}")
        self.default_server = default_server or next(iter(servers), None)
        self._engines: OrderedDict[TenantRef, Engine] = OrderedDict()
        self._server_engines: dict[str, Engine] = {}
        self._lock = threading.RLock()

    # -- placement ---------------------------------------------------------------
    def placement_for(self, slug: str, server: str | None = None) -> TenantRef:
        """Where a new bureau goes: a new file in its folder (SQLite) or ``t_<slug>`` on a
        server, with a fresh storage key."""
        validate_slug(slug)
        if self.backend == SQLITE:
            if server not in (None, SQLITE):
                raise KeyError(f"tenant servers apply to PostgreSQL only; this catalog is SQLite (got {server!r})")
            return TenantRef(slug=slug, backend=SQLITE, server=SQLITE, storage=new_storage_key())
        name = server or self.default_server
        if name not in self.servers:
            raise KeyError(f"unknown tenant server {name!r}; known: {', '.join(self.servers)}")
        return TenantRef(slug=slug, backend=POSTGRESQL, server=name, schema=schema_for(slug),
                         storage=new_storage_key())

    def tenant_dir(self, slug: str) -> Path:
        """The bureau's folder: its SQLite file (SQLite mode) and its uploaded files."""
        return self.tenants_dir / validate_slug(slug)

    def sqlite_path(self, ref: TenantRef) -> Path:
        """The SQLite file of one incarnation of a bureau (``bureau-<key>.sqlite3``)."""
        return self.tenant_dir(ref.slug) / sqlite_file_name(ref.storage)

    def files_dir(self, slug: str) -> Path:
        return self.tenant_dir(slug) / "files"

    # -- engines -----------------------------------------------------------------
    def server_engine(self, name: str) -> Engine:
        """The shared engine of a named PostgreSQL tenant server."""
        with self._lock:
            engine = self._server_engines.get(name)
            if engine is None:
                if name not in self.servers:
                    raise KeyError(f"unknown tenant server {name!r}")
                url = make_url(self.servers[name])
                engine = create_engine(url, **self.engine_options)
                self._server_engines[name] = engine
            return engine

    def engine_for(self, ref: TenantRef) -> Engine:
        """The engine for one bureau: the same object every call while it stays cached."""
        with self._lock:
            engine = self._engines.get(ref)
            if engine is not None:
                self._engines.move_to_end(ref)
                return engine
            # Another ref for this slug is a replaced incarnation (restored or re-created
            # bureau): drop its engine so no pooled connection to the old file survives.
            for stale in [r for r in self._engines if r.slug == ref.slug]:
                self._release(stale, self._engines.pop(stale))
            if ref.backend == SQLITE:
                engine = sqlite_engine(self.sqlite_path(ref), self.busy_timeout_ms)
            else:
                engine = self.server_engine(ref.server).execution_options(
                    schema_translate_map={None: ref.schema}
                )
            self._engines[ref] = engine
            while len(self._engines) > self.capacity:
                old_ref, old_engine = self._engines.popitem(last=False)
                self._release(old_ref, old_engine)
            return engine

    def forget(self, ref: TenantRef) -> None:
        """Drop (and dispose) a bureau's engine, e.g. before its file is deleted or replaced."""
        with self._lock:
            for cached in [r for r in self._engines if r.slug == ref.slug]:
                self._release(cached, self._engines.pop(cached))

    @contextmanager
    def write_locked(self, ref: TenantRef) -> Iterator[None]:
        """Hold a bureau's write lock (SQLite) while its catalog entry is replaced or removed.

        Writers that already hold the lock finish first; writers that come later wait, then
        find in the catalog that the storage they opened is gone (the routing session checks
        it before every commit) and fail instead of writing into a retired file.  PostgreSQL
        needs no lock here: ``DROP SCHEMA`` waits for open writers by itself.
        """
        path = self.sqlite_path(ref) if ref.backend == SQLITE else None
        if path is None or not path.exists():
            yield
            return
        connection = sqlite3.connect(path, timeout=self.busy_timeout_ms / 1000, isolation_level=None)
        try:
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                raise StorageBusy(f"the database of {ref.slug} stayed busy: {error}") from None
            yield
        finally:
            connection.close()

    def cached_refs(self) -> list[TenantRef]:
        with self._lock:
            return list(self._engines)

    def dispose_all(self) -> None:
        """Close every connection this store holds (tests, shutdown)."""
        with self._lock:
            for ref, engine in list(self._engines.items()):
                self._release(ref, engine)
            self._engines.clear()
            for engine in self._server_engines.values():
                engine.dispose()
            self._server_engines.clear()

    @staticmethod
    def _release(ref: TenantRef, engine: Engine) -> None:
        if ref.backend == SQLITE:
            engine.dispose()
