"""The city's duty-list templates (catalog): editions, their body, publishing.

A template is identified by (year, edition).  A draft edition is edited item by item;
publishing freezes it for good.  To change a published edition, :func:`new_edition`
copies it into the next draft edition.  Bureaus copy a published edition into their own
database (:func:`app.duties.services.create_list`), so a later edition never changes a
list that already exists.

The body is plain JSON::

    {"areas": [{"code": "political", "label": "政治建设"}, ...],
     "items": [{"key": "PG-01", "category": "party_group", "area": "political",
                "content": "...", "measures": "...", "cadence": "monthly",
                "expected_count": 12, "due_month": 12, "lead_unit": "办公室"}, ...]}

Items of the category ``member`` are per leadership member: a bureau's list gets one
item per member (see :func:`app.duties.services.create_list`).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.actor import Actor
from app.audit.services import changes, record_city
from app.errors import Conflict, Locked, NotFound, ValidationError, check_version
from app.extensions import db
from app.models import utcnow
from app.core.unit_of_work import writes

from .labels import CATEGORIES
from .models import TEMPLATE_KIND, DutyTemplate
from .status import CADENCES, DEFAULT_EXPECTED

DEFAULT_TEMPLATE_PATH = Path(__file__).with_name("default_template.yaml")
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
AREA_CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_ITEMS = 500
MAX_AREAS = 40
KEY_PREFIX = {"party_group": "PG", "secretary": "SE", "member": "ME", "organ_committee": "OC", "discipline": "DI"}
YEAR_MIN, YEAR_MAX = 2000, 2100


# -- body -----------------------------------------------------------------------------
def _text(value: Any, limit: int) -> str:
    return ("" if value is None else str(value)).strip()[:limit + 1]


def normalise_item(raw: dict, area_codes: set[str]) -> tuple[dict, dict[str, list[str]]]:
    """A clean template item and the problems found, keyed by field name."""
    errors: dict[str, list[str]] = {}
    item = {
        "key": _text(raw.get("key"), 40),
        "category": _text(raw.get("category"), 20),
        "area": _text(raw.get("area"), 40),
        "content": _text(raw.get("content"), 2000),
        "measures": _text(raw.get("measures"), 4000),
        "cadence": _text(raw.get("cadence") or "once", 20),
        "lead_unit": _text(raw.get("lead_unit"), 100),
    }
    if not KEY_PATTERN.fullmatch(item["key"]):
        errors["key"] = [_("Use up to 40 letters, digits, hyphens or underscores.")]
    if item["category"] not in CATEGORIES:
        errors["category"] = [_("Choose a category from the list.")]
    if item["area"] not in area_codes:
        errors["area"] = [_("Choose an area from the list.")]
    if not item["content"]:
        errors["content"] = [_("Describe the responsibility.")]
    elif len(item["content"]) > 2000:
        errors["content"] = [_("At most %(n)s characters.", n=2000)]
    if len(item["measures"]) > 4000:
        errors["measures"] = [_("At most %(n)s characters.", n=4000)]
    if len(item["lead_unit"]) > 100:
        errors["lead_unit"] = [_("At most %(n)s characters.", n=100)]
    if item["cadence"] not in CADENCES:
        errors["cadence"] = [_("Choose a cadence from the list.")]
    count = raw.get("expected_count")
    if count in (None, ""):
        count = DEFAULT_EXPECTED.get(item["cadence"], 1)
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= 366:
        errors["expected_count"] = [_("Enter a whole number from 1 to 366.")]
    item["expected_count"] = count
    month = raw.get("due_month")
    if month in (None, ""):
        month = None
    else:
        try:
            month = int(month)
        except (TypeError, ValueError):
            month = 0
        if not 1 <= month <= 12:
            errors["due_month"] = [_("Choose a month from 1 to 12.")]
    item["due_month"] = month
    return item, errors


def validate_body(body: Any) -> dict:
    """Check a whole template body and return its normalised copy.

    Raises :class:`ValidationError` whose ``errors`` name the item (``items[3].area``).
    """
    if not isinstance(body, dict):
        raise ValidationError(_("The template is not in the expected format."), {"body": [_("Expected a mapping.")]})
    errors: dict[str, list[str]] = {}
    areas_raw = body.get("areas") or []
    areas: list[dict] = []
    if not isinstance(areas_raw, list) or len(areas_raw) > MAX_AREAS:
        errors["areas"] = [_("Give at most %(n)s areas.", n=MAX_AREAS)]
        areas_raw = []
    for index, area in enumerate(areas_raw):
        code = _text(area.get("code") if isinstance(area, dict) else None, 40)
        label = _text(area.get("label") if isinstance(area, dict) else None, 40)
        if not AREA_CODE_PATTERN.fullmatch(code) or not label or len(label) > 40:
            errors[f"areas[{index}]"] = [_("Each area needs a code (lower-case letters, digits, underscores) and a name of at most 40 characters.")]
        elif any(a["code"] == code for a in areas):
            errors[f"areas[{index}]"] = [_("The area code %(code)s appears twice.", code=code)]
        else:
            areas.append({"code": code, "label": label})
    if not areas and "areas" not in errors:
        errors["areas"] = [_("Give at least one area.")]
    items_raw = body.get("items") or []
    if not isinstance(items_raw, list) or len(items_raw) > MAX_ITEMS:
        errors["items"] = [_("Give at most %(n)s items.", n=MAX_ITEMS)]
        items_raw = []
    codes = {a["code"] for a in areas}
    items: list[dict] = []
    keys: set[str] = set()
    for index, raw in enumerate(items_raw):
        item, problems = normalise_item(raw if isinstance(raw, dict) else {}, codes)
        if item["key"] in keys:
            problems.setdefault("key", []).append(_("The key %(key)s appears twice.", key=item["key"]))
        keys.add(item["key"])
        for field, messages in problems.items():
            errors[f"items[{index}].{field}"] = messages
        items.append(item)
    if errors:
        raise ValidationError(_("The template has errors."), errors)
    return {"areas": areas, "items": items}


@lru_cache(maxsize=1)
def _default_source() -> dict:
    with open(DEFAULT_TEMPLATE_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def default_body() -> tuple[str, dict]:
    """The title and validated body of the shipped default template."""
    source = _default_source()
    return str(source["title"]), validate_body({"areas": source["areas"], "items": source["items"]})


# -- queries --------------------------------------------------------------------------
def get_template(template_id: int) -> DutyTemplate:
    """One edition; :class:`NotFound` if there is none."""
    template = db.session.get(DutyTemplate, template_id)
    if template is None or template.kind != TEMPLATE_KIND:
        raise NotFound(_("No such template."))
    return template


def list_templates() -> list[DutyTemplate]:
    """Every edition, newest year and edition first."""
    return list(db.session.scalars(select(DutyTemplate).where(DutyTemplate.kind == TEMPLATE_KIND)
                                   .order_by(DutyTemplate.year.desc(), DutyTemplate.edition.desc())))


def published_templates(year: int | None = None) -> list[DutyTemplate]:
    """Published editions (of ``year``), newest first: what bureaus may copy."""
    query = select(DutyTemplate).where(DutyTemplate.kind == TEMPLATE_KIND, DutyTemplate.published_at.is_not(None))
    if year is not None:
        query = query.where(DutyTemplate.year == year)
    return list(db.session.scalars(query.order_by(DutyTemplate.year.desc(), DutyTemplate.edition.desc())))


def _draft_of(year: int) -> DutyTemplate | None:
    return db.session.scalar(select(DutyTemplate).where(
        DutyTemplate.kind == TEMPLATE_KIND, DutyTemplate.year == year, DutyTemplate.published_at.is_(None)))


def _next_edition(year: int) -> int:
    current = db.session.scalar(select(func.max(DutyTemplate.edition)).where(
        DutyTemplate.kind == TEMPLATE_KIND, DutyTemplate.year == year))
    return (current or 0) + 1


def _snapshot(template: DutyTemplate) -> dict:
    return {"year": template.year, "edition": template.edition, "title": template.title,
            "items": len(template.items), "published": template.is_published}


# -- changes --------------------------------------------------------------------------
@writes
def create_template(year: Any, *, title: str | None = None, source: str = "default", actor: Actor | None = None) -> DutyTemplate:
    """Start a draft edition for ``year`` from the default content, the latest published
    edition (``source="latest"``) or nothing (``"empty"``).  One draft per year at a time."""
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValidationError(_("The template could not be created."), {"year": [_("Enter a year between 2000 and 2100.")]})
    if source not in ("default", "latest", "empty"):
        raise ValidationError(_("The template could not be created."), {"source": [_("Choose a starting point from the list.")]})
    if _draft_of(year) is not None:
        raise Conflict(_("There is already a draft template for %(year)s; edit or publish it first.", year=year))
    default_title, body = default_body()
    if source == "latest":
        latest = published_templates()
        if not latest:
            raise ValidationError(_("The template could not be created."), {"source": [_("No template has been published yet.")]})
        body = validate_body(latest[0].body)
        default_title = _strip_year(latest[0].title)
    elif source == "empty":
        from .labels import default_areas

        body = {"areas": default_areas(), "items": []}
    title = _text(title, 200) or f"{year}年度{default_title}"
    if len(title) > 200:
        raise ValidationError(_("The template could not be created."), {"title": [_("At most %(n)s characters.", n=200)]})
    template = DutyTemplate(kind=TEMPLATE_KIND, year=year, edition=_next_edition(year), title=title, body=body)
    db.session.add(template)
    db.session.flush()
    record_city("duty_template.create", "duty_template", template.id,
                summary=f"新建{year}年度责任清单模板第{template.edition}版", after=_snapshot(template), actor=actor)
    return template


def _strip_year(title: str) -> str:
    return re.sub(r"^\d{4}年度?", "", title or "")


def _editable(template: DutyTemplate, version: Any) -> None:
    if template.is_published:
        raise Locked(_("A published template cannot be changed; start a new version instead."))
    check_version(template, version)


def _save_body(template: DutyTemplate, body: dict) -> None:
    template.body = validate_body(body)


@writes
def update_header(template: DutyTemplate, *, title: str, areas_text: str, version: Any, actor: Actor | None = None) -> DutyTemplate:
    """Rename a draft and replace its areas (one ``code 名称`` per line)."""
    _editable(template, version)
    errors: dict[str, list[str]] = {}
    title = _text(title, 200)
    if not title or len(title) > 200:
        errors["title"] = [_("Enter a title of at most 200 characters.")]
    areas = []
    for number, line in enumerate((areas_text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        code, _sep, label = line.replace("：", " ").replace(":", " ").partition(" ")
        areas.append({"code": code.strip(), "label": label.strip()})
    used = {item["area"] for item in template.items}
    missing = used - {a["code"] for a in areas}
    if missing:
        errors["areas"] = [_("Items still use these areas: %(codes)s.", codes=", ".join(sorted(missing)))]
    if not errors:
        try:
            body = validate_body({"areas": areas, "items": template.items})
        except ValidationError as error:
            errors["areas"] = [m for messages in error.errors.values() for m in messages]
    if errors:
        raise ValidationError(_("The template could not be saved."), errors)
    before = {"title": template.title, "areas": template.areas}
    template.title = title
    template.body = body
    old, new = changes(before, {"title": title, "areas": body["areas"]})
    if new:
        record_city("duty_template.update", "duty_template", template.id, summary=f"修改模板“{title}”",
                    before=old, after=new, actor=actor)
    return template


def _new_key(template: DutyTemplate, category: str) -> str:
    prefix = KEY_PREFIX.get(category, "IT")
    used = {item["key"] for item in template.items}
    number = 1
    while f"{prefix}-{number:02d}" in used:
        number += 1
    return f"{prefix}-{number:02d}"


@writes
def save_item(template: DutyTemplate, data: dict, *, key: str | None, version: Any, actor: Actor | None = None) -> dict:
    """Add an item (``key=None``) or change the item ``key`` of a draft."""
    _editable(template, version)
    items = template.items
    codes = {a["code"] for a in template.areas}
    if key is None:
        data = {**data, "key": _new_key(template, str(data.get("category") or ""))}
        position = None
    else:
        position = next((i for i, it in enumerate(items) if it["key"] == key), None)
        if position is None:
            raise NotFound(_("No such item in this template."))
        data = {**data, "key": key}
    item, problems = normalise_item(data, codes)
    if problems:
        raise ValidationError(_("The item could not be saved."), problems)
    if position is None:
        items.append(item)
        before = None
    else:
        before = items[position]
        items[position] = item
    _save_body(template, {"areas": template.areas, "items": items})
    old, new = changes(before or {}, item) if before else (None, item)
    record_city("duty_template.item", "duty_template", template.id,
                summary=f"{'修改' if before else '新增'}模板事项 {item['key']}", before=old, after=new, actor=actor)
    return item


@writes
def remove_item(template: DutyTemplate, key: str, *, version: Any, actor: Actor | None = None) -> None:
    """Remove an item from a draft."""
    _editable(template, version)
    items = template.items
    remaining = [it for it in items if it["key"] != key]
    if len(remaining) == len(items):
        raise NotFound(_("No such item in this template."))
    removed = next(it for it in items if it["key"] == key)
    _save_body(template, {"areas": template.areas, "items": remaining})
    record_city("duty_template.item_remove", "duty_template", template.id, summary=f"删除模板事项 {key}",
                before=removed, actor=actor)


@writes
def move_item(template: DutyTemplate, key: str, direction: str, *, version: Any, actor: Actor | None = None) -> None:
    """Move an item one place up or down among the items of its category."""
    _editable(template, version)
    items = template.items
    position = next((i for i, it in enumerate(items) if it["key"] == key), None)
    if position is None:
        raise NotFound(_("No such item in this template."))
    category = items[position]["category"]
    same = [i for i, it in enumerate(items) if it["category"] == category]
    where = same.index(position)
    target = where - 1 if direction == "up" else where + 1
    if direction not in ("up", "down") or not 0 <= target < len(same):
        return
    other = same[target]
    items[position], items[other] = items[other], items[position]
    _save_body(template, {"areas": template.areas, "items": items})
    record_city("duty_template.item_move", "duty_template", template.id,
                summary=f"调整模板事项 {key} 的顺序", after={"key": key, "direction": direction}, actor=actor)


@writes
def publish(template: DutyTemplate, *, version: Any, actor: Actor | None = None) -> DutyTemplate:
    """Publish a draft: bureaus can copy it from now on and it never changes again."""
    _editable(template, version)
    if not template.items:
        raise ValidationError(_("Add at least one item before publishing."))
    validate_body(template.body)
    who = getattr(actor, "username", None) or "system"
    template.published_at, template.published_by = utcnow(), who
    record_city("duty_template.publish", "duty_template", template.id,
                summary=f"发布{template.year}年度责任清单模板第{template.edition}版", after=_snapshot(template), actor=actor)
    return template


@writes
def new_edition(template: DutyTemplate, *, actor: Actor | None = None) -> DutyTemplate:
    """The next draft edition of a published template's year, copied from it.

    If a draft of that year exists already, it is returned unchanged.
    """
    existing = _draft_of(template.year)
    if existing is not None:
        return existing
    if not template.is_published:
        return template
    draft = DutyTemplate(kind=TEMPLATE_KIND, year=template.year, edition=_next_edition(template.year),
                         title=template.title, body=validate_body(template.body))
    db.session.add(draft)
    db.session.flush()
    record_city("duty_template.create", "duty_template", draft.id,
                summary=f"基于第{template.edition}版新建{template.year}年度模板第{draft.edition}版",
                after=_snapshot(draft), actor=actor)
    return draft


@writes
def delete_draft(template: DutyTemplate, *, version: Any, actor: Actor | None = None) -> None:
    """Throw a draft edition away (published editions are kept for ever)."""
    _editable(template, version)
    snapshot = _snapshot(template)
    record_city("duty_template.delete", "duty_template", template.id,
                summary=f"删除{template.year}年度模板草稿第{template.edition}版", before=snapshot, actor=actor)
    db.session.delete(template)


def ensure_default_published(year: int, *, actor: Actor | None = None) -> DutyTemplate:
    """The published default template of ``year``, created and published if missing
    (``flask demo seed`` and ``flask duties default-template``)."""
    found = published_templates(year)
    if found:
        return found[0]
    draft = _draft_of(year) or create_template(year, source="default", actor=actor)
    return publish(draft, version=draft.version, actor=actor)
