"""The unit of work: services flush, the outermost caller commits once.

A service that writes is decorated with :func:`writes`.  Called inside an open unit of
work — a web request that changes data (:mod:`app.web_shell`), a CLI command or a job that
opened :func:`unit_of_work` — it only flushes, and the caller commits once when all of its
work succeeded.  Called on its own (a test, a one-shot script) it is its own unit of work
and commits on return.  Whatever the nesting, when a domain error (or any exception)
leaves the outermost service, the session is rolled back: a refused operation never
leaves half its changes behind for the request to commit.

Every service decorated with :func:`writes` refuses, before its body runs, a write into a
bureau that is archived or whose storage was replaced (:func:`app.tenancy.session.
verify_storage`); the year lock and the same two checks run again inside the flush, for
every row written, whatever the code path (:mod:`app.years.guard`,
:mod:`app.tenancy.session`).  A concurrent writer detected by optimistic locking
(SQLAlchemy's ``version_id_col`` matched no row) becomes :class:`app.errors.Conflict`.

Application code that writes bureau rows outside any unit of work is a bug (it would
escape the refusal at entry and the single commit): :func:`check_flush` refuses it in
testing and logs it otherwise.
"""
from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from typing import Callable, Iterator, TypeVar

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm.exc import StaleDataError

from app.errors import stale_conflict
from app.extensions import db
from app.models import TenantModel
from app.tenancy.session import TENANT_KEY, RoutingSession, verify_storage

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable)

#: Marks a function decorated with :func:`writes` (found by the guards test).
WRITES_MARK = "__zeren_writes__"


@dataclass
class _State:
    #: Services currently running (nested calls count).
    services: int = 0
    #: What to do once the work is committed (store uploaded files, release blobs) …
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    #: … or once it is rolled back (discard spooled uploads).
    on_rollback: list[Callable[[], None]] = field(default_factory=list)

    def rolled_back(self) -> None:
        db.session.rollback()
        callbacks, self.on_rollback, self.on_commit = self.on_rollback, [], []
        for callback in callbacks:
            callback()


# A unit of work belongs to a session: ``tenant_context`` (the city's pages, the CLI)
# opens a session of its own, in which services are their own units again unless the
# block opens one.
_STATE_KEY = "zeren.unit_of_work"


def _state() -> _State | None:
    return db.session.info.get(_STATE_KEY)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Run the block as one unit of work: commit once at the end, roll back on any error.

    Nested use joins the outer unit (only the outermost commits)."""
    if _state() is not None:
        yield
        return
    state = _State()
    info = db.session.info
    info[_STATE_KEY] = state
    try:
        yield
        try:
            db.session.commit()
        except StaleDataError:
            raise stale_conflict() from None
    except BaseException:
        state.rolled_back()
        raise
    finally:
        info.pop(_STATE_KEY, None)
    for callback in state.on_commit:
        callback()


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current unit of work has committed (never if it rolls back)."""
    _open_state().on_commit.append(callback)


def after_rollback(callback: Callable[[], None]) -> None:
    """Run ``callback`` if the current unit of work rolls back (never if it commits)."""
    _open_state().on_rollback.append(callback)


def _open_state() -> _State:
    state = _state()
    if state is None:
        raise RuntimeError("no unit of work is open: call this from a service decorated with @writes")
    return state


def writes(function: F) -> F:
    """Decorate a service that writes: it runs inside the caller's unit of work (or its
    own), after the bureau it writes into was checked writable; a failure rolls back."""
    @wraps(function)
    def wrapper(*args, **kwargs):
        outer = _state()
        if outer is None or not outer.services:  # a nested service was checked with its caller
            _refuse_unwritable_bureau()
        with unit_of_work():
            state = _state()
            state.services += 1
            try:
                result = function(*args, **kwargs)
                db.session.flush()
                return result
            except StaleDataError:
                state.rolled_back()
                raise stale_conflict() from None
            except BaseException:
                if state.services == 1:
                    state.rolled_back()
                raise
            finally:
                state.services -= 1

    setattr(wrapper, WRITES_MARK, True)
    return wrapper  # type: ignore[return-value]


def _refuse_unwritable_bureau() -> None:
    ref = db.session.info.get(TENANT_KEY)
    if ref is not None:
        verify_storage(ref)


# Modules whose frames may flush outside a unit of work: the layer itself, and the
# session and guards that run inside every flush.
_EXEMPT_PREFIXES = ("app.core.", "app.tenancy.session", "app.years.guard", "app.extensions")


def _application_caller() -> str | None:
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("app.") and not module.startswith(_EXEMPT_PREFIXES):
            return f"{module}:{frame.f_code.co_name}"
        frame = frame.f_back
    return None


@event.listens_for(RoutingSession, "before_flush")
def check_flush(session, _flush_context, _instances) -> None:
    """Before a flush that writes bureau rows, application code must be inside a unit of
    work: raise ``RuntimeError`` when testing, else log the offender."""
    if _STATE_KEY in session.info or session.info.get(TENANT_KEY) is None:
        return
    if not any(isinstance(row, TenantModel) for row in (*session.new, *session.dirty, *session.deleted)):
        return
    caller = _application_caller()
    if caller is None:  # a test's own fixture writing directly
        return
    message = f"bureau data written outside a unit of work by {caller}: decorate the service with @writes"
    if current_app.testing:
        raise RuntimeError(message)
    log.error(message)
