"""Rules of the branches' meeting ledger (三会一课, 主题党日).

* Which units keep a ledger, and of which kinds (:data:`UNIT_MEETINGS`): a 党支部 holds
  支部党员大会, 支委会, 党课 and 主题党日; a 党小组 holds 党小组会; a 党总支 its 党员大会,
  委员会 and 党课.
* How often each kind is expected is the bureau's choice (:func:`cadences`, saved by
  :func:`set_cadences`; :data:`DEFAULT_CADENCE` until then): every ``months`` months,
  in calendar periods (monthly, quarterly, half-yearly, yearly), 0 for never.
* A period of a kind is *held* when the unit recorded at least one meeting of that kind
  in it; :func:`periods` counts the periods started this year and those held, and the
  current period not held yet is the "not held this month/quarter" warning.
* Who records: a bureau administrator for every unit, a branch user for the units they
  lead (:func:`app.orgs.services.led_unit_ids`); another unit is :class:`NotFound`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.audit.services import record_bureau
from app.core import clock
from app.core.actor import Actor, require
from app.core.loading import load
from app.core.unit_of_work import writes
from app.errors import NotFound, ValidationError, check_version
from app.extensions import db
from app.orgs import services as orgs
from app.text import has_control_characters, parse_date, parse_int

from .labels import kind_label
from .models import MEETING_KINDS, Meeting, MeetingAbsence, MeetingCadence

UNIT_MEETINGS = {
    "branch": ("general_assembly", "committee", "lecture", "theme_day"),
    "group": ("group",),
    "general_branch": ("general_assembly", "committee", "lecture"),
}
#: The usual cadence in months: 支委会, 党小组会 and 主题党日 monthly, 党课 and 党员大会 quarterly.
DEFAULT_CADENCE = {"general_assembly": 3, "committee": 1, "group": 1, "lecture": 3, "theme_day": 1}
CADENCE_CHOICES = (0, 1, 3, 6, 12)
TOPIC_MAX, MINUTES_MAX, ATTENDANCE_MAX, ABSENCES_MAX = 200, 20_000, 10_000, 500


def today() -> date:
    """Today in the bureau's time zone."""
    return clock.today()


def kinds_for(unit: Any) -> tuple[str, ...]:
    """The meeting kinds a unit holds (none for a 机关党委 or 党组)."""
    return UNIT_MEETINGS.get(unit.kind, ())


def cadences() -> dict[str, int]:
    """Months between meetings of each kind, as the bureau set them."""
    result = dict(DEFAULT_CADENCE)
    for row in db.session.scalars(select(MeetingCadence)):
        if row.kind in result:
            result[row.kind] = row.months
    return result


def get_unit(unit_id: Any, actor: Actor):
    """The unit whose ledger is asked for (:class:`NotFound` also when it keeps none)."""
    unit = orgs.get_unit(unit_id, actor)
    if not kinds_for(unit):
        raise NotFound(_("This organisation keeps no meeting ledger."))
    return unit


def may_record(unit: Any, actor: Actor) -> bool:
    """Administrators record for every unit, a branch user for the units they lead."""
    return actor.is_bureau_admin or (orgs.is_branch_user(actor) and unit.id in orgs.led_unit_ids(actor))


def get_meeting(meeting_id: Any, actor: Actor) -> Meeting:
    """A meeting the actor may see, or :class:`NotFound`."""
    meeting = load(Meeting, meeting_id, _("No such meeting."))
    orgs.get_unit(meeting.unit_id, actor)
    return meeting


def ledger(unit: Any, year: int) -> list[Meeting]:
    """The unit's meetings of ``year``, newest first."""
    return list(db.session.scalars(select(Meeting).where(Meeting.unit_id == unit.id, Meeting.year == year)
                                   .order_by(Meeting.held_on.desc(), Meeting.id.desc())))


def counts_by_link(links: Iterable[tuple[str, int, int, date | None]], until: date | None = None
                   ) -> dict[tuple[str, int, int, date | None], tuple[int, date | None]]:
    """Meetings held per (kind, unit id, year, since) of ``links``: of that kind, by that
    unit, in that year, on or after ``since`` (``None``: from January) and on or before
    ``until``: {link: (count, last date)} (a duty item linked to a kind and a unit counts
    them from the day it owes them)."""
    links = set(links)
    if not links:
        return {}
    query = (select(Meeting.kind, Meeting.unit_id, Meeting.year, Meeting.held_on)
             .where(Meeting.unit_id.in_({unit for _kind, unit, _year, _since in links}),
                    Meeting.year.in_({year for _kind, _unit, year, _since in links})))
    if until is not None:
        query = query.where(Meeting.held_on <= until)
    held: dict[tuple[str, int, int], list[date]] = {}
    for kind, unit, year, day in db.session.execute(query):
        held.setdefault((kind, unit, year), []).append(day)
    found = {}
    for link in links:
        kind, unit, year, since = link
        days = [day for day in held.get((kind, unit, year), ()) if since is None or day >= since]
        if days:
            found[link] = (len(days), max(days))
    return found


def kind_choices() -> list[tuple[str, str]]:
    """(code, label) of every meeting kind, in the ledger's order."""
    return [(code, kind_label(code)) for code in MEETING_KINDS]


# -- periods ---------------------------------------------------------------------------------

def period_of(day: date, months: int) -> int:
    """The index of the calendar period of ``months`` months that holds ``day`` (0-based)."""
    return (day.month - 1) // months


@dataclass
class KindPeriods:
    """One kind of meeting in one year: periods started, periods held, the current one."""

    kind: str
    months: int
    started: int
    held: int
    current_held: bool
    missed: list[int]

    @property
    def behind(self) -> bool:
        """A finished period of this year passed without a meeting."""
        return bool(self.missed)


def periods(unit: Any, year: int, day: date | None = None, *, held_days: dict[str, list[date]] | None = None,
            cadence: dict[str, int] | None = None) -> list[KindPeriods]:
    """Expected against held, per kind the unit holds (kinds not expected left out).

    ``held_days`` and ``cadence`` may be given by a caller that reads many units at once.
    """
    day = day or today()
    cadence = cadence if cadence is not None else cadences()
    if held_days is None:
        held_days = {}
        for kind, held_on in db.session.execute(select(Meeting.kind, Meeting.held_on).where(
                Meeting.unit_id == unit.id, Meeting.year == year)):
            held_days.setdefault(kind, []).append(held_on)
    result = []
    for kind in kinds_for(unit):
        months = cadence.get(kind, 0)
        if not months:
            continue
        if year < day.year:
            started = 12 // months
            current = None
        elif year == day.year:
            current = period_of(day, months)
            started = current + 1
        else:
            started, current = 0, None
        held = {period_of(d, months) for d in held_days.get(kind, ())}
        missed = [p for p in range(started) if p not in held and p != current]
        result.append(KindPeriods(kind, months, started, len([p for p in range(started) if p in held]),
                                  current is not None and current in held, missed))
    return result


# -- writing -----------------------------------------------------------------------------------

_ABSENCE_SPLIT = re.compile(r"[：:\s]+", re.UNICODE)


def parse_absences(text: Any) -> tuple[list[tuple[str, str]], list[str]]:
    """"name reason" lines (a space or a colon between) as (name, reason) pairs."""
    pairs: list[tuple[str, str]] = []
    problems: list[str] = []
    for number, line in enumerate(str(text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = _ABSENCE_SPLIT.split(line, maxsplit=1)
        name, reason = parts[0].strip(), (parts[1] if len(parts) > 1 else "").strip()
        if not name or len(name) > 60 or len(reason) > 100 or has_control_characters(name + reason):
            problems.append(_("Line %(n)s: write the name, then the reason (at most 60 and 100 characters).",
                              n=number))
        pairs.append((name[:60], reason[:100]))
    if len(pairs) > ABSENCES_MAX:
        problems.append(_("At most %(n)s absent members.", n=ABSENCES_MAX))
    return pairs, problems


def validate(unit: Any, data: dict) -> tuple[dict, dict]:
    """Check a meeting's fields; (clean values, errors by field), all errors at once."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    kind = str(data.get("kind") or "")
    if kind not in kinds_for(unit):
        errors["kind"] = [_("Choose a kind of meeting this organisation holds.")]
    clean["kind"] = kind
    try:
        held_on = parse_date(data.get("held_on"))
    except (TypeError, ValueError):
        held_on = None
        errors["held_on"] = [_("Enter a date such as 2026-06-30.")]
    else:
        if held_on is None:
            errors["held_on"] = [_("Enter the date of the meeting.")]
        elif held_on > today():
            errors["held_on"] = [_("A meeting is recorded once it was held: the date cannot be in the future.")]
    clean["held_on"] = held_on
    topic = str(data.get("topic") or "").strip()
    if not topic or len(topic) > TOPIC_MAX or has_control_characters(topic):
        errors["topic"] = [_("Enter the topic, at most %(n)s characters on one line.", n=TOPIC_MAX)]
    clean["topic"] = topic
    for key in ("expected", "present"):
        try:
            clean[key] = parse_int(data.get(key), low=0, high=ATTENDANCE_MAX) or 0
        except (TypeError, ValueError):
            errors[key] = [_("Enter a whole number from 0 to %(n)s.", n=ATTENDANCE_MAX)]
            clean[key] = 0
    absences, problems = parse_absences(data.get("absences"))
    if problems:
        errors["absences"] = problems
    clean["absences"] = absences
    if "expected" not in errors and "present" not in errors and clean["expected"]:
        if clean["present"] + len(absences) > clean["expected"]:
            errors["present"] = [_("Present and absent members together exceed the members expected.")]
    minutes = str(data.get("minutes") or "")
    if len(minutes) > MINUTES_MAX or "\x00" in minutes:
        errors["minutes"] = [_("At most %(n)s characters.", n=MINUTES_MAX)]
    clean["minutes"] = minutes.strip()
    return clean, errors


def _snapshot(meeting: Meeting) -> dict:
    return {"unit_id": meeting.unit_id, "kind": meeting.kind, "held_on": meeting.held_on, "topic": meeting.topic,
            "expected": meeting.expected, "present": meeting.present,
            "absent": [a.name for a in meeting.absences]}


@writes
def record_meeting(unit: Any, data: dict, *, actor: Actor) -> Meeting:
    """Record a meeting a unit held."""
    require(may_record(unit, actor))
    clean, errors = validate(unit, data)
    if errors:
        raise ValidationError(_("The meeting could not be saved."), errors)
    meeting = Meeting(unit_id=unit.id, kind=clean["kind"], year=clean["held_on"].year, held_on=clean["held_on"],
                      topic=clean["topic"], expected=clean["expected"], present=clean["present"],
                      minutes=clean["minutes"], recorded_by=actor.display_name[:60],
                      absences=[MeetingAbsence(name=n, reason=r) for n, r in clean["absences"]])
    db.session.add(meeting)
    db.session.flush()
    record_bureau("meeting.create", "meeting", meeting.id, summary=f"登记 {unit.name} {meeting.held_on} {meeting.topic}",
                  after=_snapshot(meeting), actor=actor)
    orgs.refresh_figures([unit.id], year=meeting.year)
    return meeting


@writes
def delete_meeting(meeting: Meeting, *, actor: Actor, version: Any) -> None:
    """Remove a meeting recorded by mistake."""
    unit = orgs.get_unit(meeting.unit_id, actor)
    require(may_record(unit, actor))
    check_version(meeting, version)
    record_bureau("meeting.delete", "meeting", meeting.id, summary=f"删除 {unit.name} {meeting.held_on} 的会议记录",
                  before=_snapshot(meeting), actor=actor)
    year = meeting.year
    db.session.delete(meeting)
    db.session.flush()
    orgs.refresh_figures([unit.id], year=year)


@writes
def set_cadences(data: dict, *, actor: Actor) -> dict[str, int]:
    """Save the bureau's cadence of every kind (bureau administrators)."""
    require(actor.is_bureau_admin)
    errors: dict[str, list[str]] = {}
    wanted: dict[str, int] = {}
    for kind in MEETING_KINDS:
        try:
            months = int(str(data.get(kind, "")).strip())
        except (TypeError, ValueError):
            months = -1
        if months not in CADENCE_CHOICES:
            errors[kind] = [_("Choose a cadence from the list.")]
        wanted[kind] = months
    if errors:
        raise ValidationError(_("The cadences could not be saved."), errors)
    before = cadences()
    rows = {row.kind: row for row in db.session.scalars(select(MeetingCadence))}
    for kind, months in wanted.items():
        row = rows.get(kind)
        if row is None:
            db.session.add(MeetingCadence(kind=kind, months=months))
        elif row.months != months:
            row.months = months
    db.session.flush()
    record_bureau("meeting.cadence", "meeting_cadence", None, summary="修改三会一课召开周期", before=before,
                  after=wanted, actor=actor)
    orgs.refresh_figures()
    return wanted


def branch_figures(units: list, year: int, day: date) -> dict[int, dict]:
    """The meeting figures of ``units`` for the bureau's dashboard (a registered branch
    figure source, :func:`app.orgs.services.refresh_figures`): periods held and due, and
    the kinds with a finished period missed.  One query for all the units."""
    cadence = cadences()
    held: dict[int, dict[str, list[date]]] = {}
    ids = [u.id for u in units]
    if ids:
        for unit_id, kind, held_on in db.session.execute(select(Meeting.unit_id, Meeting.kind, Meeting.held_on).where(
                Meeting.year == year, Meeting.unit_id.in_(ids))):
            held.setdefault(unit_id, {}).setdefault(kind, []).append(held_on)
    result = {}
    for unit in units:
        kinds = periods(unit, year, day, held_days=held.get(unit.id, {}), cadence=cadence)
        result[unit.id] = {"meetings_held": sum(k.held for k in kinds), "meetings_due": sum(k.started for k in kinds),
                           "kinds_behind": sum(k.behind for k in kinds)}
    return result
