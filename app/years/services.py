"""Locking and unlocking years; the check every feature calls before writing.

``ensure_open(year)`` is the whole API a feature needs: it raises
:class:`app.errors.Locked` with a message that says who locked the year, when and why.
It reads one catalog row, so it is cheap enough to call on every write.
"""
from __future__ import annotations

from datetime import timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.actor import Actor
from app.core.unit_of_work import writes
from app.errors import Locked, NotFound, ValidationError
from app.extensions import db
from app.models import utcnow

from .models import YearLock

MIN_YEAR, MAX_YEAR = 2000, 2100
REASON_MAX = 500


def get_lock(year: int) -> YearLock | None:
    """The lock of ``year``, or ``None`` when the year is open."""
    if not MIN_YEAR <= int(year) <= MAX_YEAR:
        return None  # never stored; and a huge number from a URL must not reach the database
    return db.session.scalar(select(YearLock).where(YearLock.year == int(year)))


def is_locked(year: int) -> bool:
    """Whether the city has locked ``year``."""
    return get_lock(year) is not None


def list_locks() -> list[YearLock]:
    """Every locked year, the most recent year first."""
    return list(db.session.scalars(select(YearLock).order_by(YearLock.year.desc())))


def lock_message(lock: YearLock) -> str:
    """The sentence pages show for a locked year (who, when, why)."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    locked_at = lock.locked_at
    if locked_at.tzinfo is None:  # SQLite hands back the stored UTC time without its zone
        locked_at = locked_at.replace(tzinfo=timezone.utc)
    when = locked_at.astimezone(zone)
    day = "%d-%02d-%02d" % (when.year, when.month, when.day)
    return _("The year %(year)s is locked (%(reason)s; locked by %(name)s on %(date)s): nothing of that "
             "year can be changed any more. If a change is really needed, ask a city administrator to "
             "unlock the year.", year=lock.year, reason=lock.reason, name=lock.locked_by,
             date=day)


def ensure_open(year: int) -> None:
    """Raise :class:`Locked` when ``year`` is locked; features call this before writing."""
    lock = get_lock(year)
    if lock is not None:
        raise Locked(lock_message(lock), year=lock.year)


def _checked(year: object, reason: str | None) -> tuple[int, str]:
    errors: dict[str, list[str]] = {}
    try:
        value = int(year)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = 0
    if not MIN_YEAR <= value <= MAX_YEAR:
        errors["year"] = [_("Enter a year from %(low)s to %(high)s.", low=MIN_YEAR, high=MAX_YEAR)]
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        errors["reason"] = [_("Give a reason (at most %(n)s characters).", n=REASON_MAX)]
    if errors:
        raise ValidationError(_("The year lock could not be changed."), errors)
    return value, reason


def _actor_fields(actor: object | None) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    return getattr(actor, "id", None), getattr(actor, "display_name", None) or getattr(actor, "username", "system")


@writes
def lock_year(year: int, reason: str, *, actor: Actor | None = None) -> YearLock:
    """Lock ``year`` (city admins): from now on no bureau record of that year changes."""
    from app.audit.services import record_city

    value, reason = _checked(year, reason)
    if get_lock(value) is not None:
        raise ValidationError(_("The year lock could not be changed."),
                              {"year": [_("The year %(year)s is already locked.", year=value)]})
    actor_id, actor_name = _actor_fields(actor)
    lock = YearLock(year=value, locked_at=utcnow(), locked_by_id=actor_id, locked_by=actor_name, reason=reason)
    db.session.add(lock)
    db.session.flush()
    record_city("year.lock", "year", value, summary=f"锁定{value}年度：{reason}",
                after={"year": value, "reason": reason}, actor=actor)
    return lock


@writes
def unlock_year(year: int, reason: str, *, actor: Actor | None = None) -> None:
    """Unlock ``year`` again; the reason goes to the audit trail."""
    from app.audit.services import record_city

    value, reason = _checked(year, reason)
    lock = get_lock(value)
    if lock is None:
        raise NotFound(_("The year %(year)s is not locked.", year=value))
    before = {"year": lock.year, "reason": lock.reason, "locked_by": lock.locked_by,
              "locked_at": lock.locked_at}
    db.session.delete(lock)
    record_city("year.unlock", "year", value, summary=f"解锁{value}年度：{reason}",
                before=before, after={"year": value, "unlock_reason": reason}, actor=actor)
