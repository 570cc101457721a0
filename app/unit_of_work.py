"""Committing a service's work, with one rule for concurrent edits.

A service changes objects, then calls :func:`commit`; a write service is decorated with
:func:`guarded` when it may flush before it commits.  Either way, a concurrent writer
detected by optimistic locking (SQLAlchemy's ``version_id_col`` matched no row) rolls
the session back and becomes :class:`app.errors.Conflict` with the same message as a
stale form (:func:`app.errors.check_version`).  The cross-cutting guards run inside the
flush and the commit themselves (year lock, archived bureau, replaced storage: see
:mod:`app.years.guard` and :mod:`app.tenancy.session`).
"""
from __future__ import annotations

from functools import wraps

from sqlalchemy.orm.exc import StaleDataError

from app.errors import stale_conflict
from app.extensions import db


def commit() -> None:
    """Commit the session; a concurrent writer that got there first is a ``Conflict``."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise stale_conflict() from None


def guarded(function):
    """Decorate a service that writes: a concurrent writer detected while it flushes or
    commits becomes a ``Conflict`` (after a rollback)."""
    @wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except StaleDataError:
            db.session.rollback()
            raise stale_conflict() from None

    return wrapper
