"""What keeps the trail a chain: every new event is linked as it is flushed, and no event
is ever changed or deleted through the application.

Linking happens in ``before_flush``, so every way of adding an event (``record_city``,
``record_bureau``, a test adding a row itself) is chained the same way.  The append is
serialised per database by the chain's head row: the first statement of the append is an
``UPDATE`` of that row.  On PostgreSQL the row lock is held to the commit, so a second
writer waits and then reads the head the first one left; on SQLite an ``UPDATE`` takes the
database's write lock (the driver opens the transaction at the first write, so nothing was
read before it: the effect of ``BEGIN IMMEDIATE``), and writers are serialised there anyway.
"""
from __future__ import annotations

from datetime import timezone
from typing import Any, Callable, Iterable

from sqlalchemy import event, inspect, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.util import find_tables

from app.models import utcnow
from app.tenancy.session import RoutingSession

from . import chain
from .backfill import TRIGGER_SETTING, append_only_ddl
from .models import CatalogAuditEvent, CatalogAuditHead, TenantAuditEvent, TenantAuditHead

EVENT_MODELS = (CatalogAuditEvent, TenantAuditEvent)
HEADS = {CatalogAuditEvent: CatalogAuditHead, TenantAuditEvent: TenantAuditHead}
#: Execution option (and, on PostgreSQL, the transaction's setting) that lets the archive
#: remove events it has written to a verified file; nothing else sets it.
ARCHIVE_OPTION = "zeren_audit_archive"


class AppendOnly(RuntimeError):
    """An audit event was about to be changed or deleted."""


def fields_of(model: type) -> tuple[str, ...]:
    """The fields the hash of ``model``'s events covers."""
    return chain.CATALOG_FIELDS if model is CatalogAuditEvent else chain.FIELDS


def values_of(event_row: Any, model: type) -> dict:
    """An event's hashed fields (and chain columns) as a mapping."""
    return {name: getattr(event_row, name) for name in (*fields_of(model), "seq", "prev_hash", "hash")}


def take_head(execute: Callable, dialect: str, model: type, count: int) -> tuple[int, str]:
    """Lock the chain's head, move it on by ``count`` events and return the first new
    sequence number and the hash the first new event links to."""
    head = HEADS[model].__table__
    step = (update(head).where(head.c.id == 1).values(seq=head.c.seq + count)
            .returning(head.c.seq, head.c.hash))
    row = execute(step).first()
    if row is None:  # a new database: its head is made by its first event
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        execute(insert(head).values(id=1, seq=0, hash=chain.GENESIS, anchor_seq=0, anchor_hash=chain.GENESIS)
                .on_conflict_do_nothing())
        row = execute(step).first()
    last, previous = int(row[0]), row[1]
    return last - count + 1, previous


def set_head_hash(execute: Callable, model: type, last_hash: str) -> None:
    """Record the hash of the chain's new last event on its (locked) head."""
    head = HEADS[model].__table__
    execute(update(head).where(head.c.id == 1).values(hash=last_hash))


def link(events: list, model: type, execute: Callable, dialect: str) -> None:
    """Give ``events`` (new, in order) their place in ``model``'s chain."""
    first, previous = take_head(execute, dialect, model, len(events))
    now = utcnow()  # after the lock: times follow the chain's order
    fields = fields_of(model)
    for offset, row in enumerate(events):
        if row.at is None:
            row.at = now
        elif row.at.tzinfo is not None and row.at.utcoffset():
            # SQLite keeps a time's clock digits, not its zone: store UTC, as hashed
            row.at = row.at.astimezone(timezone.utc)
        if row.actor_name is None:
            row.actor_name = "system"
        if row.summary is None:
            row.summary = ""
        row.seq, row.prev_hash = first + offset, previous
        row.hash = previous = chain.event_hash(values_of(row, model), fields)
    set_head_hash(execute, model, previous)


def _audit_rows(rows: Iterable[Any]) -> list:
    return [row for row in rows if isinstance(row, EVENT_MODELS)]


@event.listens_for(RoutingSession, "before_flush")
def chain_new_events(session, _flush_context, _instances) -> None:
    """Refuse changed or deleted events; link the new ones (in the order they were added)."""
    for row in _audit_rows(session.dirty):
        if session.is_modified(row, include_collections=False):
            raise AppendOnly(f"audit event {row.seq} may not be changed: the trail is append-only")
    if _audit_rows(session.deleted):
        raise AppendOnly("audit events may not be deleted (only `flask audit archive` removes archived ones)")
    new = [row for row in _audit_rows(session.new) if row.hash is None]
    if not new:
        return
    new.sort(key=lambda row: inspect(row).insert_order)
    for model in EVENT_MODELS:
        events = [row for row in new if type(row) is model]
        if events:
            dialect = session.get_bind(mapper=inspect(HEADS[model])).dialect.name
            link(events, model, session.execute, dialect)


@event.listens_for(RoutingSession, "before_flush")
def check_new_hashes(session, _flush_context, _instances) -> None:
    """An event changed after it was linked (before its insert) would not verify: refuse it."""
    for row in _audit_rows(session.new):
        if row.hash is not None and chain.event_hash(values_of(row, type(row)), fields_of(type(row))) != row.hash:
            raise AppendOnly(f"audit event {row.seq} was changed after it was chained")


@event.listens_for(RoutingSession, "do_orm_execute")
def refuse_bulk_changes(state) -> None:
    """Bulk ``UPDATE``/``DELETE`` statements on the trail are refused (the archive excepted)."""
    if not (state.is_update or state.is_delete):
        return
    names = {table.name for table in find_tables(state.statement, include_crud=True)}
    if "audit_events" in names and not (state.is_delete and state.execution_options.get(ARCHIVE_OPTION)):
        raise AppendOnly("audit events may not be changed or deleted: the trail is append-only")


def _install_trigger(target, connection, **_kw) -> None:
    if connection.dialect.name != "postgresql":
        return
    schema = (connection.get_execution_options().get("schema_translate_map") or {}).get(None) or target.schema
    for statement in append_only_ddl(schema):
        connection.exec_driver_sql(statement)


# Bureaus are created with ``create_all`` (and stamped), not by replaying migrations.
event.listen(TenantAuditEvent.__table__, "after_create", _install_trigger)
event.listen(CatalogAuditEvent.__table__, "after_create", _install_trigger)
