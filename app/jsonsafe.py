"""JSON-safe copies of the documents Zeren stores (roll-up figures, audit snapshots,
score-sheet templates and scores): one converter, with the caller choosing how a
``Decimal`` is written."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Mapping


def whole_or_float(value: Decimal) -> int | float:
    """``Decimal`` as an ``int`` when whole, else a ``float`` (exact for at most 15
    significant digits, read back through its shortest ``repr``)."""
    return int(value) if value == value.to_integral_value() else float(value)


def jsonable(value: Any, *, decimal: Callable[[Decimal], Any] = float) -> Any:
    """A copy of ``value`` that ``json.dumps`` takes: mapping keys as text, tuples as
    lists, dates as ISO text, each ``Decimal`` through ``decimal``."""
    if isinstance(value, Mapping):
        return {str(key): jsonable(item, decimal=decimal) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item, decimal=decimal) for item in value]
    if isinstance(value, Decimal):
        return decimal(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
