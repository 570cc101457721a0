"""Loading a row by id, or failing with :class:`app.errors.NotFound`.

The one way a service turns "no such row" into the error the application answers with a
404 page (Redash's ``get_object_or_404`` in the service layer rather than in the views).
An id outside the database's integer range — a URL can carry any number — is no row.
"""
from __future__ import annotations

from typing import TypeVar

from app.errors import NotFound
from app.extensions import db

T = TypeVar("T")
_LARGEST_ID = 2 ** 63 - 1


def load(model: type[T], row_id: object, missing: str) -> T:
    """The ``model`` row with primary key ``row_id``, or :class:`NotFound` with ``missing``."""
    try:
        key = int(row_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise NotFound(missing) from None
    row = db.session.get(model, key) if 0 < key <= _LARGEST_ID else None
    if row is None:
        raise NotFound(missing)
    return row
