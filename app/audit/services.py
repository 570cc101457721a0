"""Writing and reading the audit trail.

``record_city`` writes to the catalog, ``record_bureau`` to the current bureau's own
database; both join the caller's transaction, so an action and its audit row commit or
roll back together.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import func, select

from app.extensions import db
from app.core.clock import local_zone
from app.jsonsafe import jsonable

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
