"""The city's score-sheet templates: drafts, imports, publishing, editions and their
assignment to bureaus (catalog; city administrators)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.audit.services import record_city
from app.errors import Conflict, ValidationError, check_version
from app.extensions import db
from app.core.actor import Actor
from app.core.loading import load
from app.core.unit_of_work import writes
from app.models import utcnow
from app.tenancy.models import Tenant
from app.years.services import MAX_YEAR, MIN_YEAR

from .. import engine
from ..engine import Problem, ScoringError
from ..errors import TemplateInvalid
from ..models import ScoreTemplate, TemplateAssignment

from .common import (_name, _require_city_admin, _template_name, blank_body, example_body, plain, strip_controls,
                     template_problems)


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
    return load(ScoreTemplate, template_id, _("No such score-sheet template."))


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
    from .. import xlsx

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
    return Problem(problem.path, engine.bi(f"{engine.in_language(problem.message, 'zh')}（{sheet} 第 {row} 行）",
                                           f"{engine.in_language(problem.message, 'en')} (sheet {sheet}, row {row})"))


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
