"""Rules of supervision findings (督查整改): recording, the rectification workflow,
progress notes with evidence, the three lists, and the bureau's figures.

Every function works on the current bureau's session: a ``/b/<slug>/`` request, or
``tenant_context(tenant)`` for the city's pages, the CLI and the demo.  Changes check
permissions (:class:`Actor` and :mod:`app.findings.status`), the optimistic-locking
version, the city's year lock (:func:`app.years.services.ensure_open` on the finding's
year), write a history event (:class:`FindingEvent`) and an audit event with before and
after in the same transaction — and, for the city's actions, a catalog audit event too —
and commit.  Findings the city raised are mirrored into the catalog register
(:class:`CityFinding`) in the same commit.
"""
from __future__ import annotations

import hashlib
import io
import re
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Iterable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from app.audit.services import changes, record_bureau, record_city
from app.duties import labels as duty_labels
from app.duties import services as duties
from app.deadlines import services as deadlines
from app.notifications import services as notifications
from app.deadlines import status as warnings
from app.evidence.models import Attachment
from app.evidence.services import Upload, ensure_stored, prepare_uploads, release_blobs
from app.evidence.storage import PreparedUpload, blob_store, prepare_upload
from app.people.models import Person
from app.text import parse_date
from app.errors import Conflict, Locked, NotFound, PermissionDenied, ValidationError, check_version
from app.extensions import db
from app.core.actor import Actor, require
from app.core.loading import load
from app.core.unit_of_work import after_commit, after_rollback, writes
from app.models import utcnow
from app.tenancy.models import Tenant
from app.tenancy.session import current_slug
from app.notifications import services as notifications
from app.years.services import ensure_open
from app.core.clock import today

from . import status as rules
from .labels import AREAS, SEVERITIES, SOURCES, STATUS_LABELS, label
from .models import CityFinding, Finding, FindingEvent, FindingEvidence, FindingNote

__all__ = ["Filters", "FindingRow", "Upload", "metrics"]

TEXT_MAX = 4000
NOTE_MAX = 2000
BATCH_MAX = 200
MAX_FILES_PER_NOTE = 5
YEAR_MIN, YEAR_MAX = 2000, 2100
#: Fields of the finding itself (set by whoever raised it).
DETAIL_FIELDS = ("source", "batch", "batch_date", "description", "area", "severity", "found_on", "due_on")
#: Fields of the rectification plan (set by the bureau).
PLAN_FIELDS = ("person_id", "duty_item_id", "measures")


# -- who may do what ----------------------------------------------------------------
def who(actor: Actor, finding: Finding | None = None) -> rules.Who:
    """``actor`` as :mod:`status` sees them for ``finding`` (responsible: the finding's
    person is linked to the actor's account)."""
    responsible = bool(finding is not None and finding.person is not None and actor.id is not None
                       and finding.person.user_id == actor.id)
    return rules.Who(side=actor.side, role=actor.role, responsible=responsible)


def may_raise(actor: Actor) -> bool:
    """Bureau administrators record their bureau's findings; city administrators record
    the city's findings (on the city's pages)."""
    return actor.is_bureau_admin or actor.is_city_admin


def may_edit_details(finding: Finding, actor: Actor) -> bool:
    """The description, source, batch and dates belong to whoever raised the finding."""
    if finding.status == rules.CLOSED:
        return False
    return actor.is_city_admin if finding.raised_by_city else actor.is_bureau_admin


def may_edit_plan(finding: Finding, actor: Actor) -> bool:
    """The bureau plans the rectification: its administrators (person, duty item and
    measures) and the responsible person (measures), while the finding is open or being
    rectified."""
    return rules.can_work_on(finding.status, who(actor, finding))


def may_delete(finding: Finding, actor: Actor) -> bool:
    """A finding recorded by mistake can be deleted by whoever raised it while it is
    still open and has no progress notes."""
    return (finding.status == rules.OPEN and may_edit_details(finding, actor)
            and not db.session.scalar(select(func.count(FindingNote.id)).where(FindingNote.finding_id == finding.id)))


def reopen_roles() -> tuple[str, ...]:
    """Who may reopen a closed finding (``FINDINGS_REOPEN_ROLES``, comma-separated)."""
    configured = current_app.config.get("FINDINGS_REOPEN_ROLES", rules.DEFAULT_REOPEN_ROLES)
    if isinstance(configured, str):
        configured = [part.strip() for part in configured.split(",")]
    return tuple(r for r in configured if r)


def submitter(finding: Finding) -> FindingEvent | None:
    """The step that last submitted ``finding`` for verification (``None`` if never)."""
    return db.session.scalar(select(FindingEvent).where(FindingEvent.finding_id == finding.id,
                                                        FindingEvent.action == rules.SUBMIT)
                             .order_by(FindingEvent.at.desc(), FindingEvent.id.desc()).limit(1))


def submitted_by_actor(finding: Finding, actor: Actor) -> bool:
    """Whether ``actor`` is the one who submitted the rectification now awaiting
    verification: they may not verify and close their own work (four eyes)."""
    if finding.status != rules.AWAITING or actor.id is None:
        return False
    event = submitter(finding)
    return event is not None and event.actor_id == actor.id


def actions_for(finding: Finding, actor: Actor) -> list[str]:
    """The workflow actions ``actor`` can take on ``finding`` now."""
    actions = rules.available(finding.status, who(actor, finding), raised_by_city=finding.raised_by_city,
                              reopen_roles=reopen_roles())
    if rules.CLOSE in actions and submitted_by_actor(finding, actor):
        actions.remove(rules.CLOSE)
    return actions


# -- small helpers ---------------------------------------------------------------------
def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def short(text: str, limit: int = 40) -> str:
    """The first ``limit`` characters of ``text`` on one line (summaries, titles)."""
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_id(value: Any) -> int | None:
    """A positive row id from a form value, ``None`` when blank; raises ``ValueError``."""
    if value is None or (isinstance(value, str) and not value.strip()) or value == 0:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    number = int(str(value).strip())
    if not 0 < number < 2 ** 62:
        raise ValueError(value)
    return number


# -- reading ---------------------------------------------------------------------------
def get_finding(finding_id: int) -> Finding:
    """The finding with this id in the current bureau (:class:`NotFound` otherwise)."""
    return load(Finding, finding_id, _("No such finding."))


def get_evidence(evidence_id: int) -> FindingEvidence:
    """An evidence file of a finding (:class:`NotFound` otherwise)."""
    return load(FindingEvidence, evidence_id, _("No such file."))


def people(*, include: int | None = None) -> list[Person]:
    """Active people of the bureau (plus ``include``, the current one, even if inactive)."""
    query = select(Person).order_by(Person.sort_order, Person.id)
    if include is not None:
        query = query.where(or_(Person.active.is_(True), Person.id == include))
    else:
        query = query.where(Person.active.is_(True))
    return list(db.session.scalars(query))


def duty_items(*, include: int | None = None) -> list:
    """Items of the bureau's lists that are not archived (plus ``include``), newest year first."""
    return duties.open_items(include=include)


def duty_item_label(item) -> str:
    """How a duty item is named in choices and the ledger: "2026 · content"."""
    return f"{item.duty_list.year} · {short(item.content, 60)}"


@dataclass(frozen=True)
class ItemChoice:
    """One duty item as the picker offers it: the number the list page shows it under
    (category · position), its owner and its content."""

    id: int
    code: str
    owner: str
    text: str

    @property
    def label(self) -> str:
        return f"{self.code} · {self.owner} · {self.text}"


def duty_item_groups(*, include: int | None = None) -> list[tuple[str, list[ItemChoice]]]:
    """The items a finding may be linked to, grouped by year and category as the list
    page shows them ("2026 · 班子成员“一岗双责”"), each with its number in the category,
    its owner and its content: the 4–5 copies of an 一岗双责 item differ by their owner."""
    categories = list(duty_labels.CATEGORIES)
    groups: dict[tuple[int, int], list] = {}
    for item in duties.open_items(include=include):
        rank = categories.index(item.category) if item.category in categories else len(categories)
        groups.setdefault((item.duty_list.year, rank), []).append(item)
    result = []
    for (year, rank), items in sorted(groups.items(), key=lambda pair: (-pair[0][0], pair[0][1])):
        items.sort(key=lambda i: (i.sort_order, i.id))
        category = str(duty_labels.CATEGORIES[categories[rank]]) if rank < len(categories) else ""
        result.append((f"{year} · {category}", [
            ItemChoice(item.id, f"{rank + 1}.{number}", item.owner.name if item.owner else _("no owner"),
                       short(item.content, 48))
            for number, item in enumerate(items, start=1)]))
    return result


def batches() -> list[str]:
    """The inspection batches of the bureau's findings, most recent first."""
    rows = db.session.execute(
        select(Finding.batch, func.max(Finding.found_on)).where(Finding.batch != "")
        .group_by(Finding.batch).order_by(func.max(Finding.found_on).desc(), Finding.batch))
    return [batch for batch, _last in rows]


def years() -> list[int]:
    """The years that have findings, most recent first."""
    return list(db.session.scalars(select(Finding.year).distinct().order_by(Finding.year.desc())))


def history(finding: Finding) -> list[FindingEvent]:
    """The finding's steps, oldest first."""
    return list(db.session.scalars(select(FindingEvent).where(FindingEvent.finding_id == finding.id)
                                   .order_by(FindingEvent.at, FindingEvent.id)))


def evidence_count(finding: Finding) -> int:
    """Evidence files recorded for the finding."""
    return db.session.scalar(select(func.count(FindingEvidence.id))
                             .where(FindingEvidence.finding_id == finding.id)) or 0


def linkable_attachments(finding: Finding) -> list[Attachment]:
    """Evidence of the related duty item's records, which a progress note may link to."""
    if finding.duty_item_id is None:
        return []
    return duties.item_attachments(finding.duty_item_id, limit=50)


# -- snapshots and history ------------------------------------------------------------
def snapshot(finding: Finding) -> dict:
    """The finding's fields as the audit trail stores them."""
    return {"year": finding.year, "source": finding.source, "batch": finding.batch,
            "batch_date": finding.batch_date, "description": finding.description, "area": finding.area,
            "severity": finding.severity, "person_id": finding.person_id,
            "person": finding.person.name if finding.person else None, "duty_item_id": finding.duty_item_id,
            "found_on": finding.found_on, "due_on": finding.due_on, "measures": finding.measures,
            "status": finding.status, "raised_by_city": finding.raised_by_city,
            "submitted_on": finding.submitted_on, "closed_on": finding.closed_on,
            "verification_note": finding.verification_note, "verified_by": finding.verified_by_name}


def _event(finding: Finding, action: str, actor: Actor, *, note: str = "", from_status: str | None = None,
           to_status: str | None = None) -> FindingEvent:
    event = FindingEvent(finding=finding, actor_id=actor.id, actor_name=actor.display_name[:60] or actor.username,
                         side=actor.side if actor.id is not None else "system", action=action,
                         from_status=from_status, to_status=to_status, note=note, at=utcnow())
    db.session.add(event)
    return event


def _audit(action: str, finding: Finding, actor: Actor, summary: str, *, before: dict | None = None,
           after: dict | None = None) -> None:
    """Audit in the bureau; a city action is recorded in the catalog as well."""
    audit_actor = actor if actor.id is not None else None
    record_bureau(action, "finding", finding.id, summary=summary, before=before, after=after, actor=audit_actor)
    if actor.side == rules.CITY:
        record_city(action, "finding", finding.id, summary=summary, before=before, after=after,
                    tenant_slug=current_slug(), actor=audit_actor)


def sync_register(finding: Finding, *, deleted: bool = False) -> None:
    """Keep the city's register entry of a city-raised finding in step (same commit)."""
    if not finding.raised_by_city:
        return
    slug = current_slug()
    tenant_id = db.session.scalar(select(Tenant.id).where(Tenant.slug == slug))
    if tenant_id is None:  # pragma: no cover - the bureau exists while we serve it
        return
    entry = db.session.scalar(select(CityFinding).where(CityFinding.tenant_id == tenant_id,
                                                        CityFinding.finding_id == finding.id))
    if deleted:
        if entry is not None:
            db.session.delete(entry)
        return
    if entry is None:
        entry = CityFinding(tenant_id=tenant_id, finding_id=finding.id)
        db.session.add(entry)
    entry.year = finding.year
    entry.source = finding.source
    entry.batch = finding.batch
    entry.summary = short(finding.description, 200)
    entry.status = finding.status
    entry.found_on = finding.found_on
    entry.due_on = finding.due_on
    entry.submitted_on = finding.submitted_on
    entry.closed_on = finding.closed_on
    entry.updated_at = utcnow()


# -- validation -------------------------------------------------------------------------
def _clean_details(data: dict) -> tuple[dict, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    source = _text(data.get("source"))
    if source not in SOURCES:
        errors["source"] = [_("Choose a source from the list.")]
    clean["source"] = source
    batch = _text(data.get("batch"))
    if len(batch) > BATCH_MAX:
        errors["batch"] = [_("At most %(n)s characters.", n=BATCH_MAX)]
    clean["batch"] = batch[:BATCH_MAX]
    for name, required in (("batch_date", False), ("found_on", True), ("due_on", True)):
        try:
            clean[name] = parse_date(data.get(name))
        except (TypeError, ValueError, OverflowError):
            clean[name] = None
            errors[name] = [_("Enter a date such as %(example)s.", example="2026-06-30")]
            continue
        if required and clean[name] is None:
            errors[name] = [_("Enter the date found.") if name == "found_on" else _("Enter the deadline.")]
    if clean["found_on"] and clean["due_on"] and clean["due_on"] < clean["found_on"]:
        errors.setdefault("due_on", []).append(_("The deadline cannot be before the date found."))
    description = _text(data.get("description"))
    if not description:
        errors["description"] = [_("Describe the problem.")]
    elif len(description) > TEXT_MAX:
        errors["description"] = [_("At most %(n)s characters.", n=TEXT_MAX)]
    clean["description"] = description
    area = _text(data.get("area"))
    if area and area not in AREAS:
        errors["area"] = [_("Choose an area from the list.")]
    clean["area"] = area
    severity = _text(data.get("severity")) or "general"
    if severity not in SEVERITIES:
        errors["severity"] = [_("Choose a severity from the list.")]
    clean["severity"] = severity
    return clean, errors


def _clean_plan(data: dict, *, current: Finding | None = None) -> tuple[dict, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    try:
        person_id = parse_id(data.get("person_id"))
    except (TypeError, ValueError):
        person_id, errors["person_id"] = None, [_("Choose a person from the list.")]
    if person_id is not None:
        person = db.session.get(Person, person_id)
        if person is None or (not person.active and (current is None or current.person_id != person_id)):
            errors["person_id"] = [_("Choose a person from the list.")]
    clean["person_id"] = person_id
    try:
        item_id = parse_id(data.get("duty_item_id"))
    except (TypeError, ValueError):
        item_id, errors["duty_item_id"] = None, [_("Choose a duty item from the list.")]
    if item_id is not None and duties.find_item(item_id) is None:
        errors["duty_item_id"] = [_("Choose a duty item from the list.")]
    clean["duty_item_id"] = item_id
    measures = _text(data.get("measures"))
    if len(measures) > TEXT_MAX:
        errors["measures"] = [_("At most %(n)s characters.", n=TEXT_MAX)]
    clean["measures"] = measures
    return clean, errors


def validate(data: dict) -> tuple[dict, dict[str, list[str]]]:
    """Check a new finding's values (details and plan); returns (clean values, errors).

    Used by the forms and, row by row, by the Excel import.  The year lock is checked too.
    """
    clean, errors = _clean_details(data)
    plan, plan_errors = _clean_plan(data)
    clean.update(plan)
    errors.update(plan_errors)
    if clean.get("found_on") and "found_on" not in errors:
        try:
            ensure_open(clean["found_on"].year)
        except Locked as error:  # shown on the field, like any other rule
            errors["found_on"] = [error.message]
    return clean, errors


# -- recording -------------------------------------------------------------------------
def _new_finding(clean: dict, actor: Actor, *, raised_by_city: bool) -> Finding:
    finding = Finding(year=clean["found_on"].year, status=rules.OPEN, raised_by_city=raised_by_city,
                      raised_by_id=actor.id, raised_by_name=actor.display_name[:60], **clean)
    db.session.add(finding)
    db.session.flush()
    return finding


@writes
def create_finding(data: dict, *, actor: Actor) -> Finding:
    """Record a finding.  A city administrator (``actor.side == "city"``) raises a city
    finding in the current bureau; a bureau administrator raises the bureau's own."""
    require(may_raise(actor))
    clean, errors = validate(data)
    if errors:
        raise ValidationError(_("The finding could not be saved."), errors)
    ensure_open(clean["found_on"].year)
    finding = _new_finding(clean, actor, raised_by_city=actor.side == rules.CITY)
    _event(finding, "create", actor, to_status=rules.OPEN)
    _audit("finding.create", finding, actor, f"记录督查问题：{short(finding.description)}", after=snapshot(finding))
    sync_register(finding)
    if actor.side == rules.CITY:
        notifications.notify(notifications.bureau_role(current_slug(), "bureau_admin", "bureau_editor"),
                             "finding_raised", _("The city raised a finding: %(text)s (deadline %(date)s)",
                                                 text=short(finding.description, 60), date=finding.due_on.isoformat()),
                             f"/b/{current_slug()}/findings/{finding.id}", actor=actor)
    return finding


@writes
def create_many(rows: list[dict], *, actor: Actor) -> list[Finding]:
    """Record already validated findings in one transaction (the Excel import)."""
    require(may_raise(actor))
    findings = []
    for clean in rows:
        ensure_open(clean["found_on"].year)
        finding = _new_finding(clean, actor, raised_by_city=actor.side == rules.CITY)
        _event(finding, "import", actor, to_status=rules.OPEN)
        sync_register(finding)
        findings.append(finding)
    if findings:
        record_bureau("finding.import", "finding", None, summary=f"导入督查问题 {len(findings)} 条",
                      after={"ids": [f.id for f in findings]}, actor=actor if actor.id is not None else None)
        if actor.side == rules.CITY:
            record_city("finding.import", "finding", None, summary=f"导入督查问题 {len(findings)} 条",
                        after={"ids": [f.id for f in findings]}, tenant_slug=current_slug(), actor=actor)
    return findings


def _changed_labels(keys: Iterable[str]) -> str:
    names = {"source": _("Finding source"), "batch": _("Inspection batch"), "batch_date": _("Inspection date"),
             "description": _("Problem description"), "area": _("Problem area"), "severity": _("Severity"),
             "found_on": _("Date found"), "due_on": _("Rectification deadline"), "person_id": _("Responsible person"),
             "duty_item_id": _("Related duty item"), "measures": _("Rectification measures")}
    return "、".join(names.get(k, k) for k in keys)


@writes
def update_details(finding: Finding, data: dict, *, version: Any, actor: Actor) -> Finding:
    """Change the finding's own fields (whoever raised it; not once closed)."""
    require(may_edit_details(finding, actor))
    check_version(finding, version)
    ensure_open(finding.year)
    clean, errors = _clean_details(data)
    if not errors and clean["found_on"].year != finding.year:
        try:
            ensure_open(clean["found_on"].year)
        except Locked as error:
            errors["found_on"] = [error.message]
    if errors:
        raise ValidationError(_("The finding could not be saved."), errors)
    before = snapshot(finding)
    for key, value in clean.items():
        setattr(finding, key, value)
    finding.year = finding.found_on.year
    old, new = changes(before, snapshot(finding))
    if new:
        _event(finding, "update", actor, note=_changed_labels(k for k in new if k != "year"))
        _audit("finding.update", finding, actor, f"修改督查问题：{short(finding.description)}", before=old, after=new)
        sync_register(finding)
    return finding


@writes
def update_plan(finding: Finding, data: dict, *, version: Any, actor: Actor) -> Finding:
    """Change the responsible person, the related duty item (bureau administrators) or
    the measures (administrators and the responsible person)."""
    require(may_edit_plan(finding, actor))
    check_version(finding, version)
    ensure_open(finding.year)
    if not actor.is_bureau_admin:
        # The responsible person writes the measures; only administrators reassign.
        data = {**data, "person_id": finding.person_id, "duty_item_id": finding.duty_item_id}
    clean, errors = _clean_plan(data, current=finding)
    if errors:
        raise ValidationError(_("The finding could not be saved."), errors)
    before = snapshot(finding)
    for key, value in clean.items():
        setattr(finding, key, value)
    db.session.flush()
    db.session.expire(finding, ["person", "duty_item"])
    old, new = changes(before, snapshot(finding))
    if new:
        _event(finding, "plan", actor, note=_changed_labels(k for k in new if k != "person"))
        _audit("finding.plan", finding, actor, f"修改整改责任人或措施：{short(finding.description)}",
               before=old, after=new)
    return finding


@writes
def transition(finding: Finding, action: str, *, note: str = "", version: Any, actor: Actor,
               on: date | None = None) -> Finding:
    """Move the finding one step (start, submit, return, close, reopen).

    ``note`` is the verification note or the reason (required to return, close and
    reopen).  Submitting needs measures and at least one evidence file.  ``on`` is the
    day it happens (default today; tests and the demo pass their own).
    """
    check_version(finding, version)
    try:
        destination = rules.check(action, finding.status, who(actor, finding),
                                  raised_by_city=finding.raised_by_city, reopen_roles=reopen_roles())
    except rules.TransitionRefused as refused:
        if refused.reason == "state":
            raise Conflict(_("This finding is now “%(status)s”; the page was out of date. Check it and try again.",
                             status=label(STATUS_LABELS, finding.status))) from None
        if finding.raised_by_city and action in (rules.CLOSE, rules.RETURN) and actor.side == rules.BUREAU:
            raise PermissionDenied(_("This finding was raised by the city committee: only the city can verify "
                                     "and close it.")) from None
        raise PermissionDenied(_("You may not change this.")) from None
    if action == rules.CLOSE and submitted_by_actor(finding, actor):
        raise PermissionDenied(_("You submitted this rectification yourself: another administrator must verify "
                                 "and close it."))
    ensure_open(finding.year)
    note = _text(note)
    errors: dict[str, list[str]] = {}
    if action in rules.NOTE_REQUIRED and not note:
        errors["note"] = [_("Write the verification note.") if action == rules.CLOSE else _("Give the reason.")]
    if len(note) > NOTE_MAX:
        errors["note"] = [_("At most %(n)s characters.", n=NOTE_MAX)]
    if action == rules.SUBMIT:
        if not finding.measures.strip():
            errors["measures"] = [_("Record the rectification measures before submitting.")]
        if not evidence_count(finding):
            errors["files"] = [_("Add at least one evidence file before submitting.")]
    if errors:
        raise ValidationError(_("The finding could not be moved on."), errors)
    day = on or today()
    before = snapshot(finding)
    previous = finding.status
    finding.status = destination
    if action == rules.SUBMIT:
        finding.submitted_on = day
    elif action == rules.RETURN:
        finding.submitted_on = None
    elif action == rules.CLOSE:
        finding.closed_on = day
        finding.verification_note = note
        finding.verified_by_id = actor.id
        finding.verified_by_name = actor.display_name[:60]
        finding.verified_at = utcnow()
    elif action == rules.REOPEN:
        finding.submitted_on = None
        finding.closed_on = None
        finding.verified_at = None
    _event(finding, action, actor, note=note, from_status=previous, to_status=destination)
    old, new = changes(before, snapshot(finding))
    _audit(f"finding.{action}", finding, actor,
           f"{label(STATUS_LABELS, previous)} → {label(STATUS_LABELS, destination)}：{short(finding.description)}",
           before=old, after={**new, **({"note": note} if note else {})})
    sync_register(finding)
    return finding


@writes
def delete_finding(finding: Finding, *, version: Any, actor: Actor) -> None:
    """Delete a finding recorded by mistake (see :func:`may_delete`)."""
    require(may_delete(finding, actor))
    check_version(finding, version)
    ensure_open(finding.year)
    _audit("finding.delete", finding, actor, f"删除督查问题：{short(finding.description)}", before=snapshot(finding))
    sync_register(finding, deleted=True)
    db.session.delete(finding)


# -- progress notes and evidence -----------------------------------------------------------
def evidence_key(sha256: str) -> str:
    """The blob-store key of a finding's evidence with content digest ``sha256``.

    Derived from the digest, so identical files are stored once among findings.  (The
    key no longer protects anything by its naming: clean-up keeps every blob that a
    registered reference holds, see :mod:`app.evidence.services`.)
    """
    return hashlib.sha256(b"zeren-findings-evidence:" + sha256.encode("ascii")).hexdigest()


def store_bytes(data: bytes, name: str) -> tuple[PreparedUpload, str]:
    """Check ``data`` with the upload rules and store it as a finding's evidence (demo
    data, tests); returns the checked upload and its blob key."""
    store = blob_store()
    slug = current_slug()
    upload = prepare_upload(io.BytesIO(data), name, max(len(data), 1), store.spool_dir(slug))
    key = evidence_key(upload.sha256)
    try:
        store.put(slug, key, upload.path)
    finally:
        upload.discard()
    return upload, key


def _copy_linked(attachments: list[Attachment]) -> list[PreparedUpload]:
    """Spool copies of linked duty evidence (their bytes go under the findings' keys)."""
    store = blob_store()
    slug = current_slug()
    spool = store.spool_dir(slug)
    spool.mkdir(parents=True, exist_ok=True)
    copies = []
    try:
        for attachment in attachments:
            handle = tempfile.NamedTemporaryFile(dir=spool, prefix="link-", delete=False)
            with handle, store.open(slug, attachment.sha256) as source:
                shutil.copyfileobj(source, handle)
            copies.append(PreparedUpload(path=Path(handle.name), sha256=attachment.sha256, size=attachment.size,
                                         kind=attachment.kind, name=attachment.original_name))
    except FileNotFoundError:
        for ready in copies:
            ready.discard()
        raise ValidationError(_("The files could not be saved."),
                              {"links": [_("A linked file is missing from the store.")]}) from None
    return copies


@writes
def add_note(finding: Finding, data: dict, *, files: Iterable[Upload] = (), link_ids: Iterable[Any] = (),
             actor: Actor) -> FindingNote:
    """Record progress of the rectification with evidence files (uploaded, or linked
    from the related duty item's evidence)."""
    require(rules.can_work_on(finding.status, who(actor, finding)))
    ensure_open(finding.year)
    errors: dict[str, list[str]] = {}
    try:
        occurred = parse_date(data.get("occurred_on"))
    except (TypeError, ValueError, OverflowError):
        occurred = None
        errors["occurred_on"] = [_("Enter a date such as %(example)s.", example="2026-06-30")]
    else:
        if occurred is None:
            errors["occurred_on"] = [_("Enter the date.")]
        elif occurred > today():
            errors["occurred_on"] = [_("The date cannot be in the future.")]
    text = _text(data.get("text"))
    if not text:
        errors["text"] = [_("Describe the progress of the rectification.")]
    elif len(text) > TEXT_MAX:
        errors["text"] = [_("At most %(n)s characters.", n=TEXT_MAX)]
    allowed = {a.id: a for a in linkable_attachments(finding)}
    links: list[Attachment] = []
    for raw in link_ids or ():
        try:
            attachment = allowed.get(parse_id(raw))
        except (TypeError, ValueError):
            attachment = None
        if attachment is None:
            errors["links"] = [_("Choose files of the related duty item.")]
            break
        if attachment not in links:
            links.append(attachment)
    files = [f for f in files if f is not None and (f.filename or "").strip()]
    if len(files) + len(links) > MAX_FILES_PER_NOTE:
        errors["files"] = [_("Add at most %(n)s files to one note.", n=MAX_FILES_PER_NOTE)]
    if errors:
        raise ValidationError(_("The progress could not be saved."), errors)
    prepared = prepare_uploads(files)
    linked_at = len(prepared)
    try:
        prepared += _copy_linked(links)
    except ValidationError:
        for ready in prepared:
            ready.discard()
        raise
    store = blob_store()
    slug = current_slug()
    after_rollback(lambda: [ready.discard() for ready in prepared])
    after_commit(lambda: _store_after_commit(prepared, slug))
    note = FindingNote(finding_id=finding.id, occurred_on=occurred, text=text, author_id=actor.id,
                       author_name=actor.display_name[:60])
    db.session.add(note)
    for index, ready in enumerate(prepared):
        key = evidence_key(ready.sha256)
        store.put(slug, key, ready.path)
        note.evidence.append(FindingEvidence(
            finding_id=finding.id, sha256=ready.sha256, blob_key=key, size=ready.size, kind=ready.kind,
            original_name=ready.name, uploaded_by=actor.display_name[:60],
            attachment_id=links[index - linked_at].id if index >= linked_at else None))
    db.session.flush()
    names = [e.original_name for e in note.evidence]
    _event(finding, "note", actor, note=short(text, 200) + (f"（{'、'.join(names)}）" if names else ""))
    _audit("finding.note", finding, actor, f"记录整改进展：{short(finding.description)}",
           after={"occurred_on": occurred, "text": text, "files": names})
    # Touch the finding so that a concurrent form based on the old state is refused.
    finding.updated_at = utcnow()
    return note


@writes
def remove_evidence(evidence: FindingEvidence, *, actor: Actor) -> None:
    """Remove one evidence file (bureau workers, while the finding is open or being
    rectified); the bytes go when no registered reference (see
    :func:`app.evidence.services.release_blobs`) holds their key any more."""
    finding = get_finding(evidence.finding_id)
    require(rules.can_work_on(finding.status, who(actor, finding)))
    ensure_open(finding.year)
    key = evidence.blob_key
    _event(finding, "evidence_removed", actor, note=evidence.original_name)
    _audit("finding.evidence_delete", finding, actor, f"删除整改佐证材料“{evidence.original_name}”",
           before={"name": evidence.original_name, "sha256": evidence.sha256, "size": evidence.size})
    db.session.delete(evidence)
    finding.updated_at = utcnow()
    after_commit(lambda: release_blobs({key}))


def _store_after_commit(prepared: list[PreparedUpload], slug: str) -> None:
    """After a commit: make sure every referenced blob exists (a concurrent removal may
    have deleted the same bytes before our commit), then drop the spool files."""
    ensure_stored(slug, [(evidence_key(ready.sha256), ready) for ready in prepared])


def open_evidence(evidence: FindingEvidence) -> BinaryIO:
    """The stored bytes of an evidence file; :class:`NotFound` if they are missing."""
    try:
        return blob_store().open(current_slug(), evidence.blob_key)
    except FileNotFoundError:
        raise NotFound(_("The file is missing from the store; ask the administrator to restore it from a backup.")) from None


# -- the three lists ---------------------------------------------------------------------
@dataclass
class Filters:
    """What the lists may be narrowed to (values from the query string; bad values are
    ignored, never an error)."""

    year: int | None = None
    batch: str = ""
    source: str = ""
    status: str = ""
    person: str = ""        # a person id, "none" for unassigned, "" for all
    overdue: bool = False
    origin: str = ""        # "city" / "bureau" / ""
    q: str = ""

    @classmethod
    def from_args(cls, args: Any) -> "Filters":
        """Read the filters from ``request.args`` (or any mapping)."""
        def pick(name: str, limit: int = 40) -> str:
            return str(args.get(name, "") or "").strip()[:limit]

        year = pick("year", 4)
        person = pick("person", 20)
        return cls(year=int(year) if year.isdigit() and YEAR_MIN <= int(year) <= YEAR_MAX else None,
                   batch=pick("batch", BATCH_MAX), source=pick("source") if pick("source") in SOURCES else "",
                   status=pick("status") if pick("status") in rules.STATUSES else "",
                   person=person if person == "none" or person.isdigit() else "",
                   overdue=pick("overdue") in ("1", "on", "true", "y"),
                   origin=pick("origin") if pick("origin") in ("city", "bureau") else "", q=pick("q", 100))

    @property
    def active(self) -> bool:
        return bool(self.year or self.batch or self.source or self.status or self.person or self.overdue
                    or self.origin or self.q)

    def args(self) -> dict:
        """The filters as query-string arguments (for links to the ledger and exports)."""
        values = {"year": self.year, "batch": self.batch, "source": self.source, "status": self.status,
                  "person": self.person, "overdue": "1" if self.overdue else "", "origin": self.origin, "q": self.q}
        return {k: v for k, v in values.items() if v}


@dataclass
class FindingRow:
    """A finding with what the lists show about it on ``today``."""

    finding: Finding
    overdue: bool
    days_left: int | None
    evidence: int
    notes: int
    last_note: date | None
    last_note_text: str = ""
    warning: str = warnings.NONE

    @property
    def status(self) -> str:
        return self.finding.status


def warning_of(status: str, due_on: date | None, day: date, submitted_on: date | None,
               cfg: deadlines.Settings) -> str:
    """A finding's warning level on ``day``: red when overdue (:func:`status.is_overdue`),
    none once the bureau's part is done (submitted or closed) or without a deadline, else
    blue or yellow by the days left (:func:`app.deadlines.status.warning_level`)."""
    if rules.is_overdue(status, due_on, day, submitted_on):
        return warnings.RED
    if due_on is None:
        return warnings.NONE
    return warnings.warning_level(due_on, day, done=status in (rules.AWAITING, rules.CLOSED),
                                  blue_days=cfg.blue_days, yellow_days=cfg.yellow_days)


def finding_rows(filters: Filters | None = None, day: date | None = None) -> list[FindingRow]:
    """The findings matching ``filters`` with derived state on ``day`` (default today),
    in ledger order: batch date, date found, id."""
    filters = filters or Filters()
    day = day or today()
    query = select(Finding).options(duties.with_list(selectinload(Finding.duty_item)))
    if filters.year:
        query = query.where(Finding.year == filters.year)
    if filters.batch:
        query = query.where(Finding.batch == filters.batch)
    if filters.source:
        query = query.where(Finding.source == filters.source)
    if filters.status:
        query = query.where(Finding.status == filters.status)
    if filters.person == "none":
        query = query.where(Finding.person_id.is_(None))
    elif filters.person:
        query = query.where(Finding.person_id == int(filters.person))
    if filters.origin:
        query = query.where(Finding.raised_by_city.is_(filters.origin == "city"))
    if filters.overdue:
        query = query.where(overdue_clause(day))
    if filters.q:
        pattern = f"%{filters.q}%"
        query = query.where(or_(Finding.description.ilike(pattern), Finding.measures.ilike(pattern),
                                Finding.batch.ilike(pattern)))
    query = query.order_by(Finding.found_on.desc(), Finding.id.desc())
    findings = list(db.session.scalars(query).unique())
    ids = [f.id for f in findings]
    evidence: dict[int, int] = {}
    notes: dict[int, tuple[int, date | None]] = {}
    latest: dict[int, str] = {}
    if ids:
        evidence = dict(db.session.execute(
            select(FindingEvidence.finding_id, func.count(FindingEvidence.id))
            .where(FindingEvidence.finding_id.in_(ids)).group_by(FindingEvidence.finding_id)).all())
        notes = {fid: (count, last) for fid, count, last in db.session.execute(
            select(FindingNote.finding_id, func.count(FindingNote.id), func.max(FindingNote.occurred_on))
            .where(FindingNote.finding_id.in_(ids)).group_by(FindingNote.finding_id))}
        newest = (select(FindingNote.finding_id, func.max(FindingNote.id).label("nid"))
                  .where(FindingNote.finding_id.in_(ids)).group_by(FindingNote.finding_id).subquery())
        latest = dict(db.session.execute(select(FindingNote.finding_id, FindingNote.text)
                                         .join(newest, FindingNote.id == newest.c.nid)).all())
    rows = []
    cfg = deadlines.settings()
    for finding in findings:
        count, last = notes.get(finding.id, (0, None))
        rows.append(FindingRow(
            finding=finding, overdue=rules.is_overdue(finding.status, finding.due_on, day, finding.submitted_on),
            days_left=rules.days_left(finding.due_on, day), evidence=int(evidence.get(finding.id, 0)),
            notes=int(count), last_note=last, last_note_text=latest.get(finding.id, ""),
            warning=warning_of(finding.status, finding.due_on, day, finding.submitted_on, cfg)))
    return rows


def overdue_clause(day: date):
    """SQL condition equal to :func:`status.is_overdue` on ``day`` (for filters and counts)."""
    return or_(and_(Finding.status.in_(rules.ACTIVE), Finding.due_on < day),
               and_(Finding.status == rules.AWAITING, Finding.submitted_on.is_not(None),
                    Finding.submitted_on > Finding.due_on))


def due_soon_clause(day: date, days: int = rules.DUE_SOON_DAYS):
    """SQL condition equal to :func:`status.is_due_soon` on ``day``."""
    return and_(Finding.status.in_(rules.ACTIVE), Finding.due_on <= day + timedelta(days=days))


def by_person(rows: list[FindingRow]) -> list[tuple[Person | None, list[FindingRow]]]:
    """Rows grouped by responsible person (the responsibility list), unassigned last."""
    groups: dict[int | None, list[FindingRow]] = defaultdict(list)
    persons: dict[int, Person] = {}
    for row in rows:
        groups[row.finding.person_id].append(row)
        if row.finding.person is not None:
            persons[row.finding.person.id] = row.finding.person
    ordered = sorted((pid for pid in groups if pid is not None),
                     key=lambda pid: (persons[pid].sort_order, persons[pid].id))
    result: list[tuple[Person | None, list[FindingRow]]] = [(persons[pid], groups[pid]) for pid in ordered]
    if None in groups:
        result.append((None, groups[None]))
    return result


@dataclass
class Summary:
    """Counts over a set of rows (the lists' header and the ledger's foot)."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    overdue: int = 0


def summarise(rows: list[FindingRow]) -> Summary:
    """Totals by status and overdue."""
    by_status = {s: 0 for s in rules.STATUSES}
    for row in rows:
        by_status[row.status] = by_status.get(row.status, 0) + 1
    return Summary(total=len(rows), by_status=by_status, overdue=sum(1 for r in rows if r.overdue))


# -- figures for the roll-up ------------------------------------------------------------
def metrics(year: int, as_of: date | None = None) -> dict:
    """Figures of the current bureau's findings of ``year`` (for the city roll-up).

    Reads only this bureau's database through ``db.session``: call it in a
    ``/b/<slug>/`` request or inside ``tenant_context(tenant)``.  A finding belongs to the
    year it was found in.  Formula:

    * ``findings_total``: findings of the year;
      ``findings_open``: not closed (open, being rectified or awaiting verification);
      ``findings_closed``: closed (销号); ``findings_awaiting``: awaiting verification;
      ``findings_city``: raised by the city committee.
    * ``findings_overdue``: overdue on ``as_of`` (default today) by
      :func:`app.findings.status.is_overdue` — not closed, past the deadline, and for a
      finding awaiting verification only when it was submitted late.
    * ``closure_rate`` = findings_closed / findings_total, rounded to 4 places; ``None``
      when the year has no findings.
    * ``median_days_to_close``: median over closed findings of (closed_on − found_on) in
      calendar days (the mean of the two middle values for an even count); ``None`` when
      nothing is closed.
    * ``findings_warn_red`` / ``_yellow`` / ``_blue``: findings at each warning level on
      ``as_of`` (:func:`warning_of`).
    """
    day = as_of or today()
    rows = db.session.execute(
        select(Finding.status, Finding.due_on, Finding.submitted_on, Finding.found_on, Finding.closed_on,
               Finding.raised_by_city).where(Finding.year == int(year))).all()
    closed = [r for r in rows if r.status == rules.CLOSED]
    total = len(rows)
    durations = [d for d in (rules.days_to_close(r.found_on, r.closed_on) for r in closed) if d is not None]
    cfg = deadlines.settings()
    levels = [warning_of(r.status, r.due_on, day, r.submitted_on, cfg) for r in rows]
    return {
        "findings_warn_red": levels.count(warnings.RED),
        "findings_warn_yellow": levels.count(warnings.YELLOW),
        "findings_warn_blue": levels.count(warnings.BLUE),
        "year": int(year),
        "as_of": day.isoformat(),
        "findings_total": total,
        "findings_open": total - len(closed),
        "findings_awaiting": sum(1 for r in rows if r.status == rules.AWAITING),
        "findings_overdue": sum(1 for r in rows if rules.is_overdue(r.status, r.due_on, day, r.submitted_on)),
        "findings_closed": len(closed),
        "findings_city": sum(1 for r in rows if r.raised_by_city),
        "closure_rate": round(len(closed) / total, 4) if total else None,
        "median_days_to_close": rules.median(durations),
    }


@writes
def notify_turned_red(day: date | None = None) -> int:
    """Tell the city's administrators of each city-raised finding whose warning turned red
    on ``day`` (default today): still the bureau's turn, its deadline was yesterday.  Reads
    the city's register only; the daily job calls it once a day.  Returns how many."""
    day = day or today()
    entries = db.session.scalars(
        select(CityFinding).join(Tenant, Tenant.id == CityFinding.tenant_id)
        .where(Tenant.status == "active", CityFinding.status.in_(rules.ACTIVE),
               CityFinding.due_on == day - timedelta(days=1))).unique().all()
    for entry in entries:
        notifications.notify(notifications.city_role(), "warning_red",
                             _("Red warning: %(bureau)s has not rectified “%(summary)s” by %(day)s",
                               bureau=entry.tenant.name, summary=short(entry.summary, 40),
                               day=entry.due_on.isoformat()),
                             f"/city/findings/{entry.tenant.slug}/{entry.finding_id}", tenant=entry.tenant)
    return len(entries)
