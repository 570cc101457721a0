"""Derived status and cadence arithmetic of duty items.

Pure functions over plain values: no Flask, no database, no clock.  Every function that
depends on the date takes ``today`` explicitly, so the rules are tested for any day of
the year and the web pages, the exports and the city roll-up agree on one definition.

The rules (also in ``docs/architecture.md``, "Duties"):

* An item expects ``expected_count`` occurrences in its list's year.  A periodic item
  (monthly, quarterly, half-yearly, yearly) spreads them evenly over the periods up to
  the one that holds its due date; a ``once`` item expects them all by its due date.
* *Expected to date* counts only periods that have **ended** before ``today`` (January
  is owed on 1 February, not on 31 January), rounded down; once the due date has
  passed, the whole ``expected_count`` is owed.
* **done**: the recorded count reached ``expected_count``, or an editor marked the item
  done and at least one evidence file is attached to its records.
* **overdue**: not done and ``today`` is after the due date (no due date means the last
  day of the list's year).
* **in_progress**: not done, not overdue, at least one progress record.
* **not_started**: otherwise.
* *Behind schedule* is not a status but a flag: in progress or not started, and fewer
  occurrences recorded than expected to date.
* An item that **started** after the year began (``started``: added to a list already
  published, e.g. for a member who joined mid-year) owes nothing for the periods before
  its start.  A periodic item's count is cut to its share of the periods it lives
  through (from the one holding ``started`` to the one holding its due date, rounded
  up: a monthly item of 12 started in October owes 3), spread over those periods, and
  that share is what "done" and "overdue" read.  A ``once`` item owes its whole count
  by its due date, whenever it started.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from typing import Iterable

ONCE = "once"
MONTHLY = "monthly"
QUARTERLY = "quarterly"
HALF_YEARLY = "half_yearly"
YEARLY = "yearly"
CADENCES = (ONCE, MONTHLY, QUARTERLY, HALF_YEARLY, YEARLY)
PERIODS_PER_YEAR = {MONTHLY: 12, QUARTERLY: 4, HALF_YEARLY: 2, YEARLY: 1}
#: The expected count an item gets when only its cadence is known.
DEFAULT_EXPECTED = {ONCE: 1, MONTHLY: 12, QUARTERLY: 4, HALF_YEARLY: 2, YEARLY: 1}

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
DONE = "done"
OVERDUE = "overdue"
STATUSES = (NOT_STARTED, IN_PROGRESS, DONE, OVERDUE)


def last_day_of_month(year: int, month: int) -> date:
    """The last calendar day of ``year``-``month``."""
    return date(year, month, calendar.monthrange(year, month)[1])


def effective_due(year: int, due_date: date | None) -> date:
    """The due date the rules use: the item's own, else 31 December of the list's year."""
    return due_date if due_date is not None else date(year, 12, 31)


def period_of(cadence: str, day: date) -> int:
    """1-based index of the period of the year that contains ``day`` (month, quarter …)."""
    months_per_period = 12 // PERIODS_PER_YEAR[cadence]
    return (day.month - 1) // months_per_period + 1


def periods_ended(cadence: str, year: int, today: date) -> int:
    """How many periods of ``year`` have ended before ``today`` (0 for ``once``)."""
    if cadence == ONCE:
        return 0
    per_year = PERIODS_PER_YEAR[cadence]
    if today.year < year:
        return 0
    if today.year > year:
        return per_year
    # a period has ended when today lies in a later month than its last month
    return period_of(cadence, today) - 1


def scheduled_periods(cadence: str, year: int, due_date: date | None) -> int:
    """Periods over which a periodic item spreads its count: up to the due date's period."""
    per_year = PERIODS_PER_YEAR[cadence]
    if due_date is None or due_date.year != year:
        return per_year
    return period_of(cadence, due_date)


def started_on(created: datetime | None, published: datetime | None, zone: tzinfo) -> date | None:
    """When an item started: the local day it was added when that was after its list was
    published (a list's own items, drafted before publication, are owed from the start of
    the year: ``None``)."""
    if created is None or published is None:
        return None
    created, published = (t if t.tzinfo else t.replace(tzinfo=timezone.utc) for t in (created, published))
    return created.astimezone(zone).date() if created > published else None


def start_period(cadence: str, year: int, started: date | None) -> int:
    """1-based index of the first period an item owes (1 unless it started mid-year)."""
    if started is None or started.year < year:
        return 1
    if started.year > year:
        return PERIODS_PER_YEAR[cadence] + 1
    return period_of(cadence, started)


def _lived(cadence: str, year: int, due_date: date | None, started: date | None) -> tuple[int, int]:
    """(first period owed, periods scheduled) of a periodic item."""
    scheduled = scheduled_periods(cadence, year, due_date)
    return min(start_period(cadence, year, started), scheduled), scheduled


def expected_total(cadence: str, expected_count: int, year: int, due_date: date | None,
                   started: date | None = None) -> int:
    """The count an item owes over its life: its own, or for a periodic item started
    mid-year the share of the periods it lives through (rounded up)."""
    expected_count = max(0, int(expected_count))
    if cadence == ONCE or started is None:
        return expected_count
    first, scheduled = _lived(cadence, year, due_date, started)
    available = scheduled - first + 1
    return -(-expected_count * available // scheduled)


def expected_to_date(cadence: str, expected_count: int, year: int, due_date: date | None,
                     today: date, started: date | None = None) -> int:
    """Occurrences an item should have recorded by ``today`` (see the module rules)."""
    total = expected_total(cadence, expected_count, year, due_date, started)
    if today > effective_due(year, due_date):
        return total
    if cadence == ONCE:
        return 0
    first, scheduled = _lived(cadence, year, due_date, started)
    # periods before the item existed are neither owed nor part of its spread
    available = scheduled - first + 1
    ended = max(0, min(periods_ended(cadence, year, today), scheduled) - (first - 1))
    return total * ended // available


@dataclass(frozen=True)
class ItemFacts:
    """What the rules need to know about one item."""

    year: int
    cadence: str
    expected_count: int
    due_date: date | None
    recorded: int = 0        # sum of the ``count`` of its progress records
    records: int = 0         # number of progress records
    evidence: int = 0        # number of evidence files on those records
    marked_done: bool = False
    started: date | None = None  # None: owed from the start of the year


@dataclass(frozen=True)
class ItemProgress:
    """The derived state of one item on one day."""

    status: str
    expected_to_date: int
    credited: int            # occurrences that count towards the completion rate
    recorded: int
    expected_count: int
    behind: bool

    @property
    def rate(self) -> float | None:
        """This item's cadence-aware completion (``None`` while nothing is owed yet)."""
        return self.credited / self.expected_to_date if self.expected_to_date else None

    @property
    def needs_attention(self) -> bool:
        """Overdue, or behind its cadence (what the "overdue / behind" filter shows)."""
        return self.status == OVERDUE or self.behind


def is_done(facts: ItemFacts) -> bool:
    """Expected count (its share, for an item started mid-year) reached, or marked done
    with at least one evidence file."""
    total = expected_total(facts.cadence, facts.expected_count, facts.year, facts.due_date, facts.started)
    reached = total > 0 and facts.recorded >= total
    return reached or (facts.marked_done and facts.evidence > 0)


def derive(facts: ItemFacts, today: date) -> ItemProgress:
    """Status, expected-to-date and credited occurrences of an item on ``today``."""
    owed = expected_to_date(facts.cadence, facts.expected_count, facts.year, facts.due_date, today,
                            facts.started)
    done = is_done(facts)
    if done:
        status = DONE
    elif today > effective_due(facts.year, facts.due_date):
        status = OVERDUE
    elif facts.records > 0 or facts.recorded > 0:
        status = IN_PROGRESS
    else:
        status = NOT_STARTED
    credited = owed if done else min(facts.recorded, owed)
    behind = status in (NOT_STARTED, IN_PROGRESS) and facts.recorded < owed
    return ItemProgress(status=status, expected_to_date=owed, credited=credited,
                        recorded=facts.recorded, behind=behind,
                        expected_count=expected_total(facts.cadence, facts.expected_count, facts.year,
                                                      facts.due_date, facts.started))


@dataclass(frozen=True)
class Completion:
    """Cadence-aware completion of a set of items."""

    credited: int
    expected: int

    @property
    def rate(self) -> float | None:
        """credited / expected, or ``None`` while nothing is owed yet."""
        return self.credited / self.expected if self.expected else None


def completion(progresses: Iterable[ItemProgress]) -> Completion:
    """Σ credited / Σ expected-to-date over ``progresses``."""
    credited = expected = 0
    for progress in progresses:
        credited += progress.credited
        expected += progress.expected_to_date
    return Completion(credited=credited, expected=expected)
