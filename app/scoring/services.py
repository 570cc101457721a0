"""Score sheets (考核评分): the rules behind the city's and the bureaus' pages.

Three groups of functions:

* **templates** (catalog, city admins): drafts edited in the tree editor or imported
  from JSON/YAML/Excel, validated with :func:`app.scoring.engine.validate_template`,
  published (immutable), copied into the next edition, assigned to bureaus;
* **sheets** (the current bureau's database): started from the assigned edition,
  self-assessed, submitted; reviewed, adjusted, balloted and finalised by the city's
  assessor; reopened with a reason;
* **figures**: the scores document of a sheet (the engine's input format, the same one
  ``flask scoring evaluate`` reads), its evaluation, and :func:`metrics` for the roll-up.

Every figure comes from :mod:`app.scoring.engine`; nothing here adds or multiplies
scores.  Every write checks the year lock (:func:`app.years.services.ensure_open`), the
sheet's status and the form's ``version``, and writes an audit event; actions of the
city's assessor are audited twice: in the bureau (``record_bureau``) and in the catalog
(``record_city``, with the bureau's slug).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.audit.services import record_bureau, record_city
from app.duties import services as duties
from app.evidence.models import Attachment
from app.errors import Conflict, NotFound, ValidationError, check_version
from app.extensions import db
from app.jsonsafe import jsonable, whole_or_float
from app.core.actor import Actor, require
from app.core.unit_of_work import writes
from app.models import utcnow
from app.tenancy.models import Tenant
from app.tenancy.session import current_slug
from app.years.services import MAX_YEAR, MIN_YEAR, ensure_open

from . import engine
from .engine import PartScore, Problem, Result, ScoringError
from .errors import TemplateInvalid
from .models import (BUREAU_ASSESSEE, DRAFT, FINAL, REVIEWED, SELF_SUBMITTED, Adjustment, Ballot, ScoreEntry,
                     ScoreSheet, ScoreTemplate, TemplateAssignment)

EXAMPLES = Path(__file__).with_name("examples")
#: The largest max_points / adjustment points a template may give: scores are stored
#: as Numeric(7, 2).
MAX_STORED_POINTS = Decimal("9999.99")
NOTE_MAX = 2000
REASON_MAX = 500
DOCUMENT_MAX = 100
MAX_VOTES = 100000
EVIDENCE_CHOICES_LIMIT = 500
REVIEW_STATUSES = (SELF_SUBMITTED, REVIEWED)


# ----------------------------------------------------------------------------- helpers
def plain(value: Any) -> Any:
    """A JSON-safe copy of a template or scores document: ``Decimal`` becomes an ``int``
    when whole, else a ``float``.  Exact for what templates and scores hold (at most 15
    significant digits): the engine reads a float through its shortest ``repr``, so
    ``0.85`` comes back as ``Decimal("0.85")``."""
    return jsonable(value, decimal=whole_or_float)


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(value: Any) -> Any:
    """Text without control characters (NUL and the C0 controls but tab, CR and LF);
    anything else as it is."""
    return _CONTROLS.sub("", value) if isinstance(value, str) else value


def _name(actor: Actor | None) -> str:
    return actor.display_name if actor is not None else "system"


# -- who may do what: ``actor=None`` is the system (the demo seed, scripts, tests) ---------
def _require_city_admin(actor: Actor | None) -> None:
    """The city's templates and reviews are a city administrator's."""
    require(actor is None or actor.holds_city_admin)


def _require_bureau(actor: Actor | None, *, admin: bool = False) -> None:
    """The self-assessment is the bureau's: its editors fill it, its administrators submit it."""
    require(actor is None or actor.is_bureau_admin or (not admin and actor.is_bureau_editor))


def indicators_of(body: Mapping[str, Any]) -> list[tuple[dict, dict]]:
    """(dimension, indicator) pairs of a template body in order; tolerant of drafts."""
    pairs = []
    for dimension in body.get("dimensions") or []:
        if isinstance(dimension, Mapping):
            for indicator in dimension.get("indicators") or []:
                if isinstance(indicator, Mapping):
                    pairs.append((dimension, indicator))
    return pairs


def _storage_problems(body: object) -> list[Problem]:
    """What the engine allows but the database cannot store (scores are Numeric(7, 2))."""
    problems: list[Problem] = []
    if not isinstance(body, Mapping):
        return problems
    limit = f"不得超过 {MAX_STORED_POINTS} / must be at most {MAX_STORED_POINTS}"
    for d_index, dimension in enumerate(body.get("dimensions") or []):
        if not isinstance(dimension, Mapping):
            continue
        for i_index, indicator in enumerate(dimension.get("indicators") or []):
            points = indicator.get("max_points") if isinstance(indicator, Mapping) else None
            if _is_number(points) and _dec(points) > MAX_STORED_POINTS:
                problems.append(Problem(engine.problem_path("dimensions", d_index, "indicators", i_index,
                                                            "max_points"), limit))
    for index, rule in enumerate(body.get("adjustment_rules") or []):
        points = rule.get("points") if isinstance(rule, Mapping) else None
        if _is_number(points) and _dec(points) > MAX_STORED_POINTS:
            problems.append(Problem(engine.problem_path("adjustment_rules", index, "points"), limit))
    return problems


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and (
        not isinstance(value, float) or value == value and value not in (float("inf"), float("-inf")))


def _dec(value: int | float | Decimal) -> Decimal:
    """A template number as ``Decimal`` (floats through their shortest repr, as the engine)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def template_problems(body: object) -> list[Problem]:
    """Every problem of a template body: the engine's checks plus the storage limits."""
    return engine.validate_template(body) + _storage_problems(body)


@lru_cache(maxsize=4)
def _example_text(name: str) -> str:
    return (EXAMPLES / name).read_text(encoding="utf-8")


def example_body(name: str = "annual-2026.yaml") -> dict:
    """A bundled example template (``app/scoring/examples``) as a JSON-safe body."""
    return plain(engine.load_document(_example_text(name)))


def blank_body(year: int, name: str) -> dict:
    """A new draft: one empty dimension and indicator, and the usual bands, weights and
    ballot levels (好 / 较好 / 一般 / 差) to start from."""
    return {
        "name": name,
        "year": year,
        "dimensions": [{"code": "", "title": "", "indicators": [
            {"code": "", "title": "", "max_points": 100, "method": "points"}]}],
        "grades": [{"label": "好", "min": 90}, {"label": "较好", "min": 80},
                   {"label": "一般", "min": 60}, {"label": "差", "min": 0}],
        "composite": {"self": 0.2, "reviewer": 0.6, "ballot": 0.2},
        "ballot_levels": [{"label": "好", "weight": 1}, {"label": "较好", "weight": 0.9},
                          {"label": "一般", "weight": 0.7}, {"label": "差", "weight": 0.5}],
        "bonus_cap": 5,
    }


def _template_name(body: Mapping[str, Any], fallback: str) -> str:
    name = body.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else fallback


# ----------------------------------------------------------------------------- templates
def list_templates() -> list[ScoreTemplate]:
    """Every template edition, the latest year and edition first."""
    return list(db.session.scalars(select(ScoreTemplate).order_by(ScoreTemplate.year.desc(),
                                                                   ScoreTemplate.edition.desc())))


def _plausible_year(year: int) -> bool:
    # Years come from URLs: anything else is simply not found (and a huge number must not
    # reach the database, where it overflows the column type).
    return MIN_YEAR <= year <= MAX_YEAR


def get_template(template_id: int) -> ScoreTemplate:
    """A template edition by id (:class:`NotFound` otherwise)."""
    template = db.session.get(ScoreTemplate, template_id) if 0 < template_id < 2**63 else None
    if template is None:
        raise NotFound(_("No such score-sheet template."))
    return template


def published_template(year: int) -> ScoreTemplate | None:
    """The latest published edition of ``year``, if any."""
    return db.session.scalar(select(ScoreTemplate).where(ScoreTemplate.year == year,
                                                         ScoreTemplate.published_at.is_not(None))
                             .order_by(ScoreTemplate.edition.desc()).limit(1))


def _next_edition(year: int) -> int:
    return (db.session.scalar(select(func.max(ScoreTemplate.edition)).where(ScoreTemplate.year == year)) or 0) + 1


def _check_year(year: object) -> int:
    try:
        value = int(year)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = 0
    if not _plausible_year(value):
        raise ValidationError(_("The template could not be created."),
                              {"year": [_("Enter a year from %(low)s to %(high)s.", low=MIN_YEAR, high=MAX_YEAR)]})
    return value


def _new_template(year: int, body: dict, actor: Actor | None, how: str) -> ScoreTemplate:
    body = dict(body, year=year)
    template = ScoreTemplate(year=year, edition=_next_edition(year), name=_template_name(body, f"{year}年度考核评分表"),
                             body=plain(body), created_by=_name(actor))
    db.session.add(template)
    db.session.flush()
    record_city("score_template.create", "score_template", template.id,
                summary=f"新建评分表模板 {template.label}（{how}）",
                after={"year": year, "edition": template.edition, "name": template.name}, actor=actor)
    return template


@writes
def create_from_body(year: int, body: dict, *, actor: Actor | None = None, how: str = "") -> ScoreTemplate:
    """A new draft edition of ``year`` holding ``body`` as given (the demo seed, scripts)."""
    _require_city_admin(actor)
    template = _new_template(_check_year(year), body, actor, how or "脚本")
    return template


@writes
def create_template(year: object, name: str, *, source: str = "blank", actor: Actor | None = None) -> ScoreTemplate:
    """A new draft edition for ``year``: ``source`` is ``blank``, ``example`` (the bundled
    annual sheet) or the id of an existing edition to copy."""
    _require_city_admin(actor)
    value = _check_year(year)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError(_("The template could not be created."),
                              {"name": [_("Enter a name (at most %(n)s characters).", n=200)]})
    if source == "blank":
        body, how = blank_body(value, name), "空白"
    elif source == "example":
        body, how = example_body(), "示例"
    else:
        try:
            original = get_template(int(source))
        except (TypeError, ValueError):
            raise ValidationError(_("The template could not be created."),
                                  {"source": [_("Choose where to start from.")]}) from None
        body, how = dict(original.body), f"复制自 {original.year} 年第 {original.edition} 版"
    body["name"] = name
    template = _new_template(value, body, actor, how)
    return template


def _refuse_published(template: ScoreTemplate) -> None:
    if template.is_published:
        raise Conflict(_("This edition is published and can no longer be changed; start a new edition instead."))


@writes
def save_draft(template: ScoreTemplate, body: dict, *, version: object, actor: Actor | None = None) -> list[Problem]:
    """Store the editor's body in a draft (even with problems: a draft may be unfinished)
    and return its problems.  The year of an edition is fixed when it is created."""
    _require_city_admin(actor)
    _refuse_published(template)
    check_version(template, version)
    body = plain(dict(body, year=template.year))
    before = template.body
    template.body = body
    template.name = _template_name(body, template.name)
    template.updated_at = utcnow()
    if before != body:
        record_city("score_template.edit", "score_template", template.id, summary=f"修改评分表模板 {template.label}",
                    before={"body": before}, after={"body": body}, actor=actor)
    return template_problems(body)


def parse_upload(filename: str, content: bytes) -> tuple[dict, dict[str, str]]:
    """Read an uploaded template: ``.json``, ``.yaml``/``.yml`` or ``.xlsx`` (the layout in
    ``docs/score-templates.md``).  Returns the body and, for Excel, where each path came
    from (``{"dimensions[0].indicators[1]": "指标!5"}``).  Raises :class:`TemplateInvalid`."""
    from . import xlsx

    suffix = Path(filename or "").suffix.lower()
    if suffix == ".xlsx":
        return xlsx.read_template(content)
    if suffix not in (".json", ".yaml", ".yml"):
        raise TemplateInvalid(_("The file could not be imported."),
                              [Problem("", _("Upload a .json, .yaml, .yml or .xlsx file."))])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TemplateInvalid(_("The file could not be imported."),
                              [Problem("", _("The file is not UTF-8 text."))]) from None
    try:
        document = engine.load_document(text if "\n" in text else text + "\n")
    except ScoringError as error:
        raise TemplateInvalid(_("The file could not be imported."),
                              error.problems or [Problem("", error.message)]) from None
    return document, {}


@writes
def import_template(filename: str, content: bytes, *, actor: Actor | None = None) -> ScoreTemplate:
    """Create a draft edition from an uploaded file, for the year the file names.  A file
    with any problem imports nothing; every problem is reported with its path (and its
    sheet and row for Excel)."""
    _require_city_admin(actor)
    body, locations = parse_upload(filename, content)
    problems = template_problems(body)
    if problems:
        raise TemplateInvalid(_("The file could not be imported: %(n)s problem(s).", n=len(problems)),
                              [_located(problem, locations) for problem in problems])
    template = _new_template(int(body["year"]), plain(body), actor, f"导入 {strip_controls(Path(filename).name)[:100]}")
    return template


def _located(problem: Problem, locations: Mapping[str, str]) -> Problem:
    """Add the Excel sheet and row to a problem whose path came from a row."""
    best = ""
    for path in locations:
        if (problem.path == path or problem.path.startswith(path + ".") or problem.path.startswith(path + "[")) \
                and len(path) > len(best):
            best = path
    if not best:
        return problem
    sheet, row = locations[best].split("!")
    return Problem(problem.path, f"{problem.message}（{sheet} 第 {row} 行 / sheet {sheet}, row {row}）")


@writes
def publish(template: ScoreTemplate, *, version: object, actor: Actor | None = None) -> ScoreTemplate:
    """Publish a draft edition: valid bodies only; from now on it never changes."""
    _require_city_admin(actor)
    _refuse_published(template)
    check_version(template, version)
    problems = template_problems(template.body)
    if problems:
        raise TemplateInvalid(_("The template has %(n)s problem(s) and cannot be published.", n=len(problems)),
                              problems)
    # Read the actor first: loading it may autoflush, and once published_at is flushed
    # the row is immutable (models._refuse_published_change).
    name, actor_id = _name(actor), getattr(actor, "id", None)
    template.published_by, template.published_by_id, template.published_at = name, actor_id, utcnow()
    record_city("score_template.publish", "score_template", template.id, summary=f"发布评分表模板 {template.label}",
                after={"year": template.year, "edition": template.edition, "name": template.name}, actor=actor)
    return template


@writes
def new_edition(template: ScoreTemplate, *, actor: Actor | None = None) -> ScoreTemplate:
    """A draft copy of ``template`` as the next edition of its year (a change to a
    published edition is a new edition)."""
    _require_city_admin(actor)
    copy = _new_template(template.year, dict(template.body), actor, f"基于第 {template.edition} 版")
    return copy


@writes
def delete_draft(template: ScoreTemplate, *, version: object, actor: Actor | None = None) -> None:
    """Delete a draft edition (published editions are kept for ever)."""
    _require_city_admin(actor)
    _refuse_published(template)
    check_version(template, version)
    record_city("score_template.delete", "score_template", template.id, summary=f"删除评分表模板草稿 {template.label}",
                before={"year": template.year, "edition": template.edition, "body": template.body}, actor=actor)
    db.session.delete(template)


def assignments_of(template: ScoreTemplate) -> list[TemplateAssignment]:
    """The bureaus assessed on ``template``."""
    return list(db.session.scalars(select(TemplateAssignment).where(TemplateAssignment.template_id == template.id)))


def year_assignments(year: int) -> dict[int, TemplateAssignment]:
    """Tenant id → assignment for ``year``."""
    rows = db.session.scalars(select(TemplateAssignment).where(TemplateAssignment.year == year))
    return {row.tenant_id: row for row in rows}


@writes
def set_assignments(template: ScoreTemplate, tenant_ids: Iterable[int] | None, *,
                    shown: Iterable[int] | None = None, unassign_all: bool = False,
                    actor: Actor | None = None) -> dict[str, list[str]]:
    """Make ``template`` the edition of exactly these bureaus for its year.

    A chosen bureau on another edition of the year moves to this one (its sheet, if
    already started, keeps the body it was started with until the bureau updates it);
    a bureau on this edition that is not chosen any more is unassigned.  Returns the
    slugs added and removed.

    ``shown``: the bureaus that were ticked on the page the choice was made on; only
    those can be taken away (a bureau assigned meanwhile by someone else stays).  An
    empty choice un-assigns everyone only with ``unassign_all=True``: an empty list is
    otherwise refused, because a form that lost its ticks must never look like "nobody".
    """
    _require_city_admin(actor)
    if not template.is_published:
        raise Conflict(_("Publish the template before assigning it to bureaus."))
    if tenant_ids is None:
        raise ValidationError(_("The assignment could not be saved."), {"bureaus": [_("Choose bureaus from the list.")]})
    try:
        wanted = set(int(tenant_id) for tenant_id in tenant_ids)
    except (TypeError, ValueError):
        raise ValidationError(_("The assignment could not be saved."),
                              {"bureaus": [_("Choose bureaus from the list.")]}) from None
    tenants = {t.id: t for t in db.session.scalars(select(Tenant).where(Tenant.id.in_(wanted)))} if wanted else {}
    unknown = wanted - set(tenants)
    if unknown:
        raise ValidationError(_("The assignment could not be saved."), {"bureaus": [_("Choose bureaus from the list.")]})
    current = year_assignments(template.year)
    on_this = {tenant_id for tenant_id, row in current.items() if row.template_id == template.id}
    removable = on_this if shown is None else on_this & set(int(i) for i in shown)
    if not wanted and removable and not unassign_all:
        raise ValidationError(_("The assignment could not be saved."), {"bureaus": [
            _("No bureau is ticked. To take this edition away from every bureau, use “Unassign all bureaus”.")]})
    added, removed = [], []
    for tenant_id, tenant in tenants.items():
        assignment = current.get(tenant_id)
        if assignment is None:
            db.session.add(TemplateAssignment(template=template, tenant_id=tenant_id, year=template.year,
                                              assigned_by=_name(actor)))
            added.append(tenant.slug)
        elif assignment.template_id != template.id:
            assignment.template = template
            assignment.assigned_by = _name(actor)
            added.append(tenant.slug)
    slugs = dict(db.session.execute(select(Tenant.id, Tenant.slug)).all())
    for tenant_id in sorted(removable - wanted):
        db.session.delete(current[tenant_id])
        removed.append(slugs.get(tenant_id, str(tenant_id)))
    if added or removed:
        record_city("score_template.assign", "score_template", template.id,
                    summary=f"分配评分表模板 {template.label}：新增 {len(added)} 个单位，取消 {len(removed)} 个单位",
                    before={"removed": sorted(removed)}, after={"added": sorted(added)}, actor=actor)
    return {"added": sorted(added), "removed": sorted(removed)}


def assigned_template(tenant_id: int, year: int) -> ScoreTemplate | None:
    """The edition bureau ``tenant_id`` is assessed on in ``year``, if assigned."""
    if not _plausible_year(year):
        return None
    assignment = db.session.scalar(select(TemplateAssignment).where(TemplateAssignment.tenant_id == tenant_id,
                                                                    TemplateAssignment.year == year))
    return assignment.template if assignment is not None else None


def assigned_years(tenant_id: int) -> dict[int, ScoreTemplate]:
    """Year → assigned edition for a bureau."""
    rows = db.session.scalars(select(TemplateAssignment).where(TemplateAssignment.tenant_id == tenant_id))
    return {row.year: row.template for row in rows}


# ----------------------------------------------------------------------------- sheets
@dataclass
class EntryInput:
    """What a form gives for one indicator and one part.

    ``value``: a ``Decimal`` (points), a level label (levels), ``{rule: occurrences}``
    (deduct) or ``None`` (not scored yet).  ``note`` is the bureau's note (self) or the
    reviewer's comment.  ``evidence``: attachment ids, or ``None`` to leave them alone.
    """

    value: Decimal | str | dict[str, int] | None
    note: str = ""
    evidence: list[int] | None = field(default=None)


def list_sheets() -> list[ScoreSheet]:
    """The current bureau's sheets, the latest year first."""
    return list(db.session.scalars(select(ScoreSheet).order_by(ScoreSheet.year.desc(), ScoreSheet.id)))


def find_sheet(year: int, assessee: str = BUREAU_ASSESSEE) -> ScoreSheet | None:
    """The current bureau's sheet for ``year``, if started."""
    if not _plausible_year(year):
        return None
    return db.session.scalar(select(ScoreSheet).where(ScoreSheet.year == year, ScoreSheet.assessee_key == assessee))


def get_sheet(year: int, assessee: str = BUREAU_ASSESSEE) -> ScoreSheet:
    """Like :func:`find_sheet`, or :class:`NotFound`."""
    sheet = find_sheet(year, assessee)
    if sheet is None:
        raise NotFound(_("There is no score sheet for %(year)s yet.", year=year))
    return sheet


def _audit(action: str, sheet: ScoreSheet, summary: str, *, before: dict | None = None,
           after: dict | None = None, actor: Actor | None = None, city: bool = False) -> None:
    """Audit in the bureau; the city's assessor actions are also audited in the catalog."""
    record_bureau(action, "score_sheet", sheet.id, summary=summary, before=before, after=after, actor=actor)
    if city:
        record_city(action, "score_sheet", sheet.id, summary=summary, before=before, after=after,
                    tenant_slug=current_slug(), actor=actor)


def _touch(sheet: ScoreSheet) -> None:
    # An UPDATE of the sheet row bumps its version, so every form of the sheet rendered
    # before this change is refused as stale.
    sheet.updated_at = utcnow()


def _require_status(sheet: ScoreSheet, allowed: Iterable[str], message: str) -> None:
    if sheet.status not in tuple(allowed):
        raise Conflict(message)


@writes
def start_sheet(year: int, *, tenant_id: int, assessee_name: str, actor: Actor | None = None) -> ScoreSheet:
    """Start the bureau's sheet for ``year`` from the edition the city assigned it."""
    _require_bureau(actor)
    ensure_open(year)
    if find_sheet(year) is not None:
        raise Conflict(_("The score sheet for %(year)s has already been started.", year=year))
    template = assigned_template(tenant_id, year)
    if template is None or not template.is_published:
        raise NotFound(_("The city has not assigned a score sheet for %(year)s to this bureau.", year=year))
    sheet = ScoreSheet(year=year, assessee_key=BUREAU_ASSESSEE, assessee_name=assessee_name[:100],
                       template_id=template.id, template_edition=template.edition, template_name=template.name,
                       template_body=template.body, status=DRAFT)
    sheet.entries = [ScoreEntry(indicator_code=indicator["code"]) for _d, indicator in indicators_of(template.body)]
    db.session.add(sheet)
    db.session.flush()
    _audit("score_sheet.start", sheet, f"开始{year}年度自评（{template.label}）",
           after={"year": year, "template_id": template.id, "edition": template.edition}, actor=actor)
    return sheet


@writes
def refresh_template(sheet: ScoreSheet, *, tenant_id: int, version: object, actor: Actor | None = None) -> ScoreSheet:
    """Move a draft sheet to the edition now assigned to the bureau.  Entries of
    indicators that still exist with the same method keep their values where the new
    edition still allows them; the others are dropped (and listed in the audit event)."""
    _require_bureau(actor)
    ensure_open(sheet.year)
    _require_status(sheet, (DRAFT,), _("Only a draft sheet can move to another edition."))
    check_version(sheet, version)
    template = assigned_template(tenant_id, sheet.year)
    if template is None or (template.id == sheet.template_id and template.edition == sheet.template_edition):
        raise Conflict(_("The sheet already uses the edition assigned to this bureau."))
    new_indicators = {indicator["code"]: indicator for _d, indicator in indicators_of(template.body)}
    dropped: list[str] = []
    for entry in list(sheet.entries):
        if entry.indicator_code not in new_indicators:
            dropped.append(entry.indicator_code)
            sheet.entries.remove(entry)
    for part in ("self", "reviewer"):
        values, entries = {}, {}
        for entry in sheet.entries:
            old_method = method_of(sheet, entry.indicator_code)
            value = _entry_value(entry, part, old_method)
            if value is None:
                continue
            if old_method != new_indicators[entry.indicator_code]["method"]:
                dropped.append(f"{part}.{entry.indicator_code}")
                _clear_value(entry, part)
            else:
                values[entry.indicator_code], entries[entry.indicator_code] = value, entry
        # The engine says which kept values the new edition no longer allows.
        for code in _codes_with_problems(template.body, part, values):
            dropped.append(f"{part}.{code}")
            _clear_value(entries[code], part)
    present = {entry.indicator_code for entry in sheet.entries}
    for code in new_indicators:
        if code not in present:
            sheet.entries.append(ScoreEntry(indicator_code=code))
    before = {"template_id": sheet.template_id, "edition": sheet.template_edition}
    sheet.template_id, sheet.template_edition = template.id, template.edition
    sheet.template_name, sheet.template_body = template.name, template.body
    _touch(sheet)
    _audit("score_sheet.refresh_template", sheet, f"{sheet.year}年度评分表改用{template.label}",
           before=before, after={"template_id": template.id, "edition": template.edition, "dropped": dropped},
           actor=actor)
    return sheet


def method_of(sheet: ScoreSheet, code: str) -> str | None:
    """The scoring method of indicator ``code`` on the sheet's template."""
    for _d, indicator in indicators_of(sheet.template_body):
        if indicator.get("code") == code:
            return indicator.get("method")
    return None


def _problem_codes(part: str, codes: Iterable[str], problems: Iterable[Problem]) -> dict[str, list[str]]:
    """Problems of a part grouped by the indicator code their path starts with
    (``""`` for the others)."""
    paths = {engine.problem_path(part, code): code for code in codes}
    grouped: dict[str, list[str]] = {}
    for problem in problems:
        code = next((c for path, c in paths.items() if problem.path == path
                     or problem.path.startswith(path + ".") or problem.path.startswith(path + "[")), "")
        grouped.setdefault(code, []).append(problem.message)
    return grouped


def _codes_with_problems(body: Mapping[str, Any], part: str, values: Mapping[str, Any]) -> list[str]:
    problems = engine.score_part(body, values, part).problems
    return [code for code in _problem_codes(part, values, problems) if code]


def _entry_value(entry: ScoreEntry, part: str, method: str | None) -> Decimal | str | dict | None:
    """The engine value of one part of an entry (``None``: not scored)."""
    if method == "points":
        return getattr(entry, f"{part}_points")
    if method == "levels":
        return getattr(entry, f"{part}_level")
    if method == "deduct":
        counts = getattr(entry, f"{part}_deductions")
        return None if counts is None else {rule: int(n) for rule, n in counts.items() if int(n) > 0}
    return None


def _clear_value(entry: ScoreEntry, part: str) -> None:
    for suffix in ("points", "level", "deductions"):
        setattr(entry, f"{part}_{suffix}", None)


def _set_value(entry: ScoreEntry, part: str, method: str, value: object) -> None:
    _clear_value(entry, part)
    if value is None:
        return
    if method == "points":
        setattr(entry, f"{part}_points", Decimal(value))  # type: ignore[arg-type]
    elif method == "levels":
        setattr(entry, f"{part}_level", str(value))
    else:
        setattr(entry, f"{part}_deductions", {str(rule): int(n) for rule, n in dict(value).items()  # type: ignore[arg-type]
                                               if int(n) > 0})


def part_values(sheet: ScoreSheet, part: str) -> dict[str, Any]:
    """One part of the sheet as the scores document writes it: indicator code → value,
    for the indicators that have an entry (a ``deduct`` indicator's entry is ``{}`` when
    "nothing to deduct" was recorded; one never entered is left out, and so counts as
    not scored: ``engine.completeness``)."""
    values: dict[str, Any] = {}
    for _d, indicator in indicators_of(sheet.template_body):
        entry = sheet.entry_for(indicator["code"])
        value = _entry_value(entry, part, indicator["method"]) if entry is not None else None
        if value is not None:
            values[indicator["code"]] = value
    return values


def sheet_completeness(sheet: ScoreSheet) -> engine.Completeness:
    """How complete the sheet's figures are (the engine's definition)."""
    return engine.completeness(sheet.template_body, scores_document(sheet), final=sheet.status == FINAL)


def _unscored_problems(progress: engine.Completeness) -> list[Problem]:
    problems = []
    for part, score in (("self", progress.self), ("reviewer", progress.reviewer)):
        if score is not None:
            problems += list(score.problems) + [
                Problem(engine.problem_path(part, code), "未评分 / not scored") for code in score.unscored]
    return problems


def running(sheet: ScoreSheet, part: str) -> PartScore:
    """Running totals of one part, computed by the engine (see ``engine.score_part``)."""
    return engine.score_part(sheet.template_body, part_values(sheet, part), part)


def _check_inputs(sheet: ScoreSheet, part: str, inputs: Mapping[str, EntryInput]) -> dict[str, list[str]]:
    """Problems of the submitted values by indicator code (the engine's rules)."""
    errors: dict[str, list[str]] = {}
    methods = {indicator["code"]: indicator["method"] for _d, indicator in indicators_of(sheet.template_body)}
    values: dict[str, Any] = {}
    for code, given in inputs.items():
        if code not in methods:
            errors.setdefault(code, []).append(_("No such indicator on this sheet."))
            continue
        if len(given.note or "") > NOTE_MAX:
            errors.setdefault(code, []).append(_("At most %(n)s characters.", n=NOTE_MAX))
        if given.value is not None:
            values[code] = given.value
    result = engine.score_part(sheet.template_body, values, part)
    for code, messages in _problem_codes(part, methods, result.problems).items():
        errors.setdefault(code, []).extend(messages)
    return errors


def _attachments(ids: Iterable[int]) -> list[Attachment]:
    wanted = sorted(set(int(i) for i in ids))
    if not wanted:
        return []
    found = list(db.session.scalars(select(Attachment).where(Attachment.id.in_(wanted)).order_by(Attachment.id)))
    if len(found) != len(wanted):
        raise ValidationError(_("The score sheet could not be saved."),
                              {"": [_("Some of the chosen evidence no longer exists.")]})
    return found


def evidence_choices(year: int) -> list[Attachment]:
    """The bureau's attachments that can be linked as evidence of a ``year`` sheet: the
    files of the progress records of that year's responsibility list, newest first."""
    return duties.year_attachments(year, EVIDENCE_CHOICES_LIMIT)


def _snapshot(entry: ScoreEntry, part: str, method: str) -> dict:
    value = _entry_value(entry, part, method)
    data: dict[str, Any] = {"value": value}
    if part == "self":
        data["note"] = entry.self_note
        data["evidence"] = [attachment.id for attachment in entry.evidence]
    else:
        data["comment"] = entry.reviewer_comment
    return data


def _apply(sheet: ScoreSheet, part: str, inputs: Mapping[str, EntryInput]) -> tuple[dict, dict]:
    """Write the inputs into the entries; returns the changed entries as (before, after)."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    methods = {indicator["code"]: indicator["method"] for _d, indicator in indicators_of(sheet.template_body)}
    for code, given in inputs.items():
        entry = sheet.entry_for(code)
        if entry is None:
            entry = ScoreEntry(indicator_code=code)
            sheet.entries.append(entry)
        old = _snapshot(entry, part, methods[code])
        _set_value(entry, part, methods[code], given.value)
        if part == "self":
            entry.self_note = (given.note or "").strip()
            if given.evidence is not None:
                entry.evidence = _attachments(given.evidence)
        else:
            entry.reviewer_comment = (given.note or "").strip()
        new = _snapshot(entry, part, methods[code])
        if old != new:
            before[code], after[code] = old, new
    return before, after


@writes
def save_self(sheet: ScoreSheet, inputs: Mapping[str, EntryInput], *, summary: str | None = None,
              version: object, actor: Actor | None = None) -> ScoreSheet:
    """Save the bureau's self-assessment (draft sheets of an open year only)."""
    _require_bureau(actor)
    ensure_open(sheet.year)
    _require_status(sheet, (DRAFT,), _("The self-assessment has been submitted and can no longer be changed."))
    check_version(sheet, version)
    errors = _check_inputs(sheet, "self", inputs)
    if summary is not None and len(summary) > NOTE_MAX:
        errors.setdefault("summary", []).append(_("At most %(n)s characters.", n=NOTE_MAX))
    if errors:
        raise ValidationError(_("The score sheet could not be saved: check the marked indicators."), errors)
    before, after = _apply(sheet, "self", inputs)
    if summary is not None and summary.strip() != sheet.self_summary:
        before["summary"], after["summary"] = sheet.self_summary, summary.strip()
        sheet.self_summary = summary.strip()
    if after:
        _touch(sheet)
        _audit("score_sheet.self_save", sheet, f"保存{sheet.year}年度自评（{len(after)} 项）",
               before=before, after=after, actor=actor)
    return sheet


@writes
def submit(sheet: ScoreSheet, *, version: object, actor: Actor | None = None) -> ScoreSheet:
    """Submit the self-assessment to the city; the bureau can no longer change it."""
    _require_bureau(actor, admin=True)
    ensure_open(sheet.year)
    _require_status(sheet, (DRAFT,), _("The self-assessment has already been submitted."))
    check_version(sheet, version)
    progress = running(sheet, "self")
    if not progress.complete:
        missing = [problem.path for problem in progress.problems] + list(progress.unscored)
        raise ValidationError(_("Score every indicator before submitting (%(n)s not yet scored: %(codes)s). "
                                "A deduction item needs its occurrences or the tick “checked”.",
                                n=len(missing), codes="、".join(missing[:10])))
    sheet.status = SELF_SUBMITTED
    sheet.self_submitted_at, sheet.self_submitted_by = utcnow(), _name(actor)
    _audit("score_sheet.submit", sheet, f"提交{sheet.year}年度自评，自评分 {engine.round_figure(progress.total)}",
           before={"status": DRAFT}, after={"status": SELF_SUBMITTED, "self_total": progress.total}, actor=actor)
    return sheet


def _review_write(sheet: ScoreSheet, version: object) -> None:
    ensure_open(sheet.year)
    _require_status(sheet, REVIEW_STATUSES,
                    _("The sheet can be reviewed only after the bureau has submitted it and before it is final."))
    check_version(sheet, version)


@writes
def save_review(sheet: ScoreSheet, inputs: Mapping[str, EntryInput], *, comment: str | None = None,
                version: object, actor: Actor | None = None) -> ScoreSheet:
    """Save the reviewer's scores and comments (the city's assessor)."""
    _require_city_admin(actor)
    _review_write(sheet, version)
    errors = _check_inputs(sheet, "reviewer", inputs)
    if comment is not None and len(comment) > NOTE_MAX:
        errors.setdefault("comment", []).append(_("At most %(n)s characters.", n=NOTE_MAX))
    if errors:
        raise ValidationError(_("The review could not be saved: check the marked indicators."), errors)
    before, after = _apply(sheet, "reviewer", inputs)
    if comment is not None and comment.strip() != sheet.reviewer_comment:
        before["comment"], after["comment"] = sheet.reviewer_comment, comment.strip()
        sheet.reviewer_comment = comment.strip()
    if after:
        _touch(sheet)
        _audit("score_sheet.review_save", sheet, f"{sheet.assessee_name}{sheet.year}年度考核组评分（{len(after)} 项）",
               before=before, after=after, actor=actor, city=True)
    return sheet


def ballot_levels(sheet: ScoreSheet) -> list[str]:
    """The ballot level labels of the sheet's template, best first."""
    return [level["label"] for level in sheet.template_body.get("ballot_levels") or []]


@writes
def save_ballot(sheet: ScoreSheet, counts: Mapping[str, int], *, eligible: int | None = None,
                present: int | None = None, held_on=None, note: str = "", version: object,
                actor: Actor | None = None) -> Ballot:
    """Record the democratic rating (民主测评): votes per ballot level."""
    _require_city_admin(actor)
    _review_write(sheet, version)
    labels = ballot_levels(sheet)
    errors: dict[str, list[str]] = {}
    if not labels:
        raise Conflict(_("This sheet's template has no ballot levels."))
    for label, votes in counts.items():
        if label not in labels:
            errors.setdefault(label, []).append(_("Not a ballot level of this sheet."))
        elif not isinstance(votes, int) or isinstance(votes, bool) or not 0 <= votes <= MAX_VOTES:
            errors.setdefault(label, []).append(_("Enter a whole number from 0 to %(n)s.", n=MAX_VOTES))
    for name, number in (("eligible", eligible), ("present", present)):
        if number is not None and not 0 <= number <= MAX_VOTES:
            errors.setdefault(name, []).append(_("Enter a whole number from 0 to %(n)s.", n=MAX_VOTES))
    if eligible is not None and present is not None and present > eligible:
        errors.setdefault("present", []).append(_("More people present than expected."))
    total = sum(votes for label, votes in counts.items() if label in labels and isinstance(votes, int))
    if present is not None and total > present:
        errors.setdefault("present", []).append(
            _("%(votes)s votes were counted but only %(present)s people were present.", votes=total, present=present))
    if len(note or "") > NOTE_MAX:
        errors.setdefault("note", []).append(_("At most %(n)s characters.", n=NOTE_MAX))
    if errors:
        raise ValidationError(_("The ballot could not be saved."), errors)
    ballot = sheet.ballot
    before = None if ballot is None else {"counts": ballot.counts, "eligible": ballot.eligible,
                                         "present": ballot.present, "held_on": ballot.held_on, "note": ballot.note}
    if ballot is None:
        ballot = Ballot()
        sheet.ballot = ballot
    ballot.counts = {label: int(counts.get(label, 0)) for label in labels}
    ballot.eligible, ballot.present, ballot.held_on, ballot.note = eligible, present, held_on, (note or "").strip()
    after = {"counts": ballot.counts, "eligible": eligible, "present": present, "held_on": held_on, "note": ballot.note}
    if before != after:
        _touch(sheet)
        _audit("score_sheet.ballot", sheet, f"{sheet.assessee_name}{sheet.year}年度民主测评：共 {total} 票",
               before=before, after=after, actor=actor, city=True)
    return ballot


def adjustment_rules(sheet: ScoreSheet, kind: str) -> list[dict]:
    """The template's named rules of one kind: ``veto`` (veto_rules) or bonus/deduction
    (adjustment_rules)."""
    if kind == "veto":
        return list(sheet.template_body.get("veto_rules") or [])
    return [rule for rule in sheet.template_body.get("adjustment_rules") or [] if rule.get("kind") == kind]


@writes
def add_adjustment(sheet: ScoreSheet, *, kind: str, rule: str | None, points: Decimal | None, reason: str,
                   document: str = "", version: object, actor: Actor | None = None) -> Adjustment:
    """Add a bonus, deduction or veto decided by the review team.

    A reason (事由) is always required and a veto also needs the document number (文号)
    of the decision; a named rule fixes the points; the engine checks the rest.
    """
    _require_city_admin(actor)
    _review_write(sheet, version)
    reason, document = (reason or "").strip(), (document or "").strip()
    rule = (rule or "").strip() or None
    errors: dict[str, list[str]] = {}
    if kind not in ("bonus", "deduction", "veto"):
        errors["kind"] = [_("Choose bonus, deduction or veto.")]
    if not reason or len(reason) > REASON_MAX:
        errors["reason"] = [_("Give the reason (at most %(n)s characters).", n=REASON_MAX)]
    if len(document) > DOCUMENT_MAX:
        errors["document"] = [_("At most %(n)s characters.", n=DOCUMENT_MAX)]
    elif kind == "veto" and not document:
        errors["document"] = [_("A veto needs the document number (文号) of the decision.")]
    rule_title = None
    if kind in ("bonus", "deduction", "veto"):
        item: dict[str, Any] = {"kind": kind, "reason": reason}
        if rule is not None:
            item["rule"] = rule
            match = next((r for r in adjustment_rules(sheet, kind) if r.get("code") == rule), None)
            if match is not None:
                rule_title = match.get("title")
                if kind != "veto" and _is_number(match.get("points")):
                    points = _dec(match["points"])
        if kind == "veto":
            points = None
        elif points is None:
            errors.setdefault("points", []).append(_("Give the points or choose a rule."))
        elif not Decimal(0) < points <= MAX_STORED_POINTS:
            errors.setdefault("points", []).append(_("Enter a number greater than 0 and at most %(n)s.",
                                                     n=MAX_STORED_POINTS))
        if points is not None:
            item["points"] = points
        for problem in engine.validate_scores(sheet.template_body, {"adjustments": [item]}):
            if problem.path.startswith("adjustments[0]"):
                key = problem.path.removeprefix("adjustments[0]").lstrip(".") or "kind"
                errors.setdefault(key if key in ("rule", "points", "kind") else "rule", []).append(problem.message)
    if errors:
        raise ValidationError(_("The adjustment could not be added."), errors)
    adjustment = Adjustment(kind=kind, rule=rule, rule_title=rule_title, points=points, reason=reason,
                            document=document, created_by=_name(actor))
    sheet.adjustments.append(adjustment)
    _touch(sheet)
    db.session.flush()
    _audit("score_sheet.adjustment_add", sheet, f"{sheet.assessee_name}{sheet.year}年度{_KIND_ZH[kind]}：{reason}",
           after=_adjustment_snapshot(adjustment), actor=actor, city=True)
    return adjustment


_KIND_ZH = {"bonus": "加分", "deduction": "扣分", "veto": "一票否决"}


def _adjustment_snapshot(adjustment: Adjustment) -> dict:
    return {"id": adjustment.id, "kind": adjustment.kind, "rule": adjustment.rule, "points": adjustment.points,
            "reason": adjustment.reason, "document": adjustment.document}


@writes
def delete_adjustment(sheet: ScoreSheet, adjustment_id: int, *, version: object,
                      actor: Actor | None = None) -> None:
    """Remove an adjustment (while the review is open)."""
    _require_city_admin(actor)
    _review_write(sheet, version)
    adjustment = next((a for a in sheet.adjustments if a.id == adjustment_id), None)
    if adjustment is None:
        raise NotFound(_("No such adjustment."))
    snapshot = _adjustment_snapshot(adjustment)
    sheet.adjustments.remove(adjustment)
    _touch(sheet)
    _audit("score_sheet.adjustment_delete", sheet,
           f"{sheet.assessee_name}{sheet.year}年度删除{_KIND_ZH.get(adjustment.kind, '')}：{adjustment.reason}",
           before=snapshot, actor=actor, city=True)


def scores_document(sheet: ScoreSheet, *, review: bool = True) -> dict[str, Any]:
    """The sheet as an engine scores document (``docs/score-templates.md``): what
    ``flask scoring evaluate`` reads.  ``review=False`` gives only the self part (what a
    bureau may see before the sheet is final)."""
    document: dict[str, Any] = {"self": part_values(sheet, "self")}
    if not review:
        return document
    weights = sheet.template_body.get("composite") or {}
    reviewer = part_values(sheet, "reviewer")
    if _positive(weights.get("reviewer")) or any(
            entry.reviewer_points is not None or entry.reviewer_level is not None
            or entry.reviewer_deductions is not None for entry in sheet.entries):
        document["reviewer"] = reviewer
    if sheet.ballot is not None:
        document["ballot"] = {label: int(votes) for label, votes in sheet.ballot.counts.items()}
    adjustments = []
    for adjustment in sheet.adjustments:
        item: dict[str, Any] = {"kind": adjustment.kind}
        if adjustment.rule:
            item["rule"] = adjustment.rule
        elif adjustment.points is not None:
            item["points"] = adjustment.points
        item["reason"] = adjustment.reason
        if adjustment.document:
            item["document"] = adjustment.document
        adjustments.append(item)
    document["adjustments"] = adjustments
    return document


def _positive(value: object) -> bool:
    return _is_number(value) and _dec(value) > 0  # type: ignore[arg-type]


def evaluate_sheet(sheet: ScoreSheet) -> tuple[Result | None, list[Problem]]:
    """The engine's full result of a sheet, or ``None`` and what is still missing.

    There is a result only when every weighted part is complete (``engine.completeness``:
    every indicator has an entry in the self and the reviewer part): a composite of an
    incomplete sheet is never computed, let alone shown.  Until the sheet is final the
    result is provisional (the pages say so)."""
    document = scores_document(sheet)
    progress = engine.completeness(sheet.template_body, document, final=sheet.status == FINAL)
    if not progress.scores_complete:
        return None, _unscored_problems(progress)
    try:
        return engine.evaluate(sheet.template_body, document), []
    except ScoringError as error:
        return None, list(error.problems) or [Problem("", error.message)]


def _require_result(sheet: ScoreSheet, message: str) -> Result:
    result, problems = evaluate_sheet(sheet)
    if result is None:
        shown = [str(problem) for problem in problems[:10]]
        if len(problems) > 10:
            shown.append(_("… and %(n)s more.", n=len(problems) - 10))
        raise ValidationError(message, {"": shown})
    return result


@writes
def complete_review(sheet: ScoreSheet, *, version: object, actor: Actor | None = None) -> ScoreSheet:
    """Mark the review complete (self_submitted → reviewed): every figure must compute."""
    _require_city_admin(actor)
    _review_write(sheet, version)
    _require_status(sheet, (SELF_SUBMITTED,), _("The review is already complete."))
    result = _require_result(sheet, _("The review is not complete yet."))
    sheet.status, sheet.reviewed_at, sheet.reviewed_by = REVIEWED, utcnow(), _name(actor)
    _audit("score_sheet.review_complete", sheet,
           f"{sheet.assessee_name}{sheet.year}年度考核评分完成：综合得分 {result.composite_rounded}，等次 {result.grade}",
           before={"status": SELF_SUBMITTED}, after=_result_summary(result, REVIEWED), actor=actor, city=True)
    return sheet


def _result_summary(result: Result, status: str) -> dict:
    return {"status": status, "self": result.parts.self_score and engine.round_figure(result.parts.self_score),
            "reviewer": result.parts.reviewer_score and engine.round_figure(result.parts.reviewer_score),
            "composite": result.composite_rounded, "grade": result.grade}


@writes
def finalise(sheet: ScoreSheet, *, version: object, actor: Actor | None = None) -> ScoreSheet:
    """Finalise a reviewed sheet (reviewed → final): locked, and visible to the bureau."""
    _require_city_admin(actor)
    ensure_open(sheet.year)
    _require_status(sheet, (REVIEWED,), _("Only a reviewed sheet can be finalised."))
    check_version(sheet, version)
    result = _require_result(sheet, _("The sheet cannot be finalised."))
    sheet.status, sheet.finalised_at, sheet.finalised_by = FINAL, utcnow(), _name(actor)
    _audit("score_sheet.finalise", sheet,
           f"{sheet.assessee_name}{sheet.year}年度考核结果确定：综合得分 {result.composite_rounded}，等次 {result.grade}",
           before={"status": REVIEWED}, after=_result_summary(result, FINAL), actor=actor, city=True)
    return sheet


REOPEN_TARGETS = {REVIEWED: (FINAL,), DRAFT: (SELF_SUBMITTED, REVIEWED, FINAL)}


@writes
def reopen(sheet: ScoreSheet, *, target: str, reason: str, version: object, actor: Actor | None = None) -> ScoreSheet:
    """Reopen a sheet (city admins, with a reason, audited): ``target="reviewed"`` takes a
    final sheet back to the review; ``target="draft"`` returns the sheet to the bureau."""
    _require_city_admin(actor)
    ensure_open(sheet.year)
    reason = (reason or "").strip()
    if target not in REOPEN_TARGETS:
        raise ValidationError(_("The sheet could not be reopened."), {"target": [_("Choose what to reopen.")]})
    if not reason or len(reason) > REASON_MAX:
        raise ValidationError(_("The sheet could not be reopened."),
                              {"reason": [_("Give the reason (at most %(n)s characters).", n=REASON_MAX)]})
    _require_status(sheet, REOPEN_TARGETS[target], _("The sheet cannot be reopened that way in its current status."))
    check_version(sheet, version)
    before = sheet.status
    sheet.status = target
    sheet.finalised_at = sheet.finalised_by = None
    if target == DRAFT:
        sheet.self_submitted_at = sheet.self_submitted_by = None
        sheet.reviewed_at = sheet.reviewed_by = None
    _audit("score_sheet.reopen", sheet, f"重新打开{sheet.assessee_name}{sheet.year}年度评分表：{reason}",
           before={"status": before}, after={"status": target, "reason": reason}, actor=actor, city=True)
    return sheet


def review_visible(sheet: ScoreSheet, *, city: bool) -> bool:
    """Whether the viewer may see the review (reviewer scores and comments, ballot,
    adjustments, composite and grade): the city always, the bureau once final."""
    return city or sheet.status == FINAL


# ----------------------------------------------------------------------------- figures
def metrics(year: int) -> dict[str, Any]:
    """The current bureau's score figures of ``year``, for the city's roll-up and the reports.

    Returns ``{"year", "status", "template_edition", "indicators", "self_total",
    "self_complete", "reviewer_total", "reviewer_complete", "final", "composite",
    "grade", "grade_by_score", "vetoed", "progress", "dimensions"}`` for the bureau's own
    sheet (``status`` ``None`` when not started).

    A figure is given only when it is complete (``engine.completeness``), else ``None``:

    * ``self_total`` = Σ self indicator scores once every indicator has a self entry
      (a deduction item counts once its occurrences, or "none", were entered);
      ``reviewer_total`` likewise for the reviewer (never before the bureau submits);
    * ``composite`` = Σ weight × part score + min(Σ bonus, bonus_cap) − Σ deductions,
      floored at 0, and ``grade`` after gates and vetoes (``engine.evaluate``): only once
      the sheet is final;
    * ``progress``: ``{"self": {"scored", "total"}, "reviewer": {...} | None}`` — how far
      each part is, which the pages show instead of a missing figure ("评分中 12/20",
      ``app.scoring.progress``);
    * ``dimensions``: per dimension ``{code, title, max_points, count, self,
      self_scored, reviewer, reviewer_scored}``, a subtotal only when every indicator of
      the dimension has an entry of that part.

    Figures are ``Decimal`` rounded to 0.01 half-up.  The roll-up is city-side, so the
    reviewer's figures are included whatever the status.
    """
    sheet = find_sheet(year)
    empty = {"year": year, "status": None, "template_edition": None, "indicators": None, "self_total": None,
             "self_complete": False, "reviewer_total": None, "reviewer_complete": False, "final": False,
             "composite": None, "grade": None, "grade_by_score": None, "vetoed": False,
             "progress": {"self": None, "reviewer": None}, "dimensions": []}
    if sheet is None:
        return empty
    progress = sheet_completeness(sheet)  # the one definition of "complete"
    own = progress.self
    reviewer = None if sheet.status == DRAFT else progress.reviewer or running(sheet, "reviewer")
    figures = dict(empty, status=sheet.status, template_edition=sheet.template_edition, indicators=own.count,
                   self_complete=progress.self_complete, final=progress.final,
                   self_total=engine.round_figure(own.total) if progress.self_complete else None,
                   progress={"self": {"scored": own.scored, "total": own.count},
                             "reviewer": None if reviewer is None else {"scored": reviewer.scored,
                                                                        "total": reviewer.count}})
    figures["dimensions"] = _dimension_figures(sheet, own, reviewer)
    if reviewer is not None:
        figures.update(reviewer_complete=reviewer.complete,
                       reviewer_total=engine.round_figure(reviewer.total) if reviewer.complete else None)
    if progress.composite_complete:
        result, _problems = evaluate_sheet(sheet)
        if result is not None:
            figures.update(composite=result.composite_rounded, grade=result.grade,
                           grade_by_score=result.grade_by_score, vetoed=bool(result.vetoes))
    return figures


def _dimension_figures(sheet: ScoreSheet, own: engine.PartScore, reviewer: engine.PartScore | None) -> list[dict]:
    """Per dimension (一级指标), in template order: code, title, max points, the number of
    indicators, and per part the subtotal (only when every indicator of the dimension
    has an entry) and how many have one (for the city's side-by-side comparison)."""
    own_by_code = dict(own.dimensions)
    reviewer_by_code = dict(reviewer.dimensions) if reviewer is not None else {}
    figures = []
    for dimension in sheet.template_body.get("dimensions", []):
        code = dimension["code"]
        maximum = sum((Decimal(str(i["max_points"])) for i in dimension.get("indicators", [])), Decimal(0))
        self_scored, count = own.dimension_counts(code)
        item = {"code": code, "title": dimension.get("title", code), "max_points": engine.round_figure(maximum),
                "count": count, "self_scored": self_scored,
                "self": engine.round_figure(own_by_code[code]) if own.dimension_complete(code) else None,
                "reviewer_scored": None, "reviewer": None}
        if reviewer is not None:
            item["reviewer_scored"] = reviewer.dimension_counts(code)[0]
            if reviewer.dimension_complete(code):
                item["reviewer"] = engine.round_figure(reviewer_by_code[code])
        figures.append(item)
    return figures


def sheet_overview(tenant_id: int) -> list[dict[str, Any]]:
    """The years a bureau has a sheet or an assigned edition for: ``{year, sheet,
    assigned}``, the latest year first."""
    sheets = {sheet.year: sheet for sheet in list_sheets() if sheet.assessee_key == BUREAU_ASSESSEE}
    assigned = assigned_years(tenant_id)
    return [{"year": year, "sheet": sheets.get(year), "assigned": assigned.get(year)}
            for year in sorted(set(sheets) | set(assigned), reverse=True)]


_DECIMAL_TEXT = re.compile(r"^\d{1,5}(\.\d{1,2})?$")


def parse_points(text: str | None) -> Decimal | None:
    """A score typed in a form: up to 5 digits and 2 decimals; ``None`` when empty.
    Raises ``ValueError`` otherwise (no floats, no exponents, no NaN)."""
    text = (text or "").strip()
    if not text:
        return None
    if not _DECIMAL_TEXT.match(text):
        raise ValueError(text)
    return Decimal(text)
