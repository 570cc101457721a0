"""Warning levels and the closing of entry: pure functions over dates, no Flask, no
database, no clock (``today`` is always passed in).

* **red**: not done and ``today`` is after the due date;
* **yellow**: not done and due within ``yellow_days`` days, or behind its cadence;
* **blue**: not done and due within ``blue_days`` days;
* **none** otherwise (done, or far from its due date and on schedule).

A period's records close ``grace_days`` after the period's deadline: the last day of the
month, quarter or half-year holding the record's date for a periodic item (or the item's
due date when that comes first in the same period), the item's due date for a ``once`` or
``yearly`` item.
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta

NONE = "none"
BLUE = "blue"
YELLOW = "yellow"
RED = "red"
LEVELS = (RED, YELLOW, BLUE, NONE)
#: Most urgent first: what a list sorts and counts by.
RANK = {RED: 0, YELLOW: 1, BLUE: 2, NONE: 3}

_MONTHS_PER_PERIOD = {"monthly": 1, "quarterly": 3, "half_yearly": 6}


def warning_level(due: date, today: date, *, done: bool, behind: bool = False,
                  blue_days: int = 15, yellow_days: int = 5) -> str:
    """The warning level of an item or finding due on ``due`` (see the module rules)."""
    if done:
        return NONE
    if today > due:
        return RED
    left = (due - today).days
    if behind or left <= yellow_days:
        return YELLOW
    if left <= blue_days:
        return BLUE
    return NONE


def period_deadline(cadence: str, due: date, day: date) -> date:
    """The deadline of the period that holds ``day`` for an item due on ``due``."""
    months = _MONTHS_PER_PERIOD.get(cadence)
    if months is None:
        return due
    last_month = ((day.month - 1) // months + 1) * months
    end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return due if day <= due <= end else end


def closes_on(cadence: str, due: date, day: date, grace_days: int | None) -> date | None:
    """The last day records dated ``day`` may be entered without a 补录, or ``None``
    when entry never closes."""
    if grace_days is None:
        return None
    return period_deadline(cadence, due, day) + timedelta(days=grace_days)


def is_closed(cadence: str, due: date, day: date, today: date, grace_days: int | None) -> bool:
    """Whether records dated ``day`` are closed on ``today``."""
    last = closes_on(cadence, due, day, grace_days)
    return last is not None and today > last
