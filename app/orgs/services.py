"""Rules of the bureau's organisation tree and of the branch role.

The tree: 机关党委 or 党组 at the top, 党总支 under them, 党支部 under either, 党小组
under a 党支部 (:data:`PARENT_KINDS`); kinds strictly descend, so the tree has no cycle.
Every unit names its secretary, deputy, 组织委员 and committee from the bureau's shared
people, its member count and its last election; the next election is due
``term_years`` after it (:func:`next_election`).

Who may do what:

* a bureau administrator maintains the whole tree (add, change, remove, import);
* a branch user (bureau role ``branch_editor``, an account linked to the person who is a
  unit's secretary or 组织委员) sees the units they lead and those below them, and
  changes only their committee, deputy, member count and election; any other unit is,
  for them, a unit that does not exist (:class:`NotFound`, a 404 page);
* every other role of the bureau, and the city, reads the tree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from flask_babel import gettext as _
from flask import current_app
from sqlalchemy import func, or_, select

from app.audit.services import changes, record_bureau
from app.core import clock
from app.core.actor import Actor, require
from app.core.loading import load
from app.core.unit_of_work import writes
from app.errors import NotFound, ValidationError, check_version
from app.extensions import db
from app.people.models import Person
from app.text import has_control_characters, parse_date, parse_int

from .labels import BRANCH_ROLE
from .models import (BRANCH, GENERAL_BRANCH, GROUP, LEADING_GROUP, PARTY_COMMITTEE, UNIT_KINDS,
                     OrgCommitteeMember, OrgUnit)

NAME_MAX = 100
MEMBERS_MAX = 100_000
TERM_MIN, TERM_MAX = 1, 5
#: An election due within this many days is announced on the tree.
DUE_SOON_DAYS = 180
#: Which kinds a unit of each kind may sit under (``None``: the top of the tree).
PARENT_KINDS: dict[str, tuple[str | None, ...]] = {
    PARTY_COMMITTEE: (None,),
    LEADING_GROUP: (None,),
    GENERAL_BRANCH: (PARTY_COMMITTEE, LEADING_GROUP),
    BRANCH: (PARTY_COMMITTEE, LEADING_GROUP, GENERAL_BRANCH),
    GROUP: (BRANCH,),
}
#: The usual term of each kind (党委 five years, 党总支 and 党支部 three).
DEFAULT_TERMS = {PARTY_COMMITTEE: 5, LEADING_GROUP: 5, GENERAL_BRANCH: 3, BRANCH: 3, GROUP: 3}
#: Fields a branch user may change on a unit they lead.
BRANCH_FIELDS = ("deputy_id", "committee_ids", "member_count", "elected_on", "term_years")


def today() -> date:
    """Today in the bureau's time zone."""
    return clock.today()


# -- who sees what ----------------------------------------------------------------------

def is_branch_user(actor: Actor) -> bool:
    """Whether the actor holds the branch-scoped role in this bureau."""
    return actor.role == BRANCH_ROLE


def led_unit_ids(actor: Actor) -> set[int]:
    """The units a branch user leads (secretary or 组织委员 by their linked person) and
    every unit below those."""
    if actor.id is None:
        return set()
    people = select(Person.id).where(Person.user_id == actor.id, Person.active.is_(True))
    own = set(db.session.scalars(select(OrgUnit.id).where(or_(OrgUnit.secretary_id.in_(people),
                                                              OrgUnit.organiser_id.in_(people)))))
    if not own:
        return set()
    children: dict[int | None, list[int]] = {}
    for unit_id, parent_id in db.session.execute(select(OrgUnit.id, OrgUnit.parent_id)):
        children.setdefault(parent_id, []).append(unit_id)
    seen, stack = set(), list(own)
    while stack:
        unit_id = stack.pop()
        if unit_id not in seen:
            seen.add(unit_id)
            stack.extend(children.get(unit_id, ()))
    return seen


def visible_ids(actor: Actor) -> set[int] | None:
    """The unit ids the actor may see, or ``None`` for every unit."""
    return led_unit_ids(actor) if is_branch_user(actor) else None


def get_unit(unit_id: Any, actor: Actor) -> OrgUnit:
    """The unit, or :class:`NotFound` (also for a unit a branch user does not lead)."""
    unit = load(OrgUnit, unit_id, _("No such organisation."))
    visible = visible_ids(actor)
    if visible is not None and unit.id not in visible:
        raise NotFound(_("No such organisation."))
    return unit


def may_manage(actor: Actor) -> bool:
    """Whether the actor maintains the whole tree (bureau administrators)."""
    return actor.is_bureau_admin


def may_edit(unit: OrgUnit, actor: Actor) -> bool:
    """Whether the actor may change this unit at all (all fields or the branch's own)."""
    if actor.is_bureau_admin:
        return True
    return is_branch_user(actor) and unit.id in led_unit_ids(actor)


# -- reading ------------------------------------------------------------------------------

def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def next_election(unit: OrgUnit) -> date | None:
    """When the unit's next election (换届) is due, or ``None`` with no election on record."""
    return add_years(unit.elected_on, unit.term_years) if unit.elected_on else None


def election_state(unit: OrgUnit, day: date | None = None) -> str:
    """``overdue``, ``due_soon``, ``unknown`` (no election recorded) or ``ok``."""
    due = next_election(unit)
    if due is None:
        return "unknown"
    day = day or today()
    if due < day:
        return "overdue"
    return "due_soon" if (due - day).days <= DUE_SOON_DAYS else "ok"


@dataclass
class TreeRow:
    """A unit as the tree shows it: its depth and its election state."""

    unit: OrgUnit
    depth: int
    state: str
    due: date | None
    children: int = 0


@dataclass
class Tree:
    """The tree in display order, with its totals."""

    rows: list[TreeRow] = field(default_factory=list)
    branches: int = 0
    members: int = 0
    overdue: int = 0
    no_secretary: int = 0


def all_units() -> list[OrgUnit]:
    """Every unit of the bureau in display order (not filtered by role)."""
    return list(db.session.scalars(select(OrgUnit).order_by(OrgUnit.sort_order, OrgUnit.id)))


def tree(actor: Actor, day: date | None = None) -> Tree:
    """The units the actor may see, each under its parent, with their warnings."""
    day = day or today()
    units = all_units()
    visible = visible_ids(actor)
    by_parent: dict[int | None, list[OrgUnit]] = {}
    ids = {u.id for u in units}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        by_parent.setdefault(parent, []).append(unit)
    result = Tree()

    def walk(parent: int | None, depth: int) -> None:
        for unit in by_parent.get(parent, ()):
            shown = visible is None or unit.id in visible
            if shown:
                due = next_election(unit)
                row = TreeRow(unit, depth, election_state(unit, day), due, len(by_parent.get(unit.id, ())))
                result.rows.append(row)
                result.branches += unit.kind == BRANCH
                result.members += unit.member_count if unit.kind in (BRANCH,) else 0
                result.overdue += row.state == "overdue"
                result.no_secretary += unit.secretary_id is None and unit.kind != GROUP
            walk(unit.id, depth + 1 if shown else depth)

    walk(None, 0)
    return result


def branch_units() -> list[OrgUnit]:
    """The bureau's 党支部, in the tree's order (the units that answer a per-branch task)."""
    return list(db.session.scalars(select(OrgUnit).where(OrgUnit.kind == BRANCH)
                                   .order_by(OrgUnit.sort_order, OrgUnit.id)))


def children_of(unit: OrgUnit) -> list[OrgUnit]:
    """The units directly under ``unit``."""
    return list(db.session.scalars(select(OrgUnit).where(OrgUnit.parent_id == unit.id)
                                   .order_by(OrgUnit.sort_order, OrgUnit.id)))


def parent_choices(unit: OrgUnit | None = None) -> list[OrgUnit]:
    """Units that can be a parent (anything but a 党小组, nor the unit itself)."""
    return [u for u in all_units() if u.kind != GROUP and (unit is None or u.id != unit.id)]


def people_choices(include: Iterable[int | None] = ()) -> list[Person]:
    """Active people of the bureau, plus any inactive one a unit already names."""
    keep = {i for i in include if i}
    query = select(Person).order_by(Person.sort_order, Person.id)
    return [p for p in db.session.scalars(query) if p.active or p.id in keep]


# -- checking -----------------------------------------------------------------------------

def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _person_id(raw: Any, active: dict[int, Person], errors: dict, key: str, keep: int | None = None) -> int | None:
    if raw in (None, "", "0", 0):
        return None
    try:
        person_id = int(raw)
    except (TypeError, ValueError):
        person_id = -1
    if person_id not in active and person_id != keep:
        errors.setdefault(key, []).append(_("Choose a person of this bureau from the list."))
        return None
    return person_id


def validate(data: dict, unit: OrgUnit | None = None, *, pending: dict[str, str] | None = None) -> tuple[dict, dict]:
    """Check a unit's fields; returns (clean values, errors by field), all errors at once.

    ``pending`` maps names of units about to be created (an import's earlier rows) to
    their kind, so that a row may sit under a unit of the same workbook.
    """
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    name = _text(data.get("name"))
    if not name or len(name) > NAME_MAX or has_control_characters(name):
        errors["name"] = [_("Enter a name of at most %(n)s characters, on one line.", n=NAME_MAX)]
    else:
        clash = db.session.scalar(select(OrgUnit.id).where(OrgUnit.name == name,
                                                           OrgUnit.id != (unit.id if unit else -1)))
        if clash is not None:
            errors["name"] = [_("Another organisation of this bureau is already called “%(name)s”.", name=name)]
    clean["name"] = name
    kind = _text(data.get("kind"))
    if kind not in UNIT_KINDS:
        errors["kind"] = [_("Choose a kind of organisation from the list.")]
    clean["kind"] = kind

    parent_kind: str | None = None
    parent_id = None
    raw_parent = data.get("parent_id")
    parent_name = data.get("parent_name")
    if parent_name:
        clean["parent_name"] = parent_name
        parent_kind = (pending or {}).get(parent_name)
        if parent_kind is None:
            parent = db.session.scalar(select(OrgUnit).where(OrgUnit.name == parent_name))
            if parent is None:
                errors["parent_id"] = [_("“%(name)s” is not an organisation of this bureau (nor in an earlier row).",
                                         name=str(parent_name)[:40])]
            else:
                parent_id, parent_kind = parent.id, parent.kind
    elif raw_parent not in (None, "", "0", 0):
        try:
            parent = db.session.get(OrgUnit, int(raw_parent))
        except (TypeError, ValueError, OverflowError):
            parent = None
        if parent is None or (unit is not None and parent.id == unit.id):
            errors["parent_id"] = [_("Choose an organisation from the list.")]
        else:
            parent_id, parent_kind = parent.id, parent.kind
    clean["parent_id"] = parent_id
    if kind in UNIT_KINDS and "parent_id" not in errors and parent_kind not in PARENT_KINDS[kind]:
        if None in PARENT_KINDS[kind]:
            errors["parent_id"] = [_("An organ Party committee or a leading Party group is at the top: "
                                     "leave the parent empty.")]
        else:
            from .labels import kind_label

            errors["parent_id"] = [_("A %(kind)s sits under: %(parents)s.", kind=kind_label(kind),
                                     parents="、".join(kind_label(k) for k in PARENT_KINDS[kind] if k))]
    if unit is not None and kind in UNIT_KINDS and kind != unit.kind:
        below = {c.kind for c in children_of(unit)}
        if any(kind not in PARENT_KINDS[k] for k in below):
            errors.setdefault("kind", []).append(
                _("The organisations under this one could not stay under a unit of that kind."))

    active = {p.id: p for p in db.session.scalars(select(Person).where(Person.active.is_(True)))}
    for key in ("secretary_id", "deputy_id", "organiser_id"):
        clean[key] = _person_id(data.get(key), active, errors, key, getattr(unit, key, None))
    if clean["secretary_id"] and clean["secretary_id"] == clean["deputy_id"]:
        errors.setdefault("deputy_id", []).append(_("The deputy secretary cannot be the secretary."))
    committee: list[int] = []
    for raw in data.get("committee_ids") or ():
        keep = {m.person_id for m in unit.committee} if unit else set()
        try:
            person_id = int(raw)
        except (TypeError, ValueError):
            person_id = -1
        if person_id not in active and person_id not in keep:
            errors["committee_ids"] = [_("Choose committee members from the people of this bureau.")]
            break
        if person_id not in committee:
            committee.append(person_id)
    clean["committee_ids"] = committee

    try:
        clean["member_count"] = parse_int(data.get("member_count"), low=0, high=MEMBERS_MAX) or 0
    except (TypeError, ValueError):
        errors["member_count"] = [_("Enter a whole number from 0 to %(n)s.", n=MEMBERS_MAX)]
    try:
        elected_on = parse_date(data.get("elected_on"))
    except (TypeError, ValueError):
        errors["elected_on"] = [_("Enter a date such as 2026-06-30.")]
        elected_on = None
    if elected_on and elected_on > today():
        errors["elected_on"] = [_("The last election cannot be in the future.")]
    clean["elected_on"] = elected_on
    try:
        term = parse_int(data.get("term_years"), low=TERM_MIN, high=TERM_MAX)
    except (TypeError, ValueError):
        errors["term_years"] = [_("Enter a whole number of years from %(low)s to %(high)s.", low=TERM_MIN,
                                  high=TERM_MAX)]
        term = None
    clean["term_years"] = term or DEFAULT_TERMS.get(kind, 3)
    try:
        clean["sort_order"] = parse_int(data.get("sort_order"), low=0, high=9999)
    except (TypeError, ValueError):
        errors["sort_order"] = [_("Enter a whole number from 0 to 9999.")]
    return clean, errors


# -- writing ------------------------------------------------------------------------------

def snapshot(unit: OrgUnit) -> dict:
    """What the audit trail keeps of a unit."""
    return {"name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id, "secretary_id": unit.secretary_id,
            "deputy_id": unit.deputy_id, "organiser_id": unit.organiser_id, "member_count": unit.member_count,
            "elected_on": unit.elected_on, "term_years": unit.term_years,
            "committee": sorted(m.person_id for m in unit.committee)}


def _apply(unit: OrgUnit, clean: dict, fields: Iterable[str]) -> None:
    for key in fields:
        if key == "committee_ids":
            wanted = list(clean["committee_ids"])
            unit.committee = ([m for m in unit.committee if m.person_id in wanted]
                              + [OrgCommitteeMember(person_id=p) for p in wanted
                                 if p not in {m.person_id for m in unit.committee}])
        elif key == "sort_order":
            if clean.get("sort_order") is not None:
                unit.sort_order = clean["sort_order"]
        else:
            setattr(unit, key, clean[key])


ALL_FIELDS = ("name", "kind", "parent_id", "secretary_id", "deputy_id", "organiser_id", "committee_ids",
              "member_count", "elected_on", "term_years", "sort_order")


def _held_rows(unit_id: int) -> int:
    """How many rows of other features name this unit (columns registered in
    :func:`app.create_app` as ``zeren.unit_holders``, so this package imports none)."""
    columns = tuple(current_app.extensions.get("zeren.unit_holders") or ())
    return sum(db.session.scalar(select(func.count()).select_from(column.class_).where(column == unit_id)) or 0
               for column in columns)


def _next_order() -> int:
    return max((u.sort_order for u in all_units()), default=0) + 10


@writes
def create_unit(data: dict, *, actor: Actor) -> OrgUnit:
    """Add a unit to the tree (bureau administrators)."""
    require(may_manage(actor))
    clean, errors = validate(data)
    if errors:
        raise ValidationError(_("The organisation could not be saved."), errors)
    unit = OrgUnit(sort_order=_next_order())
    _apply(unit, clean, ALL_FIELDS)
    db.session.add(unit)
    db.session.flush()
    record_bureau("org_unit.create", "org_unit", unit.id, summary=f"新增党组织 {unit.name}", after=snapshot(unit),
                  actor=actor)
    refresh_figures([unit.id])
    return unit


@writes
def update_unit(unit: OrgUnit, data: dict, *, actor: Actor, version: Any) -> OrgUnit:
    """Change a unit: every field for an administrator, the branch's own fields
    (:data:`BRANCH_FIELDS`) for a branch user who leads it."""
    require(may_edit(unit, actor))
    check_version(unit, version)
    fields = ALL_FIELDS if actor.is_bureau_admin else BRANCH_FIELDS
    merged = {key: data.get(key) for key in fields}
    for key in ALL_FIELDS:
        if key not in fields:
            merged[key] = ([m.person_id for m in unit.committee] if key == "committee_ids"
                           else getattr(unit, key))
    clean, errors = validate(merged, unit)
    if errors:
        raise ValidationError(_("The organisation could not be saved."), errors)
    before = snapshot(unit)
    _apply(unit, clean, fields)
    db.session.flush()
    old, new = changes(before, snapshot(unit))
    if new:
        record_bureau("org_unit.update", "org_unit", unit.id, summary=f"修改党组织 {unit.name}", before=old,
                      after=new, actor=actor)
        refresh_figures([unit.id])
    return unit


@writes
def delete_unit(unit: OrgUnit, *, actor: Actor, version: Any) -> None:
    """Remove a unit with nothing under it (bureau administrators)."""
    require(may_manage(actor))
    check_version(unit, version)
    if children_of(unit):
        raise ValidationError(_("Remove or move the organisations under %(name)s first.", name=unit.name))
    if _held_rows(unit.id):
        raise ValidationError(_("%(name)s has records (meetings, task answers …): it cannot be removed.", name=unit.name))
    record_bureau("org_unit.delete", "org_unit", unit.id, summary=f"删除党组织 {unit.name}", before=snapshot(unit),
                  actor=actor)
    db.session.delete(unit)


@writes
def import_units(rows: list[dict], *, actor: Actor) -> tuple[int, int]:
    """Create or change units from checked import rows (by name: a row whose name
    exists changes that unit), in row order; returns (created, changed)."""
    require(may_manage(actor))
    created = changed = 0
    for clean in rows:
        unit = db.session.scalar(select(OrgUnit).where(OrgUnit.name == clean["name"]))
        if clean.get("parent_name"):
            clean = dict(clean, parent_id=db.session.scalar(
                select(OrgUnit.id).where(OrgUnit.name == clean["parent_name"])))
        if unit is None:
            unit = OrgUnit(sort_order=_next_order())
            _apply(unit, clean, ALL_FIELDS)
            db.session.add(unit)
            db.session.flush()
            record_bureau("org_unit.create", "org_unit", unit.id, summary=f"导入党组织 {unit.name}",
                          after=snapshot(unit), actor=actor)
            created += 1
        else:
            before = snapshot(unit)
            _apply(unit, clean, ALL_FIELDS)
            db.session.flush()
            old, new = changes(before, snapshot(unit))
            if new:
                record_bureau("org_unit.update", "org_unit", unit.id, summary=f"导入修改党组织 {unit.name}",
                              before=old, after=new, actor=actor)
                changed += 1
    refresh_figures()
    return created, changed


# -- figures --------------------------------------------------------------------------------

def metrics(year: int) -> dict:
    """The tree's figures for the roll-up: branches (党支部), members of the branches,
    units whose election is overdue, units without a secretary, and the branches behind
    (a kind of meeting missed in a finished period, or the election overdue; from the
    stored branch figures)."""
    from .models import BranchFigure

    day = today()
    units = all_units()
    branches = [u for u in units if u.kind == BRANCH]
    behind = db.session.scalar(select(func.count()).select_from(BranchFigure).join(
        OrgUnit, OrgUnit.id == BranchFigure.unit_id).where(
        BranchFigure.year == year, BranchFigure.behind.is_(True), OrgUnit.kind == BRANCH)) or 0
    return {
        "branches_behind": behind,
        "org_units": len(units),
        "branches": len(branches),
        "branch_members": sum(u.member_count for u in branches),
        "elections_overdue": sum(election_state(u, day) == "overdue" for u in units if u.kind != GROUP),
        "units_without_secretary": sum(u.secretary_id is None for u in units if u.kind != GROUP),
    }


# -- branch figures, pushed on change ---------------------------------------------------------

#: The kinds whose figures the bureau's dashboard compares.
FIGURE_KINDS = (BRANCH, GENERAL_BRANCH, GROUP)


def figure_sources() -> tuple:
    """The functions other features registered to fill a unit's figures
    (``app.extensions["zeren.branch_figure_sources"]``): each takes (units, year, day) and
    returns {unit id: {figure: value}} for the columns of :class:`BranchFigure`."""
    return tuple(current_app.extensions.get("zeren.branch_figure_sources") or ())


@writes
def refresh_figures(unit_ids: Iterable[int] | None = None, *, year: int | None = None) -> int:
    """Recompute the figures of these units (every unit the dashboard shows when
    ``None``) for ``year`` into ``branch_figures``; returns how many rows were written.

    Called by every service that changes what a unit's figures read (the tree's own
    writes, a meeting recorded or removed, a cadence changed) in the same unit of work,
    and by the nightly job (periods and elections fall due with the date)."""
    from .models import BranchFigure

    day = today()
    year = year or day.year
    query = select(OrgUnit).where(OrgUnit.kind.in_(FIGURE_KINDS))
    if unit_ids is not None:
        wanted = set(unit_ids)
        if not wanted:
            return 0
        query = query.where(OrgUnit.id.in_(wanted))
    units = list(db.session.scalars(query))
    values: dict[int, dict] = {u.id: {"meetings_held": 0, "meetings_due": 0, "kinds_behind": 0} for u in units}
    for source in figure_sources():
        for unit_id, figures in source(units, year, day).items():
            values.setdefault(unit_id, {}).update(figures)
    existing = {row.unit_id: row for row in db.session.scalars(select(BranchFigure).where(
        BranchFigure.year == year, BranchFigure.unit_id.in_([u.id for u in units])))}
    for unit in units:
        row = existing.get(unit.id) or BranchFigure(unit_id=unit.id, year=year)
        figures = values[unit.id]
        row.meetings_held, row.meetings_due = figures["meetings_held"], figures["meetings_due"]
        row.kinds_behind = figures["kinds_behind"]
        row.election_overdue = election_state(unit, day) == "overdue" and unit.kind != GROUP
        row.behind = bool(row.kinds_behind or row.election_overdue)
        row.computed_on = day
        if row.id is None:
            db.session.add(row)
    db.session.flush()
    return len(units)


@dataclass
class DashboardRow:
    """One unit on the bureau's dashboard."""

    unit_id: int
    name: str
    kind: str
    parent: str
    members: int
    held: int
    due: int
    kinds_behind: int
    election_overdue: bool
    behind: bool

    @property
    def rate(self) -> float | None:
        """Periods held of periods due, or ``None`` when none is due yet."""
        return self.held / self.due if self.due else None


@dataclass
class Dashboard:
    """The bureau's branches at a glance."""

    rows: list[DashboardRow]
    branches: int
    behind: int
    elections_overdue: int
    held: int
    due: int


def compare(board: Dashboard, chosen: Iterable[Any]) -> Dashboard:
    """The chosen rows of a dashboard (2–6 unit ids, in the order given, unknown ids and
    repeats dropped), with their own totals."""
    order = []
    for raw in chosen:
        try:
            order.append(int(raw))
        except (TypeError, ValueError):
            continue
    by_id = {r.unit_id: r for r in board.rows}
    rows = [by_id[i] for i in dict.fromkeys(order) if i in by_id][:6]
    return _totals(rows)


def _totals(rows: list[DashboardRow]) -> Dashboard:
    branches = [r for r in rows if r.kind == BRANCH]
    return Dashboard(rows=rows, branches=len(branches), behind=sum(r.behind for r in branches),
                     elections_overdue=sum(r.election_overdue for r in rows),
                     held=sum(r.held for r in branches), due=sum(r.due for r in branches))


def dashboard(year: int, actor: Actor) -> Dashboard:
    """The stored figures of every branch and 党总支, read in one query; nothing is
    recomputed here (the figures were pushed by the writes, :func:`refresh_figures`)."""
    from .models import BranchFigure

    require(not is_branch_user(actor))
    parent = OrgUnit.__table__.alias("parent")
    query = (select(OrgUnit.id, OrgUnit.name, OrgUnit.kind, parent.c.name, OrgUnit.member_count,
                    BranchFigure.meetings_held, BranchFigure.meetings_due, BranchFigure.kinds_behind,
                    BranchFigure.election_overdue, BranchFigure.behind)
             .join(BranchFigure, (BranchFigure.unit_id == OrgUnit.id) & (BranchFigure.year == year), isouter=True)
             .join(parent, parent.c.id == OrgUnit.parent_id, isouter=True)
             .where(OrgUnit.kind.in_((BRANCH, GENERAL_BRANCH)))
             .order_by(OrgUnit.sort_order, OrgUnit.id))
    rows = [DashboardRow(r[0], r[1], r[2], r[3] or "", r[4], r[5] or 0, r[6] or 0, r[7] or 0, bool(r[8]),
                         bool(r[9])) for r in db.session.execute(query)]
    return _totals(rows)
