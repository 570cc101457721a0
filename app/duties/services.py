"""Rules of the bureau's responsibility lists: people, lists, items, progress records,
evidence, derived status and the per-bureau figures.

Every function works on the current bureau's session (a ``/b/<slug>/`` request or
``tenant_context``).  Changes check permissions (:class:`Actor`), optimistic-locking
versions and the list's status, write an audit event in the same transaction and
commit.  Derived status comes from :mod:`app.duties.status`; ``today`` is passed in by
callers that care (tests, the roll-up) and defaults to the date in the configured time
zone.
"""
from __future__ import annotations

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO, Iterable

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, not_, or_, select, true, update

from app.audit.services import changes, record_bureau, record_city
from app.errors import Conflict, Locked, NotFound, ValidationError, check_version
from app.extensions import db
from app.core.actor import Actor, require
from app.core.loading import load
from app.core.unit_of_work import after_commit, after_rollback, writes
from app.models import utcnow
from app.tenancy.session import current_slug
from app.years.services import ensure_open, get_lock, lock_message
from app.core.clock import local_zone, today
from app.deadlines import services as deadlines
from app.meetings import services as meetings
from app.notifications import services as notifications
from app.orgs import services as orgs
from app.deadlines import status as warnings

from app.evidence.models import Attachment
from app.evidence.services import MAX_FILES_PER_UPLOAD, Upload, ensure_stored, prepare_uploads, release_blobs  # noqa: F401
from app.evidence.storage import PreparedUpload, blob_store
from app.people.models import Person
from app.people.services import list_people, people_of_user
from app.text import YEAR_MAX, YEAR_MIN, parse_date, parse_int

from . import status as rules
from .labels import CATEGORIES, default_areas
from .models import APPROVED, PENDING, RETURNED, DutyItem, DutyList, DutyTemplate, ProgressRecord

MAX_COUNT = 366
REASON_MAX = 1000
#: Only reviewed and approved records count (completion, roll-up, reports, exports).
COUNTS = ProgressRecord.review_state == APPROVED


# -- who may do what ----------------------------------------------------------------
def can_manage(actor: Actor) -> bool:
    """People, lists and items are managed by bureau administrators."""
    return actor.is_bureau_admin


def can_record(item: DutyItem, actor: Actor) -> bool:
    """Administrators and editors record on every item of their bureau.

    In a bureau the 台账 is kept by the 党建办's clerk (信息员/联络员) for the secretary and
    the members, who rarely log in themselves; an editor account is what the administrator
    gives to whoever keeps it.  A record is attributed to the item's owner (for whom) and
    to the account that wrote it (who), and audited, so nothing is lost by not naming
    recorders per item, and no year-end deadline waits for an administrator to add one.
    """
    return actor.is_bureau_admin or actor.is_bureau_editor


def record_refusal(item: DutyItem, actor: Actor) -> str | None:
    """Why ``actor`` may not record on ``item`` (a sentence for the page), or ``None``.

    The list's own read-only reason (year lock, archive) is :func:`read_only_reason`.
    """
    if can_record(item, actor):
        return None
    if actor.is_city or actor.role == "reader":
        return _("City committee accounts read the bureaus' records; each bureau records its own work.")
    return _("Your account can only read this bureau's pages. To record progress, ask the bureau's administrator "
             "to give your account the editor role.")


def can_change_record(record: ProgressRecord, actor: Actor) -> bool:
    """Administrators change every record; editors the ones they wrote."""
    if actor.is_bureau_admin:
        return True
    return can_record(record.item, actor) and actor.id is not None and record.author_id == actor.id


def recorded_for(record: ProgressRecord, people: dict[int, Person]) -> str | None:
    """The name of the person ``record`` was recorded for when someone else wrote it
    (the clerk for the secretary), ``None`` when the person wrote their own or nobody
    owned the item.  ``people``: the bureau's people by id."""
    if not record.for_person_name:
        return None
    person = people.get(record.for_person_id) if record.for_person_id is not None else None
    if person is not None and person.user_id is not None and person.user_id == record.author_id:
        return None
    return record.for_person_name


def change_refusal(record: ProgressRecord, actor: Actor) -> str | None:
    """Why ``actor`` may not change ``record``, or ``None``."""
    if can_change_record(record, actor):
        return None
    if not can_record(record.item, actor):
        return record_refusal(record.item, actor)
    return _("Recorded by %(name)s: only they or the bureau's administrator can change it.",
             name=record.author_name or _("someone else"))


def require_writable(duty_list: DutyList) -> None:
    """Lists of a year the city locked, and archived lists, are read-only: raise :class:`Locked`.

    (The flush-time guard of :mod:`app.years.guard` enforces the year lock anyway; checking
    here refuses before any upload is spooled, with the lock's own message.)
    """
    ensure_open(duty_list.year)
    if duty_list.is_archived:
        raise Locked(_("This list is archived and read-only. Reopen it to make changes."))


def read_only_reason(duty_list: DutyList) -> str | None:
    """Why nothing of ``duty_list`` can change now (the year's lock, or archiving), or ``None``."""
    lock = get_lock(duty_list.year)
    if lock is not None:
        return lock_message(lock)
    if duty_list.is_archived:
        return _("This list is archived and read-only. Reopen it to make changes.")
    return None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


# -- lists ---------------------------------------------------------------------------
def list_lists() -> list[DutyList]:
    """Every list of the bureau, newest year first."""
    return list(db.session.scalars(select(DutyList).order_by(DutyList.year.desc())))


def get_list(list_id: int) -> DutyList:
    return load(DutyList, list_id, _("No such list."))


def list_for_year(year: int) -> DutyList | None:
    return db.session.scalar(select(DutyList).where(DutyList.year == year))


def _list_snapshot(duty_list: DutyList) -> dict:
    return {"year": duty_list.year, "title": duty_list.title, "status": duty_list.status,
            "template_id": duty_list.template_id, "template_edition": duty_list.template_edition}


def _due_in(year: int, month: int | None) -> date | None:
    if not month:
        return None
    return date(year, month, calendar.monthrange(year, month)[1])


def _default_owner(category: str, people: list[Person]) -> Person | None:
    """The one active person an item of ``category`` obviously belongs to, if any."""
    kind = {"secretary": "secretary", "organ_committee": "organ_committee", "discipline": "discipline"}.get(category)
    if kind is None:
        return None
    candidates = [p for p in people if p.kind == kind and p.active]
    return candidates[0] if len(candidates) == 1 else None


@writes
def create_list(year: Any, *, actor: Actor, title: str | None = None, template_id: Any = None) -> DutyList:
    """Create the bureau's list for ``year``, empty or copied from a published template.

    Copying takes the template's areas and items as they are now; the list keeps them
    whatever later editions of the template say.  Items of the category ``member`` are
    copied once per active leadership member (kind ``member``) and given to them.
    """
    require(can_manage(actor))
    errors: dict[str, list[str]] = {}
    try:
        year = parse_int(year, low=YEAR_MIN, high=YEAR_MAX)
    except ValueError:
        year = None
    if year is None:
        errors["year"] = [_("Enter a year between 2000 and 2100.")]
    template = None
    if template_id not in (None, "", "0", 0):
        try:
            template = db.session.get(DutyTemplate, int(template_id))
        except (TypeError, ValueError):
            template = None
        if template is None or not template.is_published:
            errors["template_id"] = [_("Choose a published template from the list.")]
    title = _text(title)
    if len(title) > 200:
        errors["title"] = [_("At most %(n)s characters.", n=200)]
    if errors:
        raise ValidationError(_("The list could not be created."), errors)
    ensure_open(year)
    if list_for_year(year) is not None:
        raise Conflict(_("There is already a list for %(year)s.", year=year))
    if template is not None:
        title = title or (template.title if str(year) in template.title else f"{year}年度{_strip_year(template.title)}")
    title = title or f"{year}年度落实全面从严治党（机关党建）主体责任清单"
    duty_list = DutyList(year=year, title=title, status="draft",
                         areas=list(template.areas) if template else default_areas())
    if template is not None:
        duty_list.template_id, duty_list.template_edition = template.id, template.edition
        duty_list.template_title = template.title
    db.session.add(duty_list)
    db.session.flush()
    created = 0
    if template is not None:
        people = list_people(active_only=True)
        members = [p for p in people if p.kind == "member"]
        order = 0
        for source in template.items:
            owners: list[Person | None]
            if source["category"] == "member":
                owners = list(members) or [None]
            else:
                owners = [_default_owner(source["category"], people)]
            for owner in owners:
                order += 10
                db.session.add(DutyItem(
                    list_id=duty_list.id, category=source["category"], area=source["area"],
                    content=source["content"], measures=source.get("measures", ""),
                    lead_unit=source.get("lead_unit", ""), cadence=source["cadence"],
                    expected_count=source["expected_count"], due_date=_due_in(year, source.get("due_month")),
                    owner_id=owner.id if owner else None, sort_order=order, source_key=source["key"]))
                created += 1
    record_bureau("duty_list.create", "duty_list", duty_list.id, summary=f"新建{year}年度责任清单",
                  after={**_list_snapshot(duty_list), "items": created}, actor=actor)
    return duty_list


def _strip_year(title: str) -> str:
    return re.sub(r"^\d{4}年度?", "", title or "")


@writes
def update_list(duty_list: DutyList, *, title: Any, version: Any, actor: Actor) -> DutyList:
    """Rename a list."""
    require(can_manage(actor))
    require_writable(duty_list)
    check_version(duty_list, version)
    title = _text(title)
    if not title or len(title) > 200:
        raise ValidationError(_("The list could not be saved."), {"title": [_("Enter a title of at most 200 characters.")]})
    before = _list_snapshot(duty_list)
    duty_list.title = title
    old, new = changes(before, _list_snapshot(duty_list))
    if new:
        record_bureau("duty_list.update", "duty_list", duty_list.id, summary=f"修改{duty_list.year}年度责任清单",
                      before=old, after=new, actor=actor)
    return duty_list


LIST_TRANSITIONS = {("draft", "published"), ("published", "archived"), ("archived", "published")}


@writes
def set_list_status(duty_list: DutyList, target: str, *, version: Any, actor: Actor) -> DutyList:
    """Publish a draft, archive a published list (read-only) or reopen an archived one."""
    require(can_manage(actor))
    ensure_open(duty_list.year)
    check_version(duty_list, version)
    if (duty_list.status, target) not in LIST_TRANSITIONS:
        raise ValidationError(_("This change of status is not possible."))
    if target == "published" and duty_list.status == "draft":
        if not db.session.scalar(select(func.count()).select_from(DutyItem).where(DutyItem.list_id == duty_list.id)):
            raise ValidationError(_("Add at least one item before publishing the list."))
        duty_list.published_at = utcnow()
    before = duty_list.status
    duty_list.status = target
    action = {"published": "publish" if before == "draft" else "reopen", "archived": "archive"}[target]
    verb = {"publish": "发布", "reopen": "重新启用", "archive": "归档"}[action]
    record_bureau(f"duty_list.{action}", "duty_list", duty_list.id, summary=f"{verb}{duty_list.year}年度责任清单",
                  before={"status": before}, after={"status": target}, actor=actor)
    return duty_list


@writes
def delete_list(duty_list: DutyList, *, version: Any, actor: Actor) -> None:
    """Delete a draft list with its items, records and evidence."""
    require(can_manage(actor))
    ensure_open(duty_list.year)
    check_version(duty_list, version)
    if duty_list.status != "draft":
        raise ValidationError(_("Only a draft list can be deleted; archive a published one."))
    shas = _shas_of(select(Attachment.sha256).join(ProgressRecord).join(DutyItem).where(DutyItem.list_id == duty_list.id))
    record_bureau("duty_list.delete", "duty_list", duty_list.id, summary=f"删除{duty_list.year}年度责任清单（草稿）",
                  before=_list_snapshot(duty_list), actor=actor)
    db.session.delete(duty_list)
    after_commit(lambda: release_blobs(shas))


# -- items ---------------------------------------------------------------------------
ITEM_FIELDS = ("category", "area", "content", "measures", "owner_id", "lead_unit", "cadence",
               "expected_count", "due_date", "meeting_kind", "meeting_unit_id")


def get_item(item_id: int) -> DutyItem:
    return load(DutyItem, item_id, _("No such item."))


def item_snapshot(item: DutyItem) -> dict:
    """The editable fields of an item (audit before/after, export)."""
    return {"category": item.category, "area": item.area, "content": item.content, "measures": item.measures,
            "owner_id": item.owner_id, "owner": item.owner.name if item.owner else None,
            "lead_unit": item.lead_unit, "cadence": item.cadence, "expected_count": item.expected_count,
            "due_date": item.due_date, "marked_done": item.marked_done,
            "meeting_kind": item.meeting_kind, "meeting_unit_id": item.meeting_unit_id}


def clean_item(duty_list: DutyList, data: dict, *, people: dict[int, Person] | None = None) -> tuple[dict, dict[str, list[str]]]:
    """Check the fields of an item against ``duty_list``: clean values and errors by field.

    Blank ``expected_count`` takes the cadence's default; a due date must fall in the
    list's year or the next one (year-end work is often finished in January).
    """
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    clean["category"] = _text(data.get("category"))
    if clean["category"] not in CATEGORIES:
        errors["category"] = [_("Choose a category from the list.")]
    clean["area"] = _text(data.get("area"))
    if clean["area"] not in {a["code"] for a in duty_list.areas or []}:
        errors["area"] = [_("Choose an area from the list.")]
    clean["content"] = _text(data.get("content"))
    if not clean["content"]:
        errors["content"] = [_("Describe the responsibility.")]
    elif len(clean["content"]) > 2000:
        errors["content"] = [_("At most %(n)s characters.", n=2000)]
    clean["measures"] = _text(data.get("measures"))
    if len(clean["measures"]) > 4000:
        errors["measures"] = [_("At most %(n)s characters.", n=4000)]
    clean["lead_unit"] = _text(data.get("lead_unit"))
    if len(clean["lead_unit"]) > 100:
        errors["lead_unit"] = [_("At most %(n)s characters.", n=100)]
    clean["cadence"] = _text(data.get("cadence")) or rules.ONCE
    if clean["cadence"] not in rules.CADENCES:
        errors["cadence"] = [_("Choose a cadence from the list.")]
    try:
        count = parse_int(data.get("expected_count"), low=1, high=MAX_COUNT)
    except (TypeError, ValueError):
        errors["expected_count"] = [_("Enter a whole number from 1 to 366.")]
        count = None
    clean["expected_count"] = count if count is not None else rules.DEFAULT_EXPECTED.get(clean["cadence"], 1)
    try:
        due = parse_date(data.get("due_date"))
    except (TypeError, ValueError):
        example = f"{duty_list.year}-06-30"
        errors["due_date"] = [_("Enter a date such as %(example)s.", example=example)]
        due = None
    if due is not None and due.year not in (duty_list.year, duty_list.year + 1):
        errors["due_date"] = [_("The date must fall in %(year)s or early the following year.", year=duty_list.year)]
    clean["due_date"] = due
    if "meeting_kind" in data:  # the item form says; an Excel import of items leaves the link alone
        clean["meeting_kind"], clean["meeting_unit_id"] = _meeting_link(data, errors)
    owner = data.get("owner_id")
    clean["owner_id"] = None
    if owner not in (None, "", "0", 0):
        try:
            owner_id = int(owner)
        except (TypeError, ValueError):
            owner_id = None
        known = people if people is not None else {p.id: p for p in list_people()}
        if owner_id not in known:
            errors["owner_id"] = [_("Choose a person from the list.")]
        else:
            clean["owner_id"] = owner_id
    return clean, errors


def _meeting_link(data: dict, errors: dict) -> tuple[str | None, int | None]:
    """The meeting kind and unit whose meetings count as the item's records (both or neither)."""
    kind = _text(data.get("meeting_kind")) or None
    raw_unit = data.get("meeting_unit_id")
    if kind is None:
        return None, None
    if kind not in dict(meetings.kind_choices()):
        errors["meeting_kind"] = [_("Choose a kind of meeting from the list.")]
        return None, None
    unit = None
    if raw_unit not in (None, "", "0", 0):
        try:
            unit = orgs.get_unit(raw_unit, Actor.system())
        except (NotFound, TypeError, ValueError):
            unit = None
    if unit is None:
        errors["meeting_unit_id"] = [_("Choose the organisation that holds these meetings.")]
        return kind, None
    if kind not in meetings.kinds_for(unit):
        errors["meeting_unit_id"] = [_("%(unit)s does not hold this kind of meeting.", unit=unit.name)]
    return kind, unit.id


@writes
def add_item(duty_list: DutyList, data: dict, *, actor: Actor) -> DutyItem:
    """Add an item at the end of its category."""
    require(can_manage(actor))
    require_writable(duty_list)
    clean, errors = clean_item(duty_list, data)
    if errors:
        raise ValidationError(_("The item could not be saved."), errors)
    last = db.session.scalar(select(func.max(DutyItem.sort_order)).where(DutyItem.list_id == duty_list.id)) or 0
    item = DutyItem(list_id=duty_list.id, sort_order=last + 10, **clean)
    db.session.add(item)
    db.session.flush()
    db.session.refresh(item)
    record_bureau("duty_item.create", "duty_item", item.id, summary=f"新增事项：{_short(item.content)}",
                  after=item_snapshot(item), actor=actor)
    return item


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


@writes
def update_item(item: DutyItem, data: dict, *, version: Any, actor: Actor) -> DutyItem:
    """Change an item's fields (owner, cadence, due date …)."""
    require(can_manage(actor))
    require_writable(item.duty_list)
    check_version(item, version)
    clean, errors = clean_item(item.duty_list, data)
    if errors:
        raise ValidationError(_("The item could not be saved."), errors)
    apply_item(item, clean, actor)
    return item


def apply_item(item: DutyItem, clean: dict, actor: Actor) -> bool:
    """Set checked values (:func:`clean_item`) on ``item`` and audit the change; True if
    anything changed.  The caller commits."""
    before = item_snapshot(item)
    for key, value in clean.items():
        setattr(item, key, value)
    db.session.flush()
    db.session.refresh(item, ["owner"])
    old, new = changes(before, item_snapshot(item))
    if new:
        record_bureau("duty_item.update", "duty_item", item.id, summary=f"修改事项：{_short(item.content)}",
                      before=old, after=new, actor=actor)
    return bool(new)


@writes
def delete_item(item: DutyItem, *, version: Any, actor: Actor) -> None:
    """Remove an item with its records; evidence files used elsewhere are kept."""
    require(can_manage(actor))
    require_writable(item.duty_list)
    check_version(item, version)
    shas = _shas_of(select(Attachment.sha256).join(ProgressRecord).where(ProgressRecord.item_id == item.id))
    records = db.session.scalar(select(func.count()).select_from(ProgressRecord).where(ProgressRecord.item_id == item.id))
    record_bureau("duty_item.delete", "duty_item", item.id, summary=f"删除事项：{_short(item.content)}",
                  before={**item_snapshot(item), "records": records}, actor=actor)
    db.session.delete(item)
    after_commit(lambda: release_blobs(shas))


@writes
def move_item(item: DutyItem, direction: str, *, actor: Actor) -> None:
    """Swap an item with its neighbour in the same category.

    Only ``sort_order`` changes, written with plain UPDATEs that leave the items'
    versions alone: reordering must not make someone's open edit form stale.
    """
    require(can_manage(actor))
    require_writable(item.duty_list)
    if direction not in ("up", "down"):
        raise ValidationError(_("Unknown direction."))
    siblings = list(db.session.execute(
        select(DutyItem.id, DutyItem.sort_order).where(DutyItem.list_id == item.list_id, DutyItem.category == item.category)
        .order_by(DutyItem.sort_order, DutyItem.id)))
    ids = [row.id for row in siblings]
    where = ids.index(item.id)
    target = where - 1 if direction == "up" else where + 1
    if not 0 <= target < len(ids):
        return
    # renumber the category in steps of 10 with the two swapped (ties cannot survive)
    order = [row.sort_order for row in siblings]
    ids[where], ids[target] = ids[target], ids[where]
    base = min(order)
    for position, item_id in enumerate(ids):
        db.session.execute(update(DutyItem).where(DutyItem.id == item_id).values(sort_order=base + position * 10)
                           .execution_options(synchronize_session=False))
    record_bureau("duty_item.move", "duty_item", item.id, summary=f"调整事项顺序：{_short(item.content)}",
                  after={"direction": direction}, actor=actor)


@writes
def split_per_member(item: DutyItem, *, version: Any, actor: Actor) -> list[DutyItem]:
    """Give a "one post, two responsibilities" item to every active leadership member.

    The item goes to the first member without a copy (if it has no owner yet) and a copy
    is added for each other member who has none; copies share ``source_key``.
    """
    require(can_manage(actor))
    require_writable(item.duty_list)
    check_version(item, version)
    if item.category != "member":
        raise ValidationError(_("Only items of leadership members are split per member."))
    members = [p for p in list_people(active_only=True) if p.kind == "member"]
    if not members:
        raise ValidationError(_("Add the leadership members (role: member of the Party group) on the People page first."))
    created, _assigned = _split_group(item, members)
    record_bureau("duty_item.split", "duty_item", item.id, summary=f"按班子成员分解事项：{_short(item.content)}",
                  after={"owners": [p.name for p in members], "created": [c.id for c in created]}, actor=actor)
    return created


def _active_members() -> list[Person]:
    return [p for p in list_people(active_only=True) if p.kind == "member"]


def _split_group(item: DutyItem, members: list[Person]) -> tuple[list[DutyItem], list[DutyItem]]:
    """Give the group of ``item`` (its copies: same ``source_key``) one item per member:
    its items without owner go to members without a copy first, then copies are added.
    Returns (copies added, items given an owner)."""
    if not item.source_key:
        item.source_key = f"X-{item.id}"
    group = list(db.session.scalars(select(DutyItem).where(
        DutyItem.list_id == item.list_id, DutyItem.source_key == item.source_key).order_by(DutyItem.sort_order,
                                                                                            DutyItem.id)))
    # the item asked about is the first to get an owner
    group = [item] + [i for i in group if i is not item]
    covered = {i.owner_id for i in group if i.owner_id is not None}
    missing = [p for p in members if p.id not in covered]
    assigned: list[DutyItem] = []
    for unowned in [i for i in group if i.owner_id is None]:
        if not missing:
            break
        unowned.owner_id = missing.pop(0).id
        assigned.append(unowned)
    created: list[DutyItem] = []
    order = max(i.sort_order for i in group)
    for person in missing:
        order += 1
        copy = DutyItem(list_id=item.list_id, category=item.category, area=item.area, content=item.content,
                        measures=item.measures, lead_unit=item.lead_unit, cadence=item.cadence,
                        expected_count=item.expected_count, due_date=item.due_date, owner_id=person.id,
                        sort_order=order, source_key=item.source_key)
        db.session.add(copy)
        created.append(copy)
    db.session.flush()
    return created, assigned


def unsplit_member_items(duty_list: DutyList) -> list[tuple[DutyItem, list[Person]]]:
    """The "one post, two responsibilities" items some active member has no copy of:
    (the first item of each such group, the members missing)."""
    members = _active_members()
    groups: dict[str, list[DutyItem]] = defaultdict(list)
    for item in duty_list.items:
        if item.category == "member":
            groups[item.source_key or f"X-{item.id}"].append(item)
    found = []
    for items in groups.values():
        covered = {i.owner_id for i in items if i.owner_id is not None}
        missing = [p for p in members if p.id not in covered]
        if missing:
            found.append((items[0], missing))
    return found


@writes
def split_all_members(duty_list: DutyList, *, actor: Actor) -> dict:
    """Split every "one post, two responsibilities" item of the list by member, in one go
    (:func:`split_per_member` for each group): the items made before the members were
    entered get an owner, and each active member who has no copy gets one.

    Returns counts: ``groups`` split, ``created`` copies, ``assigned`` items given an owner.
    """
    require(can_manage(actor))
    require_writable(duty_list)
    members = _active_members()
    if not members:
        raise ValidationError(_("Add the leadership members (role: member of the Party group) on the People page first."))
    todo = unsplit_member_items(duty_list)
    if not any(i.category == "member" for i in duty_list.items):
        raise ValidationError(_("This list has no items of leadership members."))
    created: list[DutyItem] = []
    assigned: list[DutyItem] = []
    for item, _missing in todo:
        more, given = _split_group(item, members)
        created += more
        assigned += given
    if todo:
        record_bureau("duty_list.split_members", "duty_list", duty_list.id,
                      summary=f"按班子成员分解{duty_list.year}年度全部“一岗双责”事项（{len(todo)}项）",
                      after={"members": [p.name for p in members], "items": [_short(i.content) for i, _m in todo],
                             "created": len(created), "assigned": len(assigned)}, actor=actor)
    db.session.expire(duty_list, ["items"])
    return {"groups": len(todo), "created": len(created), "assigned": len(assigned)}


MAX_BULK_ITEMS = 2000


@writes
def assign_owner(duty_list: DutyList, item_ids: Iterable[Any], owner_id: Any, *, actor: Actor) -> int:
    """Give many items of ``duty_list`` one owner (bulk assignment while setting up the
    year).  Each changed item gets its own audit entry (before/after), as if edited one
    by one; returns how many changed.

    Versions are not checked: only the owner changes, the change is audited per item,
    and a form of fifty checkboxes would otherwise fail whenever anyone touched one item.
    """
    require(can_manage(actor))
    require_writable(duty_list)
    errors: dict[str, list[str]] = {}
    people = {p.id: p for p in list_people()}
    try:
        owner = people.get(int(owner_id)) if owner_id not in (None, "") else None
    except (TypeError, ValueError):
        owner = None
    if owner is None:
        errors["owner_id"] = [_("Choose a person from the list.")]
    elif not owner.active:
        errors["owner_id"] = [_("%(name)s is marked inactive: choose someone active.", name=owner.name)]
    ids: set[int] = set()
    for raw in list(item_ids)[:MAX_BULK_ITEMS + 1]:
        try:
            ids.add(int(raw))
        except (TypeError, ValueError):
            continue
    items = [i for i in duty_list.items if i.id in ids]
    if not items:
        errors["items"] = [_("Tick at least one item in the table.")]
    elif len(ids) > MAX_BULK_ITEMS or len(items) != len(ids):
        errors["items"] = [_("Some of the ticked items are not in this list any more: reload the page.")]
    if errors:
        raise ValidationError(_("The owners could not be assigned."), errors)
    changed = 0
    for item in items:
        if item.owner_id != owner.id:
            apply_item(item, {"owner_id": owner.id}, actor)
            changed += 1
    return changed


@dataclass
class Problem:
    """One thing the publish check found: ``blocking`` ones stop publishing, the others
    need the administrator's confirmation."""

    code: str
    message: str
    items: list = field(default_factory=list)
    blocking: bool = False


def publish_problems(duty_list: DutyList) -> list[Problem]:
    """What is missing before ``duty_list`` is published (the publish check page)."""
    items = list(duty_list.items)
    if not items:
        return [Problem("empty", _("The list has no items."), blocking=True)]
    problems = []
    # the split first: it gives the member items made before the members an owner
    unsplit = unsplit_member_items(duty_list)
    if unsplit:
        absent = {p.id for _i, missing in unsplit for p in missing}
        names = [p.name for p in _active_members() if p.id in absent]  # in the People page's order
        problems.append(Problem("unsplit", _("%(n)s “one post, two responsibilities” items are not yet given to every "
                                             "leadership member (missing: %(names)s).", n=len(unsplit),
                                             names="、".join(names)), [i for i, _m in unsplit]))
    unowned = [i for i in items if i.owner_id is None]
    if unowned:
        problems.append(Problem("unowned", _("%(n)s items have no responsible person.", n=len(unowned)), unowned))
    inactive = [i for i in items if i.owner is not None and not i.owner.active]
    if inactive:
        problems.append(Problem("inactive", _("%(n)s items belong to people marked inactive.", n=len(inactive)),
                                inactive))
    if not _active_members() and any(i.category == "member" for i in items):
        problems.append(Problem("no_members", _("No leadership member is entered on the People page.")))
    present = {i.category for i in items}
    empty = [str(label) for code, label in CATEGORIES.items() if code not in present]
    if empty:
        problems.append(Problem("empty_category", _("No item in: %(names)s.", names="；".join(empty))))
    return problems


@writes
def publish_list(duty_list: DutyList, *, version: Any, acknowledged: bool, actor: Actor) -> DutyList:
    """Publish a draft after the publish check: refused while a blocking problem remains,
    and, when there are other problems, unless the administrator confirmed them."""
    require(can_manage(actor))
    require_writable(duty_list)
    check_version(duty_list, version)
    if duty_list.status != "draft":
        raise ValidationError(_("This change of status is not possible."))
    problems = publish_problems(duty_list)
    blocking = [p for p in problems if p.blocking]
    if blocking:
        raise ValidationError(blocking[0].message)
    if problems and not acknowledged:
        raise ValidationError(_("The list was not published."),
                              {"acknowledge": [_("Tick the box to publish the list with the problems listed above.")]})
    set_list_status(duty_list, "published", version=duty_list.version, actor=actor)
    return duty_list


@writes
def set_marked_done(item: DutyItem, done: bool, *, version: Any, actor: Actor) -> DutyItem:
    """Mark an item done (needs at least one evidence file) or take the mark back."""
    require(can_record(item, actor))
    require_writable(item.duty_list)
    check_version(item, version)
    if done and not _evidence_count(item.id):
        raise ValidationError(_("Attach at least one evidence file to a record before marking the item done."))
    if item.marked_done != done:
        item.marked_done = done
        record_bureau("duty_item.mark_done" if done else "duty_item.unmark_done", "duty_item", item.id,
                      summary=f"{'标记完成' if done else '取消完成标记'}：{_short(item.content)}",
                      before={"marked_done": not done}, after={"marked_done": done}, actor=actor)
    return item


def _evidence_count(item_id: int) -> int:
    return db.session.scalar(select(func.count(Attachment.id)).join(ProgressRecord)
                             .where(ProgressRecord.item_id == item_id)) or 0


# -- records and evidence -------------------------------------------------------------
def get_record(record_id: int) -> ProgressRecord:
    return load(ProgressRecord, record_id, _("No such record."))


def get_attachment(attachment_id: int) -> Attachment:
    return load(Attachment, attachment_id, _("No such file."))


def _record_snapshot(record: ProgressRecord) -> dict:
    return {"item_id": record.item_id, "occurred_on": record.occurred_on, "summary": record.summary,
            "count": record.count, "files": [a.original_name for a in record.attachments],
            "for_person": record.for_person_name or None, "recorded_by": record.author_name or None,
            "review_state": record.review_state, "late": record.late or None,
            "late_reason": record.late_reason or None}


def _clean_record(item: DutyItem, data: dict) -> tuple[dict, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    try:
        occurred = parse_date(data.get("occurred_on"))
    except (TypeError, ValueError):
        occurred = None
        example = f"{item.duty_list.year}-03-15"
        errors["occurred_on"] = [_("Enter a date such as %(example)s.", example=example)]
    else:
        if occurred is None:
            errors["occurred_on"] = [_("Enter the date it was done.")]
        elif occurred.year != item.duty_list.year:
            # a record counts toward its list's year: one of 2025 on a 2026 item would
            # complete 2026's work with last year's
            errors["occurred_on"] = [_("The date must lie in the list's year %(year)s.", year=item.duty_list.year)]
        elif occurred > today():
            # a record says what *was* done; progress counts records up to each day
            errors["occurred_on"] = [_("The date cannot be later than today.")]
    summary = _text(data.get("summary"))
    if not summary:
        errors["summary"] = [_("Describe what was done.")]
    elif len(summary) > 4000:
        errors["summary"] = [_("At most %(n)s characters.", n=4000)]
    try:
        count = parse_int(data.get("count"), low=1, high=MAX_COUNT)
    except (TypeError, ValueError):
        errors["count"] = [_("Enter a whole number from 1 to 366.")]
        count = 1
    return {"occurred_on": occurred, "summary": summary, "count": count or 1}, errors


def _attach(record: ProgressRecord, prepared: list[PreparedUpload], actor: Actor) -> list[Attachment]:
    store = blob_store()
    slug = current_slug()
    rows = []
    for ready in prepared:
        store.put(slug, ready.sha256, ready.path)
        attachment = Attachment(sha256=ready.sha256, size=ready.size, kind=ready.kind,
                                original_name=ready.name, uploaded_by=actor.display_name[:60])
        record.attachments.append(attachment)
        rows.append(attachment)
    return rows


def _spooled(prepared: list[PreparedUpload]) -> None:
    """Once the unit of work ends: store the blobs after a commit, drop the spool files either way."""
    after_commit(lambda: _finish(prepared))
    after_rollback(lambda: [ready.discard() for ready in prepared])


def _finish(prepared: list[PreparedUpload]) -> None:
    """After the commit: make sure every referenced blob exists, then drop the spool files.

    A concurrent deletion may have removed a blob of the same content between our
    ``put`` and our commit (it saw no row using it yet); writing it again closes that gap.
    """
    ensure_stored(current_slug(), [(ready.sha256, ready) for ready in prepared])


@writes
def add_record(item: DutyItem, data: dict, *, files: Iterable[Upload] = (), actor: Actor) -> ProgressRecord:
    """Record what was done for ``item`` (date, summary, count), with evidence files.

    Under review the record waits (待审核) for a reviewer; a record dated in a period whose
    entry has closed is refused unless ``data["late_reason"]`` asks for a 补录, which then
    waits for the 补录 approver (see :func:`closing_refusal`)."""
    require(can_record(item, actor))
    require_writable(item.duty_list)
    clean, errors = _clean_record(item, data)
    late, late_reason = _late_entry(item, clean, data, errors)
    if errors:
        raise ValidationError(_("The record could not be saved."), errors)
    prepared = prepare_uploads(files)
    _spooled(prepared)
    owner = item.owner
    state = PENDING if late or review_mode_of(item.duty_list) != deadlines.REVIEW_OFF else APPROVED
    record = ProgressRecord(item_id=item.id, author_id=actor.id, author_name=actor.display_name[:60],
                            for_person_id=owner.id if owner else None,
                            for_person_name=owner.name[:60] if owner else "", review_state=state,
                            late=late, late_reason=late_reason, **clean)
    db.session.add(record)
    _attach(record, prepared, actor)
    db.session.flush()
    # The trail says whose work it was when someone else wrote it down.
    on_behalf = owner is not None and (owner.user_id is None or owner.user_id != actor.id)
    summary = (f"为{owner.name}记录履责情况：{_short(item.content)}" if on_behalf
               else f"记录履责情况：{_short(item.content)}")
    if late:
        summary = f"补录申请（{late_reason[:40]}）：{summary}"
    record_bureau("duty_record.create", "progress_record", record.id, summary=summary,
                  after=_record_snapshot(record), actor=actor)
    if late:
        notifications.notify(_reviewers(record), "late_entry",
                             _("Late entry request to decide: %(item)s (%(day)s)", item=_short(item.content, 30),
                               day=record.occurred_on.isoformat()), f"/b/{current_slug()}/duties/review?kind=late",
                             actor=actor)
    return record


@writes
def update_record(record: ProgressRecord, data: dict, *, version: Any, actor: Actor) -> ProgressRecord:
    """Change a record's date, summary or count."""
    require(can_change_record(record, actor))
    require_writable(record.item.duty_list)
    check_version(record, version)
    clean, errors = _clean_record(record.item, data)
    late, late_reason = record.late, record.late_reason
    if not errors and clean["occurred_on"] != record.occurred_on and not record.late:
        late, late_reason = _late_entry(record.item, clean, data, errors)
    elif record.late and _text(data.get("late_reason")):
        late_reason = _text(data.get("late_reason"))[:REASON_MAX]
    if errors:
        raise ValidationError(_("The record could not be saved."), errors)
    before = _record_snapshot(record)
    for key, value in clean.items():
        setattr(record, key, value)
    record.late, record.late_reason = late, late_reason
    resubmitted = record.review_state == RETURNED
    # A changed record is checked again: an approval covers what the reviewer saw.
    if record.late or review_mode_of(record.item.duty_list) != deadlines.REVIEW_OFF:
        if resubmitted or _snapshot_changed(before, record):
            record.review_state = PENDING
    old, new = changes(before, _record_snapshot(record))
    if new:
        action = "duty_record.resubmit" if resubmitted and record.review_state == PENDING else "duty_record.update"
        verb = "修改后重新提交履责记录" if action == "duty_record.resubmit" else "修改履责记录"
        record_bureau(action, "progress_record", record.id,
                      summary=f"{verb}：{_short(record.item.content)}", before=old, after=new, actor=actor)
        if action == "duty_record.resubmit":
            notifications.notify(_reviewers(record), "record_review",
                                 _("Record corrected and resubmitted for review: %(item)s",
                                   item=_short(record.item.content, 30)),
                                 f"/b/{current_slug()}/duties/review", actor=actor)
    return record


def _check_again_for_evidence(record: ProgressRecord, actor: Actor) -> bool:
    """Send an approved record back for review when its files change (an approval covers
    the evidence the reviewer saw); whether it was sent back."""
    reviewed = record.late or review_mode_of(record.item.duty_list) != deadlines.REVIEW_OFF
    if not reviewed or record.review_state != APPROVED:
        return False
    record.review_state = PENDING
    notifications.notify(_reviewers(record), "record_review",
                         _("Evidence of an approved record changed; it awaits review again: %(item)s",
                           item=_short(record.item.content, 30)),
                         f"/b/{current_slug()}/duties/review", actor=actor)
    return True


def _snapshot_changed(before: dict, record: ProgressRecord) -> bool:
    after = _record_snapshot(record)
    return any(before.get(k) != after.get(k) for k in ("occurred_on", "summary", "count", "late_reason"))


@writes
def delete_record(record: ProgressRecord, *, version: Any, actor: Actor) -> None:
    """Delete a record and its attachments; files other records use are kept."""
    require(can_change_record(record, actor))
    require_writable(record.item.duty_list)
    check_version(record, version)
    shas = {a.sha256 for a in record.attachments}
    record_bureau("duty_record.delete", "progress_record", record.id,
                  summary=f"删除履责记录：{_short(record.item.content)}", before=_record_snapshot(record), actor=actor)
    db.session.delete(record)
    after_commit(lambda: release_blobs(shas))


@writes
def add_attachments(record: ProgressRecord, files: Iterable[Upload], *, actor: Actor) -> list[Attachment]:
    """Add evidence files to an existing record."""
    require(can_change_record(record, actor))
    require_writable(record.item.duty_list)
    prepared = prepare_uploads(files)
    if not prepared:
        raise ValidationError(_("The files could not be saved."), {"files": [_("Choose at least one file.")]})
    _spooled(prepared)
    rows = _attach(record, prepared, actor)
    db.session.flush()
    again = _check_again_for_evidence(record, actor)
    record_bureau("attachment.create", "progress_record", record.id,
                  summary=f"上传佐证材料：{_short(record.item.content)}" + ("（记录重新待审核）" if again else ""),
                  before={"review_state": APPROVED} if again else None,
                  after={"files": [{"name": r.original_name, "sha256": r.sha256, "size": r.size} for r in rows],
                         **({"review_state": PENDING} if again else {})},
                  actor=actor)
    return rows


@writes
def delete_attachment(attachment: Attachment, *, actor: Actor) -> None:
    """Remove one evidence file from its record (the bytes stay if another record uses them)."""
    record = attachment.record
    require(can_change_record(record, actor))
    require_writable(record.item.duty_list)
    sha = attachment.sha256
    again = _check_again_for_evidence(record, actor)
    record_bureau("attachment.delete", "progress_record", record.id,
                  summary=f"删除佐证材料“{attachment.original_name}”" + ("（记录重新待审核）" if again else ""),
                  before={"name": attachment.original_name, "sha256": sha, "size": attachment.size,
                          **({"review_state": APPROVED} if again else {})},
                  after={"review_state": PENDING} if again else None, actor=actor)
    db.session.delete(attachment)
    after_commit(lambda: release_blobs({sha}))


def open_attachment(attachment: Attachment) -> BinaryIO:
    """The stored bytes of an attachment; :class:`NotFound` if they are missing."""
    try:
        return blob_store().open(current_slug(), attachment.sha256)
    except FileNotFoundError:
        raise NotFound(_("The file is missing from the store; ask the administrator to restore it from a backup.")) from None


def _shas_of(query) -> set[str]:
    return set(db.session.scalars(query))


# -- review and closing entry (issue 16) ----------------------------------------------
def review_mode_of(duty_list: DutyList) -> str:
    """How records of ``duty_list`` are reviewed: ``off``, ``bureau`` or ``city`` (the
    bureau's own mode, else its year's template's, else the city's default)."""
    return deadlines.review_mode(current_slug(), duty_list.year)


def entry_closes_on(item: DutyItem, day: date, cfg: deadlines.Settings | None = None) -> date | None:
    """The last day a record of ``item`` dated ``day`` may be entered without a 补录
    (``None``: entry does not close)."""
    cfg = cfg or deadlines.settings()
    due = rules.effective_due(item.duty_list.year, item.due_date)
    return warnings.closes_on(item.cadence, due, day, cfg.grace_days)


def closing_refusal(item: DutyItem, day: date, on: date | None = None) -> str | None:
    """Why a record of ``item`` dated ``day`` needs a 补录 on ``on`` (default today), or ``None``."""
    last = entry_closes_on(item, day)
    if last is None or (on or today()) <= last:
        return None
    return _("Entry for this period closed on %(day)s. To record it now, submit a late-entry request "
             "(补录申请) with the reason; it counts once approved.", day=f"{last.year}年{last.month}月{last.day}日")


def _late_entry(item: DutyItem, clean: dict, data: dict, errors: dict) -> tuple[bool, str]:
    """(late, reason) of a record about to be saved; adds the refusal to ``errors`` when its
    period is closed and no reason was given."""
    if clean.get("occurred_on") is None or "occurred_on" in errors:
        return False, ""
    refusal = closing_refusal(item, clean["occurred_on"])
    if refusal is None:
        return False, ""
    reason = _text(data.get("late_reason"))
    if not reason:
        if data.get("late_request"):
            errors["late_reason"] = [_("Give the reason for the late entry.")]
        else:
            errors["occurred_on"] = [refusal]
        return False, ""
    if len(reason) > REASON_MAX:
        errors["late_reason"] = [_("At most %(n)s characters.", n=REASON_MAX)]
        return False, ""
    return True, reason


def review_refusal(record: ProgressRecord, actor: Actor, *, mode: str | None = None,
                   cfg: deadlines.Settings | None = None) -> str | None:
    """Why ``actor`` may not approve or return ``record``, or ``None``.

    A 补录 is decided by the approver the city set (the bureau's administrator or the
    city); other records by the review mode's reviewer (the bureau's administrator when
    review is ``bureau`` or ``off``, a city administrator when it is ``city``).  The
    reviewer is never the author."""
    if record.review_state != PENDING:
        return _("This record is not awaiting review.")
    if actor.id is not None and actor.id == record.author_id:
        return _("You wrote this record: another reviewer must check it.")
    if record.late:
        city = (cfg or deadlines.settings()).late_approver == "city"
    else:
        city = (mode or review_mode_of(record.item.duty_list)) == deadlines.REVIEW_CITY
    allowed = actor.holds_city_admin if city else actor.is_bureau_admin
    if not allowed:
        return (_("The city's administrators review these records.") if city
                else _("The bureau's administrators review these records."))
    return None


def _item_link(item_id: int) -> str:
    return f"/b/{current_slug()}/duties/items/{item_id}"


def _reviewers(record: ProgressRecord) -> list:
    """Who decides ``record`` now: the city's administrators or the bureau's (notification recipients)."""
    from app.tenancy.services import get_tenant

    if record.late:
        city = deadlines.settings().late_approver == "city"
    else:
        city = review_mode_of(record.item.duty_list) == deadlines.REVIEW_CITY
    return notifications.city_role() if city else notifications.bureau_role(get_tenant(current_slug()), "bureau_admin")


def _review_label(record: ProgressRecord) -> str:
    return _("Record of %(day)s for “%(item)s”", day=record.occurred_on.isoformat(), item=_short(record.item.content, 20))


def _audit_review(record: ProgressRecord, action: str, summary: str, actor: Actor, after: dict) -> None:
    record_bureau(action, "progress_record", record.id, summary=summary, before={"review_state": PENDING},
                  after=after, actor=actor)
    if actor.holds_city_admin and not actor.is_bureau_admin:
        record_city(action, "progress_record", record.id, summary=summary, after=after,
                    tenant_slug=current_slug(), actor=actor)


@writes
def approve_records(records: list[ProgressRecord], *, actor: Actor) -> list[ProgressRecord]:
    """Approve every record of ``records`` or none: a refusal names each record it refuses."""
    if not records:
        raise ValidationError(_("Nothing was approved."), {"records": [_("Tick at least one record.")]})
    cfg = deadlines.settings()
    modes: dict[int, str] = {}
    problems = []
    for record in records:
        duty_list = record.item.duty_list
        if duty_list.id not in modes:
            modes[duty_list.id] = review_mode_of(duty_list)
        refusal = review_refusal(record, actor, mode=modes[duty_list.id], cfg=cfg)
        if refusal is None and get_lock(duty_list.year) is not None:
            refusal = lock_message(get_lock(duty_list.year))
        if refusal:
            problems.append(f"{_review_label(record)}：{refusal}")
    if problems:
        raise ValidationError(_("Nothing was approved: %(n)s of the ticked records cannot be approved by you.",
                                n=len(problems)), {"records": problems})
    now = utcnow()
    for record in records:
        record.review_state = APPROVED
        record.reviewed_by_id, record.reviewed_by_name, record.reviewed_at = actor.id, actor.display_name[:60], now
        record.return_reason = ""
        action = "duty_record.late_approve" if record.late else "duty_record.approve"
        verb = "批准补录" if record.late else "审核通过履责记录"
        _audit_review(record, action, f"{verb}（{record.author_name}）：{_short(record.item.content)}", actor,
                      {"review_state": APPROVED, "author": record.author_name or None, "late": record.late or None})
        if record.late and record.author_id is not None:
            notifications.notify([record.author_id], "late_entry",
                                 _("Late entry approved: %(item)s (%(day)s)", item=_short(record.item.content, 30),
                                   day=record.occurred_on.isoformat()), _item_link(record.item_id), actor=actor)
    db.session.flush()
    return records


@writes
def return_record(record: ProgressRecord, reason: Any, *, actor: Actor) -> ProgressRecord:
    """Return ``record`` to its author with a reason (a refused 补录 is returned the same way)."""
    refusal = review_refusal(record, actor)
    if refusal:
        if record.review_state != PENDING or (actor.id is not None and actor.id == record.author_id):
            raise ValidationError(refusal, {"reason": [refusal]})
        require(False, refusal)
    ensure_open(record.item.duty_list.year)
    reason = _text(reason)
    if not reason:
        raise ValidationError(_("The record was not returned."), {"reason": [_("Say why the record is returned.")]})
    if len(reason) > REASON_MAX:
        raise ValidationError(_("The record was not returned."), {"reason": [_("At most %(n)s characters.", n=REASON_MAX)]})
    record.review_state = RETURNED
    record.return_reason = reason
    record.reviewed_by_id, record.reviewed_by_name, record.reviewed_at = actor.id, actor.display_name[:60], utcnow()
    verb = "退回补录申请" if record.late else "退回履责记录"
    _audit_review(record, "duty_record.return", f"{verb}（{reason[:40]}）：{_short(record.item.content)}", actor,
                  {"review_state": RETURNED, "reason": reason, "author": record.author_name or None})
    if record.author_id is not None:
        title = (_("Late entry refused: %(item)s — %(reason)s", item=_short(record.item.content, 30), reason=reason[:80])
                 if record.late else
                 _("Record returned: %(item)s — %(reason)s", item=_short(record.item.content, 30), reason=reason[:80]))
        notifications.notify([record.author_id], "late_entry" if record.late else "record_returned", title,
                             _item_link(record.item_id), actor=actor)
    db.session.flush()
    return record


@dataclass
class ReviewFilters:
    """What the review queue may be narrowed to (values from the query string)."""

    item: str = ""
    category: str = ""
    area: str = ""
    author: str = ""
    date_from: date | None = None
    date_to: date | None = None
    kind: str = ""            # "late": 补录 only, "regular": the others
    state: str = PENDING

    @classmethod
    def from_args(cls, args: Any) -> "ReviewFilters":
        def pick(name: str, limit: int = 40) -> str:
            return str(args.get(name, "") or "").strip()[:limit]

        def day(name: str) -> date | None:
            try:
                return parse_date(pick(name, 20))
            except (TypeError, ValueError):
                return None

        state = pick("state")
        return cls(item=pick("item") if pick("item").isdigit() else "", category=pick("category"),
                   area=pick("area"), author=pick("author") if pick("author").isdigit() else "",
                   date_from=day("from"), date_to=day("to"), kind=pick("kind") if pick("kind") in ("late", "regular") else "",
                   state=state if state in (PENDING, RETURNED) else PENDING)

    def query(self) -> dict:
        """The filters as query-string values (for links that keep them)."""
        values = {"item": self.item, "category": self.category, "area": self.area, "author": self.author,
                  "from": self.date_from.isoformat() if self.date_from else "",
                  "to": self.date_to.isoformat() if self.date_to else "", "kind": self.kind,
                  "state": self.state if self.state != PENDING else ""}
        return {k: v for k, v in values.items() if v}


def _queue_query(filters: ReviewFilters):
    query = (select(ProgressRecord).join(DutyItem, DutyItem.id == ProgressRecord.item_id)
             .join(DutyList, DutyList.id == DutyItem.list_id).where(ProgressRecord.review_state == filters.state))
    if filters.item:
        query = query.where(ProgressRecord.item_id == int(filters.item))
    if filters.category:
        query = query.where(DutyItem.category == filters.category)
    if filters.area:
        query = query.where(DutyItem.area == filters.area)
    if filters.author:
        query = query.where(ProgressRecord.author_id == int(filters.author))
    if filters.date_from:
        query = query.where(ProgressRecord.occurred_on >= filters.date_from)
    if filters.date_to:
        query = query.where(ProgressRecord.occurred_on <= filters.date_to)
    if filters.kind:
        query = query.where(ProgressRecord.late.is_(filters.kind == "late"))
    return query


def review_queue(filters: ReviewFilters, *, limit: int = 200) -> tuple[list[ProgressRecord], int]:
    """Records in the queue matching ``filters``, oldest first (at most ``limit``), and how
    many match in all.  Items and lists load in the same statement, files in one more."""
    from sqlalchemy.orm import contains_eager

    query = _queue_query(filters)
    total = db.session.scalar(select(func.count()).select_from(query.with_only_columns(ProgressRecord.id).subquery()))
    rows = db.session.scalars(
        query.options(contains_eager(ProgressRecord.item).contains_eager(DutyItem.duty_list))
        .order_by(ProgressRecord.created_at, ProgressRecord.id).limit(limit)).unique().all()
    return list(rows), int(total or 0)


def queue_records(ids: Iterable[Any], filters: ReviewFilters | None = None) -> list[ProgressRecord]:
    """The pending records of ``ids`` (ignoring what is no id), or with ``filters`` every
    record the filters match: what a bulk approval acts on."""
    if filters is not None:
        return list(db.session.scalars(_queue_query(filters).order_by(ProgressRecord.id)).unique())
    wanted = {int(i) for i in ids if str(i).isdigit()}
    if not wanted:
        return []
    return list(db.session.scalars(select(ProgressRecord).where(ProgressRecord.id.in_(wanted))
                                   .order_by(ProgressRecord.id)))


def queue_authors() -> list[tuple[int, str]]:
    """(id, name) of the authors of records awaiting review, for the queue's filter."""
    return [(r.author_id, r.author_name) for r in db.session.execute(
        select(ProgressRecord.author_id, func.max(ProgressRecord.author_name).label("author_name"))
        .where(ProgressRecord.review_state == PENDING, ProgressRecord.author_id.is_not(None))
        .group_by(ProgressRecord.author_id).order_by("author_name"))]


def review_counts(user_id: int | None = None) -> dict[str, int]:
    """Records awaiting review, and those returned to ``user_id`` (the home page's notes)."""
    pending = db.session.scalar(select(func.count(ProgressRecord.id)).where(ProgressRecord.review_state == PENDING)) or 0
    returned = 0
    if user_id is not None:
        returned = db.session.scalar(select(func.count(ProgressRecord.id)).where(
            ProgressRecord.review_state == RETURNED, ProgressRecord.author_id == user_id)) or 0
    return {"pending": int(pending), "returned": int(returned)}


def ledger_records(duty_list: DutyList) -> list[ProgressRecord]:
    """The records of ``duty_list`` that count (approved), in the list's order and by date:
    the 履责纪实台账 (print page, PDF, Excel), where an approved 补录 is marked late."""
    from sqlalchemy.orm import contains_eager

    return list(db.session.scalars(
        select(ProgressRecord).join(DutyItem, DutyItem.id == ProgressRecord.item_id)
        .where(DutyItem.list_id == duty_list.id, COUNTS)
        .options(contains_eager(ProgressRecord.item))
        .order_by(DutyItem.sort_order, DutyItem.id, ProgressRecord.occurred_on, ProgressRecord.id)).unique())


def late_entries(duty_list: DutyList) -> list[ProgressRecord]:
    """The 补录 of ``duty_list`` that were approved or still wait, by item and date (the
    annual report lists them: approved ones count, marked late; waiting ones do not)."""
    from sqlalchemy.orm import contains_eager

    return list(db.session.scalars(
        select(ProgressRecord).join(DutyItem, DutyItem.id == ProgressRecord.item_id)
        .where(DutyItem.list_id == duty_list.id, ProgressRecord.late.is_(True),
               ProgressRecord.review_state.in_((APPROVED, PENDING)))
        .options(contains_eager(ProgressRecord.item))
        .order_by(DutyItem.sort_order, DutyItem.id, ProgressRecord.occurred_on, ProgressRecord.id)).unique())


# -- derived state ---------------------------------------------------------------------
@dataclass
class ItemRow:
    """An item with its derived progress, as pages and exports show it."""

    item: DutyItem
    progress: rules.ItemProgress
    records: int
    evidence: int
    last_record: date | None
    warning: str = warnings.NONE

    @property
    def status(self) -> str:
        return self.progress.status


def _aggregates(list_ids: list[int], until: date | None = None) -> tuple[dict, dict]:
    """Recorded counts and evidence per item, from records dated ``until`` or earlier
    (records cannot be dated in the future, so for today this is every record; for a past
    day it is the state the roll-up's history needs)."""
    if not list_ids:
        return {}, {}
    in_lists = DutyItem.list_id.in_(list_ids)
    dated = and_((ProgressRecord.occurred_on <= until) if until is not None else true(), COUNTS)
    recorded = {
        row.item_id: row for row in db.session.execute(
            select(ProgressRecord.item_id, func.coalesce(func.sum(ProgressRecord.count), 0).label("total"),
                   func.count(ProgressRecord.id).label("records"), func.max(ProgressRecord.occurred_on).label("last"))
            .join(DutyItem, DutyItem.id == ProgressRecord.item_id).where(in_lists, dated)
            .group_by(ProgressRecord.item_id))
    }
    evidence = dict(db.session.execute(
        select(ProgressRecord.item_id, func.count(Attachment.id))
        .join(Attachment, Attachment.record_id == ProgressRecord.id)
        .join(DutyItem, DutyItem.id == ProgressRecord.item_id).where(in_lists, dated)
        .group_by(ProgressRecord.item_id)).all())
    return recorded, evidence


def facts_of(item: DutyItem, year: int, recorded: int, records: int, evidence: int) -> rules.ItemFacts:
    return rules.ItemFacts(year=year, cadence=item.cadence, expected_count=item.expected_count,
                           due_date=item.due_date, recorded=recorded, records=records, evidence=evidence,
                           marked_done=item.marked_done, started=_started(item))


def item_rows(lists: DutyList | list[DutyList], day: date | None = None) -> list[ItemRow]:
    """Every item of ``lists`` with its derived progress on ``day`` (default today)."""
    lists = [lists] if isinstance(lists, DutyList) else list(lists)
    day = day or today()
    years = {l.id: l.year for l in lists}
    if not lists:
        return []
    items = db.session.scalars(select(DutyItem).where(DutyItem.list_id.in_(years))
                               .order_by(DutyItem.list_id, DutyItem.sort_order, DutyItem.id)).unique().all()
    recorded, evidence = _aggregates(list(years), until=day)
    held = _meetings_held(items, years, day)
    cfg = deadlines.settings()
    rows = []
    for item in items:
        agg = recorded.get(item.id)
        total, count, last = (int(agg.total), int(agg.records), agg.last) if agg else (0, 0, None)
        total, count, last = _with_meetings(total, count, last, held.get(item.id))
        ev = int(evidence.get(item.id, 0))
        progress = rules.derive(facts_of(item, years[item.list_id], total, count, ev), day)
        rows.append(ItemRow(item=item, progress=progress, records=count, evidence=ev, last_record=last,
                            warning=warning_of(item, years[item.list_id], progress, day, cfg)))
    return rows


def _meetings_held(items: Iterable[DutyItem], years: dict[int, int], day: date | None
                   ) -> dict[int, tuple[int, date | None]]:
    """{item id: (meetings held, last date)} of the items linked to a kind of meeting: the
    unit's meetings of that kind in the list's year, dated ``day`` or earlier, from the day
    the item started (an item added in October owes, and counts, from October)."""
    links = {item.id: (item.meeting_kind, item.meeting_unit_id, years[item.list_id], _started(item))
             for item in items if item.meeting_kind and item.meeting_unit_id}
    found = meetings.counts_by_link(links.values(), until=day)
    return {item_id: found[link] for item_id, link in links.items() if link in found}


@dataclass(frozen=True)
class MeetingLink:
    """The meetings an item counts: their kind, the unit that holds them, how many so far."""

    kind_label: str
    unit_id: int
    unit_name: str
    held: int


def meeting_link(item: DutyItem, day: date | None = None) -> MeetingLink | None:
    """What the item page says of an item linked to a kind of meeting (``None``: not linked)."""
    if not (item.meeting_kind and item.meeting_unit_id):
        return None
    unit = orgs.get_unit(item.meeting_unit_id, Actor.system())
    held = _meetings_held([item], {item.list_id: item.duty_list.year}, day or today()).get(item.id)
    return MeetingLink(dict(meetings.kind_choices()).get(item.meeting_kind, item.meeting_kind), unit.id, unit.name,
                       held[0] if held else 0)


def _started(item: DutyItem) -> date | None:
    return rules.started_on(item.created_at, item.duty_list.published_at, local_zone())


def _with_meetings(total: int, count: int, last: date | None, held: tuple[int, date | None] | None
                   ) -> tuple[int, int, date | None]:
    if not held:
        return total, count, last
    meetings_count, meetings_last = held
    dates = [day for day in (last, meetings_last) if day is not None]
    return total + meetings_count, count + meetings_count, max(dates) if dates else None


def warning_of(item: DutyItem, year: int, progress: rules.ItemProgress, day: date,
               cfg: deadlines.Settings) -> str:
    """The item's warning level on ``day`` (:func:`app.deadlines.status.warning_level`)."""
    return warnings.warning_level(rules.effective_due(year, item.due_date), day,
                                  done=progress.status == rules.DONE, behind=progress.behind,
                                  blue_days=cfg.blue_days, yellow_days=cfg.yellow_days)


def item_row(item: DutyItem, day: date | None = None) -> ItemRow:
    """One item's derived progress."""
    day = day or today()
    total, count, last = db.session.execute(
        select(func.coalesce(func.sum(ProgressRecord.count), 0), func.count(ProgressRecord.id),
               func.max(ProgressRecord.occurred_on)).where(ProgressRecord.item_id == item.id, COUNTS)).one()
    ev = db.session.scalar(select(func.count(Attachment.id)).join(ProgressRecord)
                           .where(ProgressRecord.item_id == item.id, COUNTS)) or 0
    total, count, last = _with_meetings(int(total), int(count), last,
                                        _meetings_held([item], {item.list_id: item.duty_list.year}, day).get(item.id))
    progress = rules.derive(facts_of(item, item.duty_list.year, int(total), int(count), ev), day)
    return ItemRow(item=item, progress=progress, records=int(count), evidence=ev, last_record=last,
                   warning=warning_of(item, item.duty_list.year, progress, day, deadlines.settings()))


@dataclass
class Filters:
    """What the list page may be narrowed to (values from the query string)."""

    category: str = ""
    area: str = ""
    owner: str = ""          # a person id, "none" for unassigned, "" for all
    status: str = ""
    attention: bool = False  # overdue or behind schedule
    q: str = ""
    due: str = ""            # "month": due this month and not done (the home page's list)

    @classmethod
    def from_args(cls, args: Any) -> "Filters":
        def pick(name: str, limit: int = 40) -> str:
            return str(args.get(name, "") or "").strip()[:limit]

        return cls(category=pick("category"), area=pick("area"), owner=pick("owner"), status=pick("status"),
                   attention=pick("attention") in ("1", "on", "true"), q=pick("q", 100),
                   due="month" if pick("due") == "month" else "")

    @property
    def active(self) -> bool:
        return bool(self.category or self.area or self.owner or self.status or self.attention or self.q or self.due)


def filter_rows(rows: list[ItemRow], filters: Filters, day: date | None = None) -> list[ItemRow]:
    """The rows that match every given filter; ``q`` searches content, measures, lead
    unit and owner name (case-insensitive); ``due`` is judged on ``day`` (default today)."""
    needle = filters.q.casefold()
    day = day or today()
    result = []
    for row in rows:
        item = row.item
        if filters.category and item.category != filters.category:
            continue
        if filters.area and item.area != filters.area:
            continue
        if filters.owner == "none" and item.owner_id is not None:
            continue
        if filters.owner not in ("", "none") and str(item.owner_id) != filters.owner:
            continue
        if filters.status and row.status != filters.status:
            continue
        if filters.attention and not row.progress.needs_attention:
            continue
        if filters.due == "month" and not due_this_month(row, day):
            continue
        if needle:
            haystack = " ".join((item.content, item.measures, item.lead_unit, item.owner.name if item.owner else ""))
            if needle not in haystack.casefold():
                continue
        result.append(row)
    return result


def group_by_category(rows: list[ItemRow]) -> list[tuple[str, list[ItemRow]]]:
    """Rows grouped by category in the canonical category order (empty groups left out)."""
    groups: dict[str, list[ItemRow]] = defaultdict(list)
    for row in rows:
        groups[row.item.category].append(row)
    ordered = [(c, groups.pop(c)) for c in CATEGORIES if c in groups]
    return ordered + sorted(groups.items())


@dataclass
class Summary:
    """Counts by status and the cadence-aware completion of a set of rows."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    behind: int = 0
    completion: rules.Completion = rules.Completion(0, 0)
    evidence: int = 0
    records: int = 0
    warnings: dict[str, int] = field(default_factory=dict)


def summarise(rows: list[ItemRow]) -> Summary:
    """Counts by status and by warning level, completion, evidence and records of ``rows``."""
    by_status = {s: 0 for s in rules.STATUSES}
    by_warning = {w: 0 for w in warnings.LEVELS}
    for row in rows:
        by_status[row.status] += 1
        by_warning[row.warning] += 1
    return Summary(total=len(rows), by_status=by_status, behind=sum(1 for r in rows if r.progress.behind),
                   completion=rules.completion(r.progress for r in rows),
                   evidence=sum(r.evidence for r in rows), records=sum(r.records for r in rows),
                   warnings=by_warning)


def my_rows(user_id: int, day: date | None = None) -> tuple[list[Person], list[ItemRow]]:
    """The people linked to an account and their items in lists that are not archived."""
    people = people_of_user(user_id)
    if not people:
        return [], []
    ids = {p.id for p in people}
    lists = [l for l in list_lists() if not l.is_archived]
    return people, [r for r in item_rows(lists, day) if r.item.owner_id in ids]


@dataclass
class HomeSection:
    """One list of the home page: the rows shown and how many there are in all, with the
    full filtered list of each duty list they come from (``links``: (list, count, query))."""

    rows: list[ItemRow]
    total: int
    links: list[tuple[DutyList, int, dict]]


def _section(rows: list[ItemRow], lists: list[DutyList], query: dict, limit: int,
             listed: list[ItemRow] | None = None) -> HomeSection:
    """``listed``: the rows the linked list pages show (default ``rows``), counted per list."""
    counts: dict[int, int] = defaultdict(int)
    for row in rows if listed is None else listed:
        counts[row.item.list_id] += 1
    links = [(l, counts[l.id], dict(query)) for l in lists if counts.get(l.id)]
    return HomeSection(rows=rows[:limit], total=len(rows), links=links)


def due_this_month(row: ItemRow, day: date) -> bool:
    """Not done, not yet overdue, and due in ``day``'s month."""
    first, last = day.replace(day=1), rules.last_day_of_month(day.year, day.month)
    return (row.status not in (rules.DONE, rules.OVERDUE) and row.item.due_date is not None
            and first <= row.item.due_date <= last)


def home_summary(day: date | None = None, limit: int = 15, *, user_id: int | None = None) -> dict:
    """What the bureau's home page shows, in lists that are not archived: the overdue
    items and the items due this month (not done) of the people linked to ``user_id``
    ("mine") first, then those of everyone else.  Each section carries its full count
    and links to the full filtered list."""
    day = day or today()
    lists = [l for l in list_lists() if not l.is_archived]
    rows = item_rows(lists, day)
    people = people_of_user(user_id) if user_id is not None else []
    mine_ids = {p.id for p in people}
    overdue = sorted((r for r in rows if r.status == rules.OVERDUE),
                     key=lambda r: (r.item.due_date or date.max, r.item.sort_order))
    due = sorted((r for r in rows if due_this_month(r, day)), key=lambda r: (r.item.due_date, r.item.sort_order))
    result = {"lists": lists, "summary": summarise(rows), "today": day, "people": people, "mine": None,
              "review": review_counts(user_id)}
    if people:
        owner = {"owner": str(people[0].id)}
        result["mine"] = {
            "overdue": _section([r for r in overdue if r.item.owner_id in mine_ids], lists,
                                {**owner, "status": rules.OVERDUE}, limit),
            "due": _section([r for r in due if r.item.owner_id in mine_ids], lists, {**owner, "due": "month"}, limit),
        }
    # the rest of the bureau: everyone else's here, while the linked pages list them all
    result["overdue"] = _section([r for r in overdue if r.item.owner_id not in mine_ids], lists,
                                 {"status": rules.OVERDUE}, limit, overdue)
    result["due"] = _section([r for r in due if r.item.owner_id not in mine_ids], lists, {"due": "month"}, limit, due)
    return result


def metrics(year: int, as_of: date | None = None) -> dict:
    """Figures of the current bureau's list for ``year`` (for the city roll-up).

    Reads only this bureau's database through ``db.session``: call it in a ``/b/<slug>/``
    request or inside ``tenant_context(tenant)``.  Formula (``status`` module rules):

    * ``items_total``: items of the list; ``items_done`` / ``items_overdue`` /
      ``items_in_progress`` / ``items_not_started``: items by derived status on ``as_of``
      (default: today in the configured time zone);
      ``items_behind``: items behind their cadence (not yet overdue).
    * ``expected_to_date`` = Σ over items of the occurrences owed by ``as_of``;
      ``credited_to_date`` = Σ min(recorded, owed), with a done item credited in full.
    * ``completion_rate`` = credited_to_date / expected_to_date, rounded to 4 places;
      ``None`` while nothing is owed yet (early January) or the bureau has no list.
    * ``evidence_count``: evidence files attached to the records of the list's items
      (a file attached to two records counts twice); ``records``: progress records.
      Only approved records count (issue 16: a record awaiting review or returned does not).
    * ``warn_red`` / ``warn_yellow`` / ``warn_blue``: items at each warning level on
      ``as_of`` (:func:`app.deadlines.status.warning_level`); ``records_pending``: records
      awaiting review or 补录 approval, ``records_returned``: returned to their authors.
    """
    day = as_of or today()
    duty_list = list_for_year(int(year))
    figures = {"year": int(year), "as_of": day.isoformat(), "has_list": duty_list is not None,
               "list_status": duty_list.status if duty_list else None, "items_total": 0, "items_done": 0,
               "items_overdue": 0, "items_in_progress": 0, "items_not_started": 0, "items_behind": 0,
               "expected_to_date": 0, "credited_to_date": 0, "completion_rate": None, "evidence_count": 0,
               "records": 0, "warn_red": 0, "warn_yellow": 0, "warn_blue": 0, "records_pending": 0,
               "records_returned": 0}
    if duty_list is None:
        return figures
    summary = summarise(item_rows(duty_list, day))
    rate = summary.completion.rate
    figures.update(items_total=summary.total, items_done=summary.by_status[rules.DONE],
                   items_overdue=summary.by_status[rules.OVERDUE],
                   items_in_progress=summary.by_status[rules.IN_PROGRESS],
                   items_not_started=summary.by_status[rules.NOT_STARTED], items_behind=summary.behind,
                   expected_to_date=summary.completion.expected, credited_to_date=summary.completion.credited,
                   completion_rate=None if rate is None else round(rate, 4), evidence_count=summary.evidence,
                   records=summary.records, warn_red=summary.warnings[warnings.RED],
                   warn_yellow=summary.warnings[warnings.YELLOW], warn_blue=summary.warnings[warnings.BLUE])
    states = dict(db.session.execute(
        select(ProgressRecord.review_state, func.count(ProgressRecord.id)).join(DutyItem)
        .where(DutyItem.list_id == duty_list.id).group_by(ProgressRecord.review_state)).all())
    figures.update(records_pending=int(states.get(PENDING, 0)), records_returned=int(states.get(RETURNED, 0)))
    return figures


# -- what other features read of duties -------------------------------------------------
# Findings and scoring link to duty items and their evidence; they read them here, never
# through duties' models.
def open_items(*, include: int | None = None) -> list[DutyItem]:
    """Items of the bureau's lists that are not archived (plus ``include``), newest year first."""
    condition = DutyList.status != "archived"
    if include is not None:
        condition = or_(condition, DutyItem.id == include)
    query = (select(DutyItem).join(DutyList, DutyList.id == DutyItem.list_id).where(condition)
             .order_by(DutyList.year.desc(), DutyItem.sort_order, DutyItem.id))
    return list(db.session.scalars(query).unique())


def find_item(item_id: int) -> DutyItem | None:
    """The item with this id, or ``None``."""
    return db.session.get(DutyItem, item_id)


def with_list(path):
    """A loader option that loads an item relationship's list too (``path`` is a
    ``selectinload`` of a relationship to :class:`DutyItem`), so rows showing
    "2026 · content" cost one query per level."""
    return path.selectinload(DutyItem.duty_list)


def item_attachments(item_id: int, limit: int = 50) -> list[Attachment]:
    """The evidence of an item's records, newest first (at most ``limit``)."""
    return list(db.session.scalars(
        select(Attachment).join(ProgressRecord, ProgressRecord.id == Attachment.record_id)
        .where(ProgressRecord.item_id == item_id).order_by(Attachment.id.desc()).limit(limit)))


def year_attachments(year: int, limit: int) -> list[Attachment]:
    """The evidence of the records of a year's list, newest first (at most ``limit``)."""
    query = (select(Attachment).join(ProgressRecord, Attachment.record_id == ProgressRecord.id)
             .join(DutyItem, ProgressRecord.item_id == DutyItem.id).join(DutyList, DutyItem.list_id == DutyList.id)
             .where(DutyList.year == year).order_by(Attachment.id.desc()).limit(limit))
    return list(db.session.scalars(query))


def _due_by(last: date):
    """Items whose effective due date is on or before ``last`` (SQL)."""
    # An item without a due date is due on 31 December of its list's year.
    last_full_year = last.year if (last.month, last.day) == (12, 31) else last.year - 1
    return or_(DutyItem.due_date <= last, and_(DutyItem.due_date.is_(None), DutyList.year <= last_full_year))


def count_due_not_done(last: date, *, owners=None) -> int:
    """How many items of lists not archived are not done and due on or before ``last``
    (of the people ``owners`` selects, when given): the reminders' navigation badge.

    One statement reads the items that SQL can rule out cheaply (full expected count not
    reached, not marked done with evidence); :func:`app.duties.status.is_done` then decides
    for each of those, so an item started mid-year is done at its share of the count
    exactly as its own page says."""
    recorded = (select(func.coalesce(func.sum(ProgressRecord.count), 0))
                .where(ProgressRecord.item_id == DutyItem.id, COUNTS).correlate(DutyItem).scalar_subquery())
    has_evidence = exists(select(Attachment.id).join(ProgressRecord, ProgressRecord.id == Attachment.record_id)
                          .where(ProgressRecord.item_id == DutyItem.id, COUNTS).correlate(DutyItem))
    surely_done = or_(and_(DutyItem.expected_count > 0, recorded >= DutyItem.expected_count),
                      and_(DutyItem.marked_done.is_(True), has_evidence))
    candidates = (select(DutyList.year, DutyItem.cadence, DutyItem.expected_count, DutyItem.due_date,
                         DutyItem.created_at, DutyList.published_at, recorded.label("recorded"))
                  .join(DutyList, DutyList.id == DutyItem.list_id)
                  .where(DutyList.status != "archived", _due_by(last), not_(surely_done)))
    if owners is not None:
        candidates = candidates.where(DutyItem.owner_id.in_(owners))
    zone = local_zone()
    return sum(1 for row in db.session.execute(candidates) if not rules.is_done(rules.ItemFacts(
        year=row.year, cadence=row.cadence, expected_count=row.expected_count, due_date=row.due_date,
        recorded=int(row.recorded or 0),
        started=rules.started_on(row.created_at, row.published_at, zone))))


def all_items() -> list[DutyItem]:
    """Every item of the bureau, in the order they were created (the demo's findings)."""
    return list(db.session.scalars(select(DutyItem).order_by(DutyItem.id)))
