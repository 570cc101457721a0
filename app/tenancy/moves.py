"""Moving a bureau to another PostgreSQL server, verified before the switch.

The order of a move, and why:

1. The catalog row records the move (``moving_to``, ``moving_by``, ``moving_since``):
   from then on every transaction that writes to the bureau is refused at its commit-time
   check (:class:`~app.tenancy.session.BureauMoving`); pages still read the old schema.
2. Every table of the schema is locked in SHARE mode once: writers that passed their
   check before step 1 hold ROW EXCLUSIVE locks, so this waits for them to commit.  After
   it nothing can commit to the old schema.
3. ``pg_dump -n t_<slug>`` from the old server, ``pg_restore`` into the new one.
4. Row count and checksum of every table, and the value of every sequence, compared on
   both servers (read in UTC and ISO formats, so the same rows print the same).
5. The catalog switches the placement (a new storage key: every process notices the new
   incarnation) and clears the move.  Pages read the new schema from the next request.
6. The old schema is dropped, only now.

A failure before step 5 drops what was copied to the new server and clears the move: the
bureau stays where it was and is writable again.  A move whose process died (kill -9, a
lost machine) is undone the same way by :func:`recover_interrupted`, which the job
scheduler runs every minute and ``flask tenants move`` / ``list`` run first.
"""
from __future__ import annotations

import logging
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterator

from flask_babel import gettext as _
from sqlalchemy import create_engine, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from app.core.actor import Actor
from app.errors import Conflict, DomainError, ValidationError
from app.extensions import db
from app.models import utcnow
from app.ops.process import gone_here, this_process

from .models import Tenant
from .store import POSTGRESQL, new_storage_key

log = logging.getLogger(__name__)

#: A move that has not ended after this long is presumed dead even if its process cannot
#: be seen (another host): the bureau must not stay read-only for ever.
STALE_AFTER = timedelta(hours=2)
#: How long step 2 waits for a writer that is still in its transaction.
DRAIN_TIMEOUT = "60s"

STAGES = ("read-only", "drained", "copied", "verified", "switched", "dropped")


class MoveFailed(DomainError):
    """The copy on the new server does not match the old one, or a tool failed."""


@dataclass
class Moved:
    """What a finished move did."""

    slug: str
    source: str
    target: str
    tables: dict[str, tuple[int, str]] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _server_url(name: str) -> str:
    from .services import store

    return store().servers[name]


@contextmanager
def _on(url: str, *, transaction: bool = True) -> Iterator[Connection]:
    """A connection to a server by URL on a throw-away engine (the settings a move sets
    never reach the pooled connections of web requests)."""
    from .services import store

    engine = create_engine(url, poolclass=NullPool, connect_args=store().engine_options.get("connect_args", {}))
    try:
        with (engine.begin() if transaction else engine.connect()) as connection:
            yield connection
    finally:
        engine.dispose()


def _tables(connection: Connection, schema: str) -> list[str]:
    return sorted(inspect(connection).get_table_names(schema=schema))


def _sequences(connection: Connection, schema: str) -> list[str]:
    return sorted(inspect(connection).get_sequence_names(schema=schema))


def fingerprint(url: str, schema: str) -> tuple[dict[str, tuple[int, str]], dict[str, int]]:
    """Row count and checksum of every table of ``schema``, and every sequence's last value.

    Each row is printed as text in UTC with ISO dates and exact floats, hashed, and the
    hashes are combined in byte order, so two servers holding the same rows give the same
    checksum whatever their own time zone or collation.
    """
    with _on(url) as connection:
        # Settings first: the isolation level must be set before any query runs.
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for setting in ("TimeZone TO 'UTC'", "DateStyle TO 'ISO, YMD'", "IntervalStyle TO 'postgres'",
                        "extra_float_digits TO 3", "bytea_output TO 'hex'"):
            connection.exec_driver_sql(f"SET LOCAL {setting}")
        tables = {}
        for name in _tables(connection, schema):
            count, digest = connection.exec_driver_sql(
                f'SELECT count(*), coalesce(md5(string_agg(h, \'\' ORDER BY h COLLATE "C")), \'\') '
                f'FROM (SELECT md5(t::text) AS h FROM "{schema}"."{name}" t) rows').one()
            tables[name] = (count, digest)
        sequences = {name: connection.exec_driver_sql(f'SELECT last_value FROM "{schema}"."{name}"').scalar()
                     for name in _sequences(connection, schema)}
    return tables, sequences


def _drain_writers(url: str, schema: str) -> None:
    with _on(url) as connection:
        connection.exec_driver_sql(f"SET LOCAL lock_timeout TO '{DRAIN_TIMEOUT}'")
        for name in _tables(connection, schema):
            connection.exec_driver_sql(f'LOCK TABLE "{schema}"."{name}" IN SHARE MODE')


def _drop_schema(url: str, schema: str) -> None:
    with _on(url) as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _schema_exists(url: str, schema: str) -> bool:
    with _on(url, transaction=False) as connection:
        return schema in inspect(connection).get_schema_names()


def _pg_tool(args: list[str], url: str) -> None:
    from .services import _pg_tool as run

    try:
        run(args, url)
    except RuntimeError as error:
        raise MoveFailed(str(error)) from None


def _clear_move(tenant_id: int, by: str | None = None) -> bool:
    condition = [Tenant.id == tenant_id, Tenant.moving_to.is_not(None)]
    if by is not None:
        condition.append(Tenant.moving_by == by)
    changed = db.session.execute(update(Tenant).where(*condition)
                                 .values(moving_to=None, moving_by=None, moving_since=None))
    db.session.commit()
    return changed.rowcount == 1


def _check(tenant: Tenant, target: str) -> None:
    from .services import store

    errors: dict[str, list[str]] = {}
    if tenant.backend != POSTGRESQL:
        errors["slug"] = [_("Only bureaus on PostgreSQL can be moved between servers; "
                            "on SQLite each bureau is a file in the data folder.")]
    elif target not in store().servers:
        errors["to"] = [_("Unknown tenant server %(name)s; known: %(known)s.", name=target,
                          known=", ".join(store().servers))]
    elif target == tenant.server:
        errors["to"] = [_("%(slug)s is already on %(name)s.", slug=tenant.slug, name=target)]
    if tenant.status != "active":
        errors.setdefault("slug", []).append(_("An archived bureau is not moved; re-activate it first."))
    if errors:
        raise ValidationError(_("The bureau was not moved."), errors)


def move_tenant(slug: str, target: str, *, actor: Actor | None = None,
                on_stage: Callable[[str], None] | None = None) -> Moved:
    """Move bureau ``slug`` to the PostgreSQL server named ``target`` (see the module's
    account of the steps).  ``on_stage(name)`` is called after each of :data:`STAGES`."""
    from app.audit.services import record_city

    from .services import get_tenant, store

    recover_interrupted()
    tenant = get_tenant(slug)
    _check(tenant, target)
    started = time.perf_counter()
    ref, source = tenant.ref, tenant.server
    me = this_process()
    claimed = db.session.execute(update(Tenant).where(Tenant.id == tenant.id, Tenant.moving_to.is_(None))
                                 .values(moving_to=target, moving_by=me, moving_since=utcnow()))
    db.session.commit()
    if claimed.rowcount != 1:
        raise Conflict(_("%(slug)s is already being moved.", slug=slug))
    record_city("tenant.move_start", "tenant", tenant.id, summary=f"开始迁移单位 {tenant.name}：{source} → {target}",
                tenant_slug=slug, actor=actor)
    db.session.commit()
    stage = (lambda name: on_stage(name)) if on_stage else (lambda name: None)
    moved = Moved(slug=slug, source=source, target=target)
    source_url, target_url = _server_url(source), _server_url(target)
    switched = False
    try:
        stage("read-only")
        _drain_writers(source_url, ref.schema)
        stage("drained")
        # A schema of this name on the target can only be what an earlier, interrupted
        # move of this bureau left there (schemas are named after the bureau).
        _drop_schema(target_url, ref.schema)
        with tempfile.TemporaryDirectory() as folder:
            dump = Path(folder) / "schema.dump"
            _pg_tool(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--schema={ref.schema}",
                      f"--file={dump}"], source_url)
            _pg_tool(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", str(dump)], target_url)
        stage("copied")
        before, after = fingerprint(source_url, ref.schema), fingerprint(target_url, ref.schema)
        if before != after:
            differing = sorted(name for name in {*before[0], *after[0]} if before[0].get(name) != after[0].get(name))
            differing += sorted(name for name in {*before[1], *after[1]} if before[1].get(name) != after[1].get(name))
            raise MoveFailed(f"the copy on {target} differs from {source} in: {', '.join(differing)}")
        moved.tables, moved.sequences = before
        stage("verified")
        switch = db.session.execute(update(Tenant).where(Tenant.id == tenant.id, Tenant.moving_by == me).values(
            server=target, storage_key=new_storage_key(), moving_to=None, moving_by=None, moving_since=None))
        if switch.rowcount != 1:
            db.session.rollback()
            raise MoveFailed("the move was taken over while it ran (its record changed): the bureau stays on "
                             f"{source}")
        db.session.commit()
        switched = True
        store().forget(ref)
        stage("switched")
    except BaseException:
        db.session.rollback()
        if not switched:
            _undo(tenant.id, target_url, ref.schema, by=me)
        raise
    _drop_schema(source_url, ref.schema)
    stage("dropped")
    moved.seconds = time.perf_counter() - started
    rows = sum(count for count, _digest in moved.tables.values())
    record_city("tenant.move", "tenant", tenant.id, actor=actor, tenant_slug=slug,
                summary=f"单位 {tenant.name} 已迁移：{source} → {target}（{len(moved.tables)} 张表、{rows} 行，校验一致）")
    db.session.commit()
    return moved


def _undo(tenant_id: int, target_url: str, schema: str, *, by: str | None) -> None:
    try:
        _drop_schema(target_url, schema)
    except Exception:  # noqa: BLE001 - the bureau is still where it was; a leftover copy is dropped next time
        log.exception("copy of %s on the target server not dropped", schema)
    _clear_move(tenant_id, by=by)


def recover_interrupted(now=None) -> list[str]:
    """Undo moves whose process is gone (on this host) or that are older than
    :data:`STALE_AFTER`: drop the partial copy, make the bureau writable where it was.
    Returns the slugs."""
    from app.audit.services import record_city

    now = now or utcnow()
    rows = db.session.execute(select(Tenant.id, Tenant.slug, Tenant.name, Tenant.moving_to, Tenant.moving_by,
                                     Tenant.moving_since, Tenant.schema_name)
                              .where(Tenant.moving_to.is_not(None))).all()
    undone = []
    for row in rows:
        since = row.moving_since if row.moving_since is None or row.moving_since.tzinfo else \
            row.moving_since.replace(tzinfo=now.tzinfo)
        if not (gone_here(row.moving_by) or since is None or since < now - STALE_AFTER):
            continue
        try:
            target_url = _server_url(row.moving_to)
        except KeyError:
            target_url = None
        if target_url is not None:
            _undo(row.id, target_url, row.schema_name, by=row.moving_by)
        else:
            _clear_move(row.id, by=row.moving_by)
        record_city("tenant.move_undone", "tenant", row.id, tenant_slug=row.slug,
                    summary=f"单位 {row.name} 的迁移中断（{row.moving_by}），已恢复为原服务器上可写")
        db.session.commit()
        undone.append(row.slug)
    return undone


def target_has_copy(tenant: Tenant) -> bool:
    """Whether the server a bureau is being moved to already holds a schema of its name."""
    return tenant.moving_to is not None and _schema_exists(_server_url(tenant.moving_to), tenant.schema_name)

