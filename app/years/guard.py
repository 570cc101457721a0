"""The year lock, enforced once for every bureau row at flush time.

Services still call :func:`app.years.services.ensure_open` first, to refuse before any
work with the lock's message; this guard is what makes the rule hold for every write,
including the ones a feature forgets: before each flush, every new, changed or deleted
bureau row is followed along its model's ``lock_year_path`` to its year, and a locked
year refuses the whole flush with :class:`app.errors.Locked`.
"""
from __future__ import annotations

from itertools import chain

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.models import TenantModel
from app.tenancy.session import TENANT_KEY, RoutingSession

from .services import ensure_open


def year_of(row: TenantModel, session: Session) -> int | None:
    """The year whose lock governs ``row`` (``None``: the row belongs to no year).

    Each step of the path is a relationship, except the last (a column).  A pending row
    may carry only its foreign key (``item_id=…``); the parent is then loaded by it.
    """
    path = type(row).lock_year_path
    if path is None:
        return None
    value: object = row
    *steps, column = path.split(".")
    for step in steps:
        parent = getattr(value, step)
        if parent is None:
            relationship = inspect(type(value)).relationships[step]
            key = tuple(getattr(value, c.key) for c in relationship.local_columns)
            if any(part is None for part in key):
                return None
            parent = session.get(relationship.mapper.class_, key[0] if len(key) == 1 else key)
            if parent is None:
                return None
        value = parent
    year = getattr(value, column)
    return int(year) if year is not None else None


@event.listens_for(RoutingSession, "before_flush")
def refuse_writes_to_locked_years(session: Session, _flush_context, _instances) -> None:
    """Raise :class:`app.errors.Locked` if this flush would change a row of a locked year."""
    if session.info.get(TENANT_KEY) is None:
        return
    years: set[int] = set()
    with session.no_autoflush:
        for row in chain(session.new, session.dirty, session.deleted):
            if not isinstance(row, TenantModel) or (row in session.dirty and not session.is_modified(row)):
                continue
            year = year_of(row, session)
            if year is not None:
                years.add(year)
            if row in session.dirty:
                # a row moved out of a locked year (a finding re-dated) changes that year too
                history = inspect(row).attrs.get(type(row).lock_year_path or "", None)
                if history is not None and history.history.deleted:
                    years.update(int(y) for y in history.history.deleted if y is not None)
        for year in sorted(years):
            ensure_open(year)
