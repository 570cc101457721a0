"""A bureau's score sheet: started from its assigned edition, self-assessed and submitted;
reviewed, balloted, adjusted, finalised and reopened by the city's assessor."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.audit.services import record_bureau, record_city
from app.duties import services as duties
from app.evidence.models import Attachment
from app.errors import Conflict, NotFound, ValidationError, check_version
from app.extensions import db
from app.core.actor import Actor
from app.core.unit_of_work import writes
from app.models import utcnow
from app.tenancy.session import current_slug
from app.notifications import services as notifications
from app.years.services import ensure_open

from .. import engine
from ..engine import PartScore, Problem, Result, ScoringError
from ..models import (BUREAU_ASSESSEE, DRAFT, FINAL, REVIEWED, SELF_SUBMITTED, Adjustment, Ballot, ScoreEntry,
                    ScoreSheet)

from .common import (DOCUMENT_MAX, EVIDENCE_CHOICES_LIMIT, MAX_STORED_POINTS, MAX_VOTES, NOTE_MAX, REASON_MAX,
                     REVIEW_STATUSES, _dec, _is_number, _name, _require_bureau, _require_city_admin, indicators_of, problem_text, say)
from .templates import _plausible_year, assigned_template


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
        grouped.setdefault(code, []).append(say(problem.message))
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
                Problem(engine.problem_path(part, code), engine.bi("未评分", "not scored")) for code in score.unscored]
    return problems


def check_inputs(sheet: ScoreSheet, part: str, inputs: Mapping[str, EntryInput]) -> dict[str, list[str]]:
    """What the engine finds wrong with ``inputs`` by indicator code, without saving:
    a form with a typing mistake on one indicator still marks every other mistake."""
    return _check_inputs(sheet, part, inputs)


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


@dataclass(frozen=True)
class EvidenceOption:
    """An attachment as the evidence picker shows it: three files all named
    2026-01-09学习记录.pdf differ by the record's date, the duty item and the size."""

    id: int
    name: str
    day: str
    item: str
    size: str


def _size_text(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(size, 1) / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def evidence_options(attachments: Iterable[Attachment]) -> dict[int, EvidenceOption]:
    """:class:`EvidenceOption` of each attachment, by id (records and items loaded in two
    queries, not one per file)."""
    attachments = list(attachments)
    if not attachments:
        return {}
    # The record's duty item is reached through the record's own relationship: scoring
    # names no duties model.
    record_item = Attachment.record.property.mapper.attrs["item"].class_attribute
    loaded = {a.id: a for a in db.session.scalars(
        select(Attachment).where(Attachment.id.in_([a.id for a in attachments]))
        .options(selectinload(Attachment.record).selectinload(record_item)))}
    options = {}
    for attachment in attachments:
        record = loaded.get(attachment.id, attachment).record
        item = record.item if record is not None else None
        owner = item.owner.name if item is not None and item.owner is not None else ""
        text = item.content if item is not None else ""
        text = text if len(text) <= 30 else text[:29] + "…"
        options[attachment.id] = EvidenceOption(
            id=attachment.id, name=attachment.original_name,
            day=record.occurred_on.isoformat() if record is not None else "",
            item=f"{owner} · {text}" if owner else text, size=_size_text(attachment.size))
    return options


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
    return _save_part(sheet, "self", inputs, note=summary, note_field="summary", note_attr="self_summary",
                      refused=_("The score sheet could not be saved: check the marked indicators."),
                      action="score_sheet.self_save", summary=lambda n: f"保存{sheet.year}年度自评（{n} 项）",
                      actor=actor)


def _save_part(sheet: ScoreSheet, part: str, inputs: Mapping[str, EntryInput], *, note: str | None,
               note_field: str, note_attr: str, refused: str, action: str, summary, actor: Actor | None,
               city: bool = False) -> ScoreSheet:
    """Check and store one side's entries and its overall note (all errors at once, by
    field), and audit what changed."""
    errors = _check_inputs(sheet, part, inputs)
    if note is not None and len(note) > NOTE_MAX:
        errors.setdefault(note_field, []).append(_("At most %(n)s characters.", n=NOTE_MAX))
    if errors:
        raise ValidationError(refused, errors)
    before, after = _apply(sheet, part, inputs)
    if note is not None and note.strip() != getattr(sheet, note_attr):
        before[note_field], after[note_field] = getattr(sheet, note_attr), note.strip()
        setattr(sheet, note_attr, note.strip())
    if after:
        _touch(sheet)
        _audit(action, sheet, summary(len(after)), before=before, after=after, actor=actor, city=city)
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
    return _save_part(sheet, "reviewer", inputs, note=comment, note_field="comment", note_attr="reviewer_comment",
                      refused=_("The review could not be saved: check the marked indicators."),
                      action="score_sheet.review_save",
                      summary=lambda n: f"{sheet.assessee_name}{sheet.year}年度考核组评分（{n} 项）", actor=actor,
                      city=True)


def ballot_levels(sheet: ScoreSheet) -> list[str]:
    """The ballot level labels of the sheet's template, best first."""
    return [level["label"] for level in sheet.template_body.get("ballot_levels") or []]


def check_ballot(sheet: ScoreSheet, counts: Mapping[str, int], *, eligible: int | None = None,
                 present: int | None = None, note: str = "") -> dict[str, list[str]]:
    """What :func:`save_ballot` would refuse, by field (a level's label, ``eligible``,
    ``present``, ``note``), without saving: a form refused for one field marks the rest."""
    labels = ballot_levels(sheet)
    errors: dict[str, list[str]] = {}
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
    return errors


@writes
def save_ballot(sheet: ScoreSheet, counts: Mapping[str, int], *, eligible: int | None = None,
                present: int | None = None, held_on=None, note: str = "", version: object,
                actor: Actor | None = None) -> Ballot:
    """Record the democratic rating (民主测评): votes per ballot level."""
    _require_city_admin(actor)
    _review_write(sheet, version)
    labels = ballot_levels(sheet)
    if not labels:
        raise Conflict(_("This sheet's template has no ballot levels."))
    errors = check_ballot(sheet, counts, eligible=eligible, present=present, note=note)
    if errors:
        raise ValidationError(_("The ballot could not be saved."), errors)
    total = sum(votes for label, votes in counts.items() if label in labels and isinstance(votes, int))
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
    errors, rule, rule_title, points, reason, document = _adjustment_check(sheet, kind, rule, points, reason,
                                                                          document)
    if errors:
        raise ValidationError(_("The adjustment could not be added."), errors)
    adjustment = Adjustment(kind=kind, rule=rule, rule_title=rule_title, points=points, reason=reason,
                            document=document, created_by=_name(actor))
    return _add_adjustment(sheet, adjustment, kind, reason, actor)


def check_adjustment(sheet: ScoreSheet, *, kind: str, rule: str | None, points: Decimal | None, reason: str,
                     document: str = "") -> dict[str, list[str]]:
    """What :func:`add_adjustment` would refuse, by field, without adding anything: a
    form refused for one field still marks the others."""
    return _adjustment_check(sheet, kind, rule, points, reason, document)[0]


def _adjustment_check(sheet: ScoreSheet, kind: str, rule: str | None, points: Decimal | None, reason: str,
                      document: str) -> tuple[dict[str, list[str]], str | None, str | None, Decimal | None, str, str]:
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
                errors.setdefault(key if key in ("rule", "points", "kind") else "rule", []).append(say(problem.message))
    return errors, rule, rule_title, points, reason, document


def _add_adjustment(sheet: ScoreSheet, adjustment: Adjustment, kind: str, reason: str,
                    actor: Actor | None) -> Adjustment:
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
        shown = [problem_text(problem) for problem in problems[:10]]
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
    sheet.reviewed_at, sheet.reviewed_by = utcnow(), _name(actor)
    return _conclude(sheet, result, REVIEWED, "score_sheet.review_complete", "考核评分完成", actor)


def _conclude(sheet: ScoreSheet, result: Result, status: str, action: str, what: str,
              actor: Actor | None) -> ScoreSheet:
    """Move ``sheet`` to ``status`` on its computed ``result`` and audit it (both sides)."""
    before = sheet.status
    sheet.status = status
    _audit(action, sheet,
           f"{sheet.assessee_name}{sheet.year}年度{what}：综合得分 {result.composite_rounded}，等次 {result.grade}",
           before={"status": before}, after=_result_summary(result, status), actor=actor, city=True)
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
    sheet.finalised_at, sheet.finalised_by = utcnow(), _name(actor)
    return _conclude(sheet, result, FINAL, "score_sheet.finalise", "考核结果确定", actor)


@writes
def complete_and_finalise(sheet: ScoreSheet, *, version: object, actor: Actor | None = None) -> ScoreSheet:
    """The review page's one way to the end: complete the review (when not done yet) and
    finalise, in one unit of work: either the sheet is final or nothing changed.  Both
    steps are audited as they always are."""
    _require_city_admin(actor)
    _require_status(sheet, (SELF_SUBMITTED, REVIEWED), _("Only a submitted or reviewed sheet can be finalised."))
    if sheet.status == SELF_SUBMITTED:
        complete_review(sheet, version=version, actor=actor)
        db.session.flush()
        version = sheet.version
    return finalise(sheet, version=version, actor=actor)


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
    if target == DRAFT:
        notifications.notify(notifications.bureau_role(current_slug(), "bureau_admin", "bureau_editor"),
                             "sheet_returned", _("The city returned the %(year)s score sheet: %(reason)s",
                                                 year=sheet.year, reason=reason),
                             f"/b/{current_slug()}/scoring/", actor=actor)
    return sheet


def review_visible(sheet: ScoreSheet, *, city: bool) -> bool:
    """Whether the viewer may see the review (reviewer scores and comments, ballot,
    adjustments, composite and grade): the city always, the bureau once final."""
    return city or sheet.status == FINAL
