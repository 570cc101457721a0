"""Writing and reading the audit trail.

``record_city`` writes to the catalog, ``record_bureau`` to the current bureau's own
database; both join the caller's transaction, so an action and its audit row commit or
roll back together.  ``record_access`` writes a file handed out (a download, an export)
to the catalog at once, in a transaction of its own.  Every event is linked into its
database's hash chain when it is flushed (``audit/guard.py``); ``verify`` walks a chain,
``audit/archive.py`` moves old events to signed files.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterator

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import func, insert, or_, select

from app.extensions import db
from app.core.clock import local_zone
from app.jsonsafe import jsonable
from app.models import utcnow

from . import chain, guard
from .models import CatalogAuditEvent, TenantAuditEvent

PAGE_SIZE = 50


def _plain(value: Any) -> Any:
    """JSON-safe copy of a before/after snapshot (Decimals as exact text)."""
    return jsonable(value, decimal=str)


def _actor(actor: Any | None) -> tuple[int | None, str]:
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    if actor is None:
        return None, "system"
    return getattr(actor, "id", None), getattr(actor, "username", str(actor))


def _fill(event: Any, action: str, entity_type: str, entity_id: Any, summary: str,
          before: dict | None, after: dict | None, actor: Any | None) -> Any:
    event.actor_id, event.actor_name = _actor(actor)
    event.action = action
    event.entity_type = entity_type
    event.entity_id = None if entity_id is None else str(entity_id)
    event.summary = summary
    event.before = _plain(before) if before is not None else None
    event.after = _plain(after) if after is not None else None
    event.ip = request.remote_addr if has_request_context() else None
    db.session.add(event)
    return event


def record_city(action: str, entity_type: str, entity_id: Any = None, *, summary: str = "",
                before: dict | None = None, after: dict | None = None,
                tenant_slug: str | None = None, actor: Any | None = None) -> CatalogAuditEvent:
    """Add a catalog audit event for a city-level action to the current transaction."""
    event = CatalogAuditEvent(tenant_slug=tenant_slug)
    return _fill(event, action, entity_type, entity_id, summary, before, after, actor)


def record_access(action: str, entity_type: str, entity_id: Any = None, *, summary: str = "",
                  after: dict | None = None, tenant_slug: str | None = None, actor: Any | None = None) -> None:
    """Write a catalog event now, committed in a transaction of its own: a file handed out
    by a page that changes nothing (a GET), possibly of an archived bureau, is audited
    whether or not the request writes anything.  Raises if the event cannot be written
    (the file is then not sent)."""
    actor_id, actor_name = _actor(actor)
    values = {"at": None, "actor_id": actor_id, "actor_name": actor_name, "action": action,
              "entity_type": entity_type, "entity_id": None if entity_id is None else str(entity_id),
              "summary": summary, "before": None, "after": _plain(after) if after is not None else None,
              "ip": request.remote_addr if has_request_context() else None, "tenant_slug": tenant_slug}
    with db.engine.begin() as connection:
        first, previous = guard.take_head(connection.execute, connection.dialect.name, CatalogAuditEvent, 1)
        values.update(at=utcnow(), seq=first, prev_hash=previous)
        values["hash"] = chain.event_hash(values, chain.CATALOG_FIELDS)
        connection.execute(insert(CatalogAuditEvent.__table__).values(**values))
        guard.set_head_hash(connection.execute, CatalogAuditEvent, values["hash"])


def record_bureau(action: str, entity_type: str, entity_id: Any = None, *, summary: str = "",
                  before: dict | None = None, after: dict | None = None,
                  actor: Any | None = None) -> TenantAuditEvent:
    """Add an audit event to the current bureau's database (needs a bureau context)."""
    return _fill(TenantAuditEvent(), action, entity_type, entity_id, summary, before, after, actor)


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose value changed, as (before, after) snapshots."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


#: Events that say someone came in, not what they did: hidden from the log unless asked.
LOG_IN_ACTIONS = ("user.login",)


def page_of_events(model: type, page: int, *, tenant_slug: str | None = None,
                   page_size: int = PAGE_SIZE, without: tuple[str, ...] = ()) -> tuple[list, int]:
    """Newest-first page of audit events and the total count (``without``: actions left out)."""
    query = select(model)
    count = select(func.count()).select_from(model)
    if tenant_slug is not None:
        query = query.where(model.tenant_slug == tenant_slug)
        count = count.where(model.tenant_slug == tenant_slug)
    if without:
        query = query.where(model.action.not_in(without))
        count = count.where(model.action.not_in(without))
    page = max(1, page)
    rows = db.session.scalars(
        query.order_by(model.at.desc(), model.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return list(rows), db.session.scalar(count) or 0


def metrics(year: int) -> dict:
    """Activity figures of the current bureau for ``year`` (the roll-up's "activity" source).

    - ``events``: audit events recorded in the year (every change a bureau makes writes one);
    - ``last_activity``: ISO date of the latest event in the year, or ``None``.
    """
    # Year boundaries in China Standard Time, compared as UTC (how the rows are stored).
    zone = local_zone()
    start, end = (datetime(y, 1, 1, tzinfo=zone).astimezone(timezone.utc) for y in (year, year + 1))
    in_year = (TenantAuditEvent.at >= start) & (TenantAuditEvent.at < end)
    count, last = db.session.execute(
        select(func.count(TenantAuditEvent.id), func.max(TenantAuditEvent.at)).where(in_year)).one()
    if last is not None and last.tzinfo is None:  # SQLite returns the stored UTC clock time
        last = last.replace(tzinfo=timezone.utc)
    return {"events": int(count or 0),
            "last_activity": last.astimezone(zone).date().isoformat() if last else None}


# -- the audit administrator's page ---------------------------------------------------------
#: Most rows one Excel export holds (the page says so when the filter matches more).
EXPORT_LIMIT = 20_000
#: Most accounts a "who" text may stand for (a display name shared by many matches them all).
WHO_LIMIT = 200


@dataclass(frozen=True)
class Filter:
    """What the audit administrator asked for; every part optional."""

    who: str | None = None          # a user name, or part of a person's name
    what: str | None = None         # an entity type (labels.ENTITY_LABELS)
    date_from: date | None = None   # local dates, both included
    date_to: date | None = None
    bureau: str | None = None       # a bureau's slug (catalog events about it)
    logins: bool = False            # log-ins are left out unless asked for


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=local_zone()).astimezone(timezone.utc)


def _usernames(who: str) -> list[str]:
    """The user names a "who" text stands for: the name itself and every account whose
    user name or person's name contains it."""
    from app.accounts.models import User  # accounts sits beside audit: read its table, no feature

    pattern = "%" + who.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    found = db.session.scalars(select(User.username).where(
        or_(User.username.ilike(pattern, escape="\\"), User.display_name.ilike(pattern, escape="\\")))
        .limit(WHO_LIMIT)).all()
    return list(dict.fromkeys([who, *found]))


#: Actions that say someone came, went or was kept out (accounts' log-in services).
SESSION_ACTIONS = ("user.login", "user.login_failed", "user.lockout", "user.unlock", "user.logout", "user.idle",
                   "user.expired")


def what_condition(model: type, what: str):
    """Which events a "what" of the filter is: a kind of event (``labels.WHAT_LABELS``) or
    a kind of thing (an ``entity_type``)."""
    if what == "session":
        return model.action.in_(SESSION_ACTIONS)
    if what == "download":
        return model.action == "file.download"
    if what == "export":
        return model.action == "file.export"
    if what == "account":
        return (model.entity_type == "user") & model.action.not_in(SESSION_ACTIONS)
    return model.entity_type == what


def filtered(model: type, wanted: Filter):
    """The ``SELECT`` of ``model``'s events matching ``wanted``, newest first."""
    query = select(model)
    if wanted.who:
        query = query.where(model.actor_name.in_(_usernames(wanted.who)))
    if wanted.what:
        query = query.where(what_condition(model, wanted.what))
    if wanted.date_from:
        query = query.where(model.at >= _local_midnight(wanted.date_from))
    if wanted.date_to:
        query = query.where(model.at < _local_midnight(wanted.date_to + timedelta(days=1)))
    if wanted.bureau and hasattr(model, "tenant_slug"):
        query = query.where(model.tenant_slug == wanted.bureau)
    if not wanted.logins and wanted.what != "session":
        query = query.where(model.action.not_in(LOG_IN_ACTIONS))
    return query.order_by(model.at.desc(), model.id.desc())


def filtered_page(model: type, wanted: Filter, page: int, page_size: int = PAGE_SIZE) -> tuple[list, int]:
    """One newest-first page of the matching events and how many match."""
    query = filtered(model, wanted)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = max(1, page)
    rows = db.session.scalars(query.offset((page - 1) * page_size).limit(page_size)).all()
    return list(rows), total


def export_rows(model: type, wanted: Filter, limit: int = EXPORT_LIMIT) -> Iterator[Any]:
    """The matching events, newest first, at most ``limit``, read a thousand at a time."""
    query = filtered(model, wanted).limit(limit).execution_options(yield_per=1000)
    yield from db.session.scalars(query)


# -- verification ---------------------------------------------------------------------------
def verify(model: type) -> chain.Report:
    """Walk ``model``'s chain in the current database (the catalog, or the bureau of the
    session) from its anchor to its head and report what does not hold."""
    head = db.session.get(guard.HEADS[model], 1)
    columns = [getattr(model, name) for name in (*guard.fields_of(model), "seq", "prev_hash", "hash")]
    rows = db.session.execute(select(*columns).order_by(model.seq).execution_options(yield_per=2000)).mappings()
    if head is None:
        return chain.walk(rows, guard.fields_of(model), head_seq=0, head_hash=chain.GENESIS)
    return chain.walk(rows, guard.fields_of(model), anchor_seq=head.anchor_seq, anchor_hash=head.anchor_hash,
                      head_seq=head.seq, head_hash=head.hash)
