"""Routing session: catalog tables go to the catalog engine, tenant tables to the current
bureau's engine, and nothing goes anywhere without a bureau (fail closed).

A session serves at most one bureau.  The ORM identity map is keyed by class and primary
key, not by bureau, so a session that had read bureau A's row 1 would hand it back when
asked for bureau B's row 1.  Hence :func:`bind_tenant` refuses to switch a session to a
second bureau and :func:`tenant_context` always opens a fresh session.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import flask_sqlalchemy.session
import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.util import find_tables

from app.errors import Conflict, Locked
from app.models import TenantModel

from .models import Tenant
from .store import TenantRef

signals = Namespace()
#: Sent after a commit that inserted, updated or deleted rows of a bureau, once the
#: bureau's ``data_version`` in the catalog has been incremented.  Receivers get
#: ``sender=app``, ``tenant=TenantRef`` and ``data_version=int``.  They must not use the
#: committing session (SQLAlchemy forbids SQL inside ``after_commit``): open a
#: connection or a fresh session (``tenant_context``).
tenant_changed = signals.signal("tenant-changed")

TENANT_KEY = "zeren.tenant"
DIRTY_KEY = "zeren.tenant_dirty"
SCOPES_KEY = "zeren.tenant_scopes"
#: The scope of a change nobody can attribute to a feature (a bulk statement on an unknown
#: table): every figure is recomputed.
ALL_SCOPES = "*"
VERIFIED_KEY = "zeren.tenant_storage_verified"


class NoTenantContext(RuntimeError):
    """A bureau table was touched while no bureau was selected."""


class TenantSwitchError(RuntimeError):
    """A session that already serves one bureau was asked to serve another."""


class BureauArchived(Locked):
    """The bureau is archived: read-only for everyone until the city re-activates it."""

    def __init__(self) -> None:
        from flask_babel import gettext as _

        super().__init__(_("This bureau is archived and read-only; ask a city administrator to re-activate it "
                           "before making changes."))


class BureauMoving(Locked):
    """The bureau is being moved to another server: read-only until the move ends."""

    def __init__(self) -> None:
        from flask_babel import gettext as _

        super().__init__(_("This bureau's data is being moved to another database server and is read-only for a "
                           "few minutes. Your change was not saved: enter it again once the move has finished."))


class StorageReplaced(Conflict):
    """The bureau's storage was deleted, restored or re-created after this request opened it."""

    def __init__(self) -> None:
        from flask_babel import gettext as _

        super().__init__(_("This bureau's data was just restored, re-created or deleted by an administrator, "
                           "so your change was not saved. Reload the page and enter it again."))


def _is_tenant_table(table: object) -> bool:
    return getattr(table, "metadata", None) is TenantModel.metadata


def _touches_tenant(mapper: object, clause: object) -> bool:
    if mapper is not None:
        local_table = getattr(sa.inspect(mapper), "local_table", None)
        if _is_tenant_table(local_table):
            return True
    if clause is not None:
        if isinstance(clause, sa.Table):
            return _is_tenant_table(clause)
        if isinstance(clause, sa.ClauseElement):
            return any(_is_tenant_table(t) for t in find_tables(clause, include_crud=True))
    return False


class RoutingSession(flask_sqlalchemy.session.Session):
    """Flask-SQLAlchemy session whose ``get_bind`` knows about bureaus."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):  # noqa: D102
        if bind is not None:
            return bind
        if _touches_tenant(mapper, clause):
            ref = self.info.get(TENANT_KEY)
            if ref is None:
                raise NoTenantContext(
                    "a bureau table was used with no bureau selected; use a /b/<slug>/ route "
                    "or `with tenant_context(tenant):`"
                )
            return current_app.extensions["zeren.tenant_store"].engine_for(ref)
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def _database():
    """The application's Flask-SQLAlchemy object, looked up rather than imported:
    ``app.extensions`` builds it with :class:`RoutingSession` from this module."""
    return current_app.extensions["sqlalchemy"]


def bind_tenant(session: OrmSession, ref: TenantRef) -> None:
    """Make ``session`` serve bureau ``ref``; refuse if it already serves another one."""
    current = session.info.get(TENANT_KEY)
    if current is not None and current != ref:
        raise TenantSwitchError(
            f"this session serves bureau {current.slug!r}; open a new one for {ref.slug!r}"
        )
    session.info[TENANT_KEY] = ref


def session_tenant(session: OrmSession) -> TenantRef | None:
    """The bureau a session serves, if any."""
    return session.info.get(TENANT_KEY)


def current_slug() -> str:
    """The slug of the bureau the application's session serves; :class:`NoTenantContext`
    when it serves none (a service of a bureau called outside one)."""
    ref = session_tenant(_database().session())
    if ref is None:
        raise NoTenantContext("no bureau is bound to the session; use a /b/<slug>/ route or `with tenant_context(...)`")
    return ref.slug


@contextmanager
def tenant_context(tenant: TenantRef | object) -> Iterator[TenantRef]:
    """Run a block for one bureau outside a ``/b/<slug>/`` request (CLI, jobs, city code).

    Pushes a fresh application context, hence a fresh ``db.session`` bound to the bureau,
    which is closed on exit.  ``tenant`` is a :class:`TenantRef` or a catalog ``Tenant``.
    """
    db = _database()
    ref = tenant if isinstance(tenant, TenantRef) else tenant.ref
    app = current_app._get_current_object()
    with app.app_context():
        bind_tenant(db.session(), ref)
        try:
            yield ref
        finally:
            db.session.remove()


# -- storage identity ---------------------------------------------------------------
def verify_storage(ref: TenantRef) -> None:
    """Raise :class:`StorageReplaced` unless the catalog still places the bureau at ``ref``,
    :class:`BureauArchived` if the bureau is archived, :class:`BureauMoving` while it is
    being moved to another server.

    Called once per transaction, after its first write to the bureau: from then on the
    transaction holds the bureau's write lock (SQLite) or its row locks (PostgreSQL), and
    deletion and restore change the catalog only while holding that lock
    (:meth:`TenantStore.write_locked`), so a write that passed this check lands in the
    storage the catalog names, and one that did not is never acknowledged.  It reads the
    catalog on a connection of its own: the request's session may still see the catalog
    as it was when the request began.
    """
    with _database().engine.connect() as connection:
        row = connection.execute(sa.select(Tenant.server, Tenant.schema_name, Tenant.storage_key, Tenant.status,
                                           Tenant.moving_to).where(Tenant.slug == ref.slug)).first()
    if row is None or (row.server, row.storage_key) != (ref.server, ref.storage) or (
            ref.schema is not None and row.schema_name != ref.schema):
        raise StorageReplaced()
    if row.status != "active":
        raise BureauArchived()
    if row.moving_to is not None:
        raise BureauMoving()


def _verify_once(session: OrmSession) -> None:
    if not session.info.get(VERIFIED_KEY):
        verify_storage(session.info[TENANT_KEY])
        session.info[VERIFIED_KEY] = True


# -- change notification ----------------------------------------------------------
@event.listens_for(RoutingSession, "after_flush")
def _remember_tenant_writes(session: OrmSession, _flush_context) -> None:
    if session.info.get(TENANT_KEY) is None:
        return
    scopes = {scope_of(type(obj)) for obj in (*session.new, *session.dirty, *session.deleted)
              if isinstance(obj, TenantModel)}
    if scopes:
        session.info[DIRTY_KEY] = True
        session.info.setdefault(SCOPES_KEY, set()).update(scopes)
        _verify_once(session)


def scope_of(model: type) -> str:
    """The feature a bureau model belongs to (``app.duties.models.DutyItem`` → ``duties``):
    what the roll-up recomputes after a change to its rows."""
    parts = model.__module__.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "app" else ALL_SCOPES


def _table_scopes(statement) -> set[str]:
    by_table = {mapper.local_table.name: scope_of(mapper.class_) for mapper in TenantModel.registry.mappers}
    found = {by_table.get(table.name, ALL_SCOPES) for table in find_tables(statement, include_crud=True)
             if _is_tenant_table(table)}
    return found or {ALL_SCOPES}


@event.listens_for(RoutingSession, "before_commit")
def _verify_bulk_writes(session: OrmSession) -> None:
    # Bulk statements (see below) wrote without a flush; check before they are committed.
    if session.info.get(DIRTY_KEY) and session.info.get(TENANT_KEY) is not None:
        _verify_once(session)


@event.listens_for(RoutingSession, "after_commit")
def _announce_tenant_change(session: OrmSession) -> None:
    session.info.pop(VERIFIED_KEY, None)
    scopes = session.info.pop(SCOPES_KEY, None) or {ALL_SCOPES}
    if session.info.pop(DIRTY_KEY, False):
        ref = session.info.get(TENANT_KEY)
        version = bump_data_version(ref, scopes)
        tenant_changed.send(current_app._get_current_object(), tenant=ref, data_version=version,
                            scopes=frozenset(scopes))


def bump_data_version(ref: TenantRef, scopes: set[str] | frozenset[str] = frozenset({ALL_SCOPES})) -> int | None:
    """Count a bureau's change in the catalog and return the new ``data_version``; mark
    which features changed at that version (:class:`~app.tenancy.models.TenantChange`).

    Runs right after the bureau's commit on a connection of its own (the committing
    session may not run SQL in ``after_commit``).  The roll-up compares this counter with
    the version its figures were computed from, to flag stale figures, and recomputes the
    marked features.  Counter and marks change in one transaction: a recompute that read
    the counter sees every mark up to it.
    """
    from .models import upsert_changes

    # Two statements, one round trip each: every write of every bureau pays this.
    with _database().engine.begin() as connection:
        bumped = connection.execute(
            sa.update(Tenant).where(Tenant.slug == ref.slug).values(data_version=Tenant.data_version + 1)
            .returning(Tenant.id, Tenant.data_version)).first()
        if bumped is None:
            return None
        tenant_id, version = bumped
        if scopes:
            connection.execute(upsert_changes(connection.dialect.name, tenant_id, scopes, version))
        return version


@event.listens_for(RoutingSession, "after_rollback")
def _forget_tenant_writes(session: OrmSession) -> None:
    session.info.pop(DIRTY_KEY, None)
    session.info.pop(SCOPES_KEY, None)
    session.info.pop(VERIFIED_KEY, None)


@event.listens_for(RoutingSession, "do_orm_execute")
def _remember_bulk_tenant_writes(state) -> None:
    # Bulk UPDATE/DELETE/INSERT statements bypass the flush; catch them here.
    if (state.is_update or state.is_delete or state.is_insert) and state.session.info.get(TENANT_KEY):
        if _touches_tenant(None, state.statement):
            state.session.info[DIRTY_KEY] = True
            state.session.info.setdefault(SCOPES_KEY, set()).update(_table_scopes(state.statement))
