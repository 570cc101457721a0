"""The rules of a finding's life: who may move it where, and when it is overdue.

Pure functions over plain values: no Flask, no database, no clock.  Everything that
depends on the date takes ``today`` explicitly, so the web pages, the Excel ledger, the
reminders and the city roll-up share one definition and the tests can pick any day.

Status (no skipping; every move is one step)::

    open ──start──▶ rectifying ──submit──▶ awaiting_verification ──close──▶ closed
                        ▲                          │                          │
                        └────────── return ────────┘                          │
                        └──────────────────────── reopen ◀────────────────────┘

* ``start`` and ``submit`` belong to the bureau: its administrators and the responsible
  person (an editor whose account is linked to the finding's person).
* ``close`` (verify, 销号) and ``return`` (send back for more work) belong to the
  *verifier*: the city administrator for a finding the city raised, the bureau's
  administrator for one the bureau raised itself.  Bureau staff can never close a finding
  the city raised.
* ``reopen`` is possible only from ``closed`` and only for the roles configured in
  ``FINDINGS_REOPEN_ROLES`` (default: city and bureau administrators); a bureau
  administrator may reopen only findings the bureau raised.

Overdue (derived, never stored):

* a closed finding is never overdue;
* a finding awaiting verification was overdue only if it was submitted after its due
  date (the bureau's part was late); waiting for the verifier does not make it overdue;
* otherwise it is overdue when ``today`` is after its due date.

*Due soon* (reminders): not closed, not awaiting verification, and due within
``DUE_SOON_DAYS`` days from ``today`` (today included) — or already overdue.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

OPEN = "open"
RECTIFYING = "rectifying"
AWAITING = "awaiting_verification"
CLOSED = "closed"
STATUSES = (OPEN, RECTIFYING, AWAITING, CLOSED)
#: States in which the bureau still has work to do (reminders, "open" figures).
ACTIVE = (OPEN, RECTIFYING)

START, SUBMIT, RETURN, CLOSE, REOPEN = "start", "submit", "return", "close", "reopen"
#: action → (from state, to state)
TRANSITIONS: dict[str, tuple[str, str]] = {
    START: (OPEN, RECTIFYING),
    SUBMIT: (RECTIFYING, AWAITING),
    RETURN: (AWAITING, RECTIFYING),
    CLOSE: (AWAITING, CLOSED),
    REOPEN: (CLOSED, RECTIFYING),
}
ACTIONS = tuple(TRANSITIONS)
#: Actions that need a written reason or verification note.
NOTE_REQUIRED = frozenset({RETURN, CLOSE, REOPEN})

BUREAU = "bureau"
CITY = "city"
DEFAULT_REOPEN_ROLES = ("city_admin", "bureau_admin")
DUE_SOON_DAYS = 7


class TransitionRefused(Exception):
    """The move is not allowed; ``reason`` is one of ``unknown``, ``state``, ``role``."""

    def __init__(self, reason: str, action: str, status: str) -> None:
        super().__init__(f"{action} from {status}: {reason}")
        self.reason = reason
        self.action = action
        self.status = status


@dataclass(frozen=True)
class Who:
    """The actor as the rules see it.

    ``side`` is ``bureau`` or ``city``; ``role`` is the account's role on that side
    (``bureau_admin``/``bureau_editor``/``bureau_viewer``/``reader``, or
    ``city_admin``/``city_viewer``); ``responsible`` says whether the account is linked to
    the finding's responsible person.
    """

    side: str
    role: str
    responsible: bool = False

    @property
    def is_bureau_admin(self) -> bool:
        return self.side == BUREAU and self.role == "bureau_admin"

    @property
    def is_city_admin(self) -> bool:
        return self.side == CITY and self.role == "city_admin"

    @property
    def is_bureau_worker(self) -> bool:
        """A bureau administrator, or the responsible person with an editor's role."""
        return self.is_bureau_admin or (self.side == BUREAU and self.role == "bureau_editor" and self.responsible)


def target(action: str, status: str) -> str:
    """The state ``action`` leads to from ``status``; raises :class:`TransitionRefused`."""
    if action not in TRANSITIONS:
        raise TransitionRefused("unknown", action, status)
    source, destination = TRANSITIONS[action]
    if status != source:
        raise TransitionRefused("state", action, status)
    return destination


def is_verifier(who: Who, raised_by_city: bool) -> bool:
    """Whether ``who`` verifies (closes or returns) a finding: the city's administrator
    for city findings, the bureau's administrator for the bureau's own."""
    return who.is_city_admin if raised_by_city else who.is_bureau_admin


def may(action: str, who: Who, *, raised_by_city: bool,
        reopen_roles: Iterable[str] = DEFAULT_REOPEN_ROLES) -> bool:
    """Whether ``who`` may perform ``action`` at all (the state is checked by :func:`target`)."""
    if action in (START, SUBMIT):
        return who.is_bureau_worker
    if action in (RETURN, CLOSE):
        return is_verifier(who, raised_by_city)
    if action == REOPEN:
        roles = set(reopen_roles)
        if who.is_city_admin:
            return "city_admin" in roles
        if who.is_bureau_admin:
            return "bureau_admin" in roles and not raised_by_city
        return False
    return False


def check(action: str, status: str, who: Who, *, raised_by_city: bool,
          reopen_roles: Iterable[str] = DEFAULT_REOPEN_ROLES) -> str:
    """The new state if ``who`` may perform ``action`` now; raises :class:`TransitionRefused`."""
    destination = target(action, status)
    if not may(action, who, raised_by_city=raised_by_city, reopen_roles=reopen_roles):
        raise TransitionRefused("role", action, status)
    return destination


def available(status: str, who: Who, *, raised_by_city: bool,
              reopen_roles: Iterable[str] = DEFAULT_REOPEN_ROLES) -> list[str]:
    """The actions ``who`` can take on a finding in ``status`` (for the buttons)."""
    return [a for a, (source, _dest) in TRANSITIONS.items()
            if source == status and may(a, who, raised_by_city=raised_by_city, reopen_roles=reopen_roles)]


def can_work_on(status: str, who: Who) -> bool:
    """Measures and progress notes may be recorded by the bureau's workers while the
    finding is open or being rectified (not while it waits for verification or is closed)."""
    return status in ACTIVE and who.is_bureau_worker


def is_overdue(status: str, due_on: date | None, today: date, submitted_on: date | None = None) -> bool:
    """Whether a finding is overdue on ``today`` (see the module's rules)."""
    if due_on is None or status == CLOSED:
        return False
    if status == AWAITING:
        return submitted_on is not None and submitted_on > due_on
    return today > due_on


def days_left(due_on: date | None, today: date) -> int | None:
    """Days until the due date (negative when past it)."""
    return None if due_on is None else (due_on - today).days


def is_due_soon(status: str, due_on: date | None, today: date, days: int = DUE_SOON_DAYS) -> bool:
    """Whether the bureau should be reminded: still its turn, and due within ``days``
    days (today included) or already overdue."""
    if due_on is None or status not in ACTIVE:
        return False
    return (due_on - today).days <= days


def days_to_close(found_on: date | None, closed_on: date | None) -> int | None:
    """Calendar days from the finding to its closure (for the median in the roll-up)."""
    if found_on is None or closed_on is None:
        return None
    return max(0, (closed_on - found_on).days)


def median(values: Iterable[float]) -> float | None:
    """The median of ``values`` (mean of the two middle ones for an even count), or ``None``."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2
