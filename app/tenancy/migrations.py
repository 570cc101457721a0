"""The two Alembic environments, driven programmatically.

``migrations/catalog`` upgrades the catalog; ``migrations/tenant`` is applied to every
bureau.  Each call passes an open connection to the environment (``env.py``), so no
``alembic.ini`` and no URL juggling are needed.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from .store import POSTGRESQL, TenantRef, TenantStore

CATALOG = "catalog"
TENANT = "tenant"


def alembic_config(migrations_dir: str | Path, env: str, connection: Connection | None = None,
                   schema: str | None = None) -> Config:
    """An Alembic config for ``env`` (``catalog`` or ``tenant``) bound to ``connection``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations_dir) / env))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = schema
    return cfg


@lru_cache(maxsize=8)
def _script(migrations_dir: str, env: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(migrations_dir, env))


def heads(migrations_dir: str | Path, env: str) -> tuple[str, ...]:
    """All head revisions of an environment (there must be exactly one)."""
    return tuple(_script(str(migrations_dir), env).get_heads())


def head_revision(migrations_dir: str | Path, env: str) -> str:
    """The single head revision of an environment."""
    found = heads(migrations_dir, env)
    if len(found) != 1:
        raise RuntimeError(f"{env} migrations must have exactly one head, found {found}")
    return found[0]


def upgrade_catalog(engine: Engine, migrations_dir: str | Path, target: str = "head") -> str | None:
    """Upgrade the catalog database; return its revision afterwards."""
    work = sqlite_schema_work(engine) if engine.dialect.name == "sqlite" else engine.begin()
    with work as connection:
        command.upgrade(alembic_config(migrations_dir, CATALOG, connection), target)
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def catalog_revision(engine: Engine) -> str | None:
    """The catalog database's current revision (``None`` before its first upgrade)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def migration_connection(store: TenantStore, ref: TenantRef,
                         engines: dict[str, Engine] | None = None) -> Iterator[Connection]:
    """A connection in a transaction for schema work on one bureau.

    PostgreSQL gets an engine of its own, never the shared, pooled one the web requests
    use: the tenant env sets the dialect's default schema, which must not leak into them.
    Without ``engines`` that engine is thrown away afterwards; with it (an upgrade worker
    going through thousands of bureaus) one engine per server is kept there and reused,
    one connection each, which saves a connection set-up per bureau.
    """
    if ref.backend == POSTGRESQL:
        url = store.servers[ref.server]
        connect_args = store.engine_options.get("connect_args", {})
        if engines is None:
            engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
        else:
            engine = engines.get(url)
            if engine is None:
                engine = engines[url] = create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=True,
                                                      connect_args=connect_args)
        try:
            with engine.begin() as connection:
                yield connection
        finally:
            if engines is None:
                engine.dispose()
    else:
        with sqlite_schema_work(store.engine_for(ref)) as connection:
            yield connection


@contextmanager
def sqlite_schema_work(engine: Engine) -> Iterator[Connection]:
    """A SQLite connection in a transaction for migrations, its foreign keys off meanwhile.

    A batch migration rebuilds a table (copy, drop, rename), and with foreign keys on,
    dropping a parent table first deletes its children (ON DELETE CASCADE): adding a
    constraint to duty_items emptied progress_records.  The pragma works only outside a
    transaction, so it is set before the first statement; the keys are checked once the
    work is done, before it commits, and are on again for whoever uses the connection next.
    """
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            with connection.begin():
                yield connection
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def tenant_revision(connection: Connection, ref: TenantRef) -> str | None:
    """The Alembic revision recorded in a bureau's own version table."""
    options = {"version_table_schema": ref.schema} if ref.backend == POSTGRESQL else {}
    return MigrationContext.configure(connection, opts=options).get_current_revision()


def stamp_tenant(connection: Connection, ref: TenantRef, migrations_dir: str | Path, target: str = "head") -> None:
    """Record ``target`` as the bureau's revision without running migrations."""
    command.stamp(alembic_config(migrations_dir, TENANT, connection, ref.schema), target)


def _run_tenant_env(connection: Connection, ref: TenantRef, migrations_dir: str | Path, target: str,
                    upgrade: bool) -> str | None:
    """Run the tenant environment on ``connection`` towards ``target``; the bureau's revision after.

    What ``alembic.command.upgrade``/``downgrade`` do, with the script directory read once
    per process (:func:`_script`) instead of once per bureau: parsing every revision file
    again was a quarter of a bureau's upgrade at thousands of bureaus.  The steps come
    from the same ``ScriptDirectory`` methods those commands call.
    """
    script = _script(str(migrations_dir), TENANT)

    def steps(revision, _context):
        return script._upgrade_revs(target, revision) if upgrade else script._downgrade_revs(target, revision)

    config = alembic_config(migrations_dir, TENANT, connection, ref.schema)
    with EnvironmentContext(config, script, fn=steps, destination_rev=target):
        script.run_env()
    return tenant_revision(connection, ref)


def upgrade_tenant(store: TenantStore, ref: TenantRef, migrations_dir: str | Path,
                   target: str = "head", engines: dict[str, Engine] | None = None) -> str | None:
    """Upgrade one bureau to ``target``; return its revision afterwards (``engines``: see
    :func:`migration_connection`)."""
    with migration_connection(store, ref, engines) as connection:
        return _run_tenant_env(connection, ref, migrations_dir, target, upgrade=True)


def downgrade_tenant(store: TenantStore, ref: TenantRef, migrations_dir: str | Path, target: str) -> str | None:
    """Downgrade one bureau (used by tests and benchmarks to create pending revisions)."""
    with migration_connection(store, ref) as connection:
        return _run_tenant_env(connection, ref, migrations_dir, target, upgrade=False)
