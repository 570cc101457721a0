"""Domain errors raised by services and mapped to HTTP by the views.

Services never import Flask's ``abort``: they raise one of these, so that the same rules
serve web pages, CLI commands and tests.
"""
from __future__ import annotations

from flask_babel import gettext as _


class DomainError(Exception):
    """Base of every rule violation a user can cause; ``message`` is shown to the user."""

    http_status = 400

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    http_status = 404


class PermissionDenied(DomainError):
    http_status = 403


class Conflict(DomainError):
    """The record changed since the form was shown (optimistic locking) or is a duplicate."""

    http_status = 409


class Locked(DomainError):
    """The year or record is locked (finalised score sheet, locked year)."""

    http_status = 423


class ValidationError(DomainError):
    """Input breaks a rule; ``errors`` maps a field (or row/column) to messages."""

    http_status = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


def stale_conflict() -> Conflict:
    """The error of an edit made on a record someone else changed meanwhile."""
    return Conflict(_("Changed by someone else: this record was modified after you opened it. "
                      "Check the current values below and submit again."))


def check_version(record: object, submitted_version: int | str | None) -> None:
    """Refuse a write based on a stale form: the record's version must match the one the
    form was rendered with.  (SQLAlchemy's ``version_id_col`` also guards the UPDATE
    itself against a race between this check and the commit.)"""
    try:
        submitted = int(submitted_version) if submitted_version not in (None, "") else None
    except (TypeError, ValueError):
        submitted = None
    if submitted is None or submitted != getattr(record, "version"):
        raise stale_conflict()
