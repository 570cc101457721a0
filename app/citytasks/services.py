"""Rules of city tasks (任务下发 / 材料报送 / 督办).

* **Issuing** (a city administrator): a title, what is wanted, a deadline not in the past,
  whether the answer must carry a file, attachments (the notice, forms to fill in), and
  the bureaus — all active bureaus, every active bureau of one category, or chosen ones.
  Each bureau gets one :class:`~.models.TaskAssignment` (state 未读) and its
  administrators and editors a notification.
* **A bureau's way through it**: opening the task records 已读 (a read receipt, the one
  write a page view makes); an editor or administrator signs for it (已签收), then submits
  the answer — text and/or files, a file required when the task says so — (已提交); the
  city accepts it (已通过, final) or returns it with a reason (已退回); a returned answer is
  corrected and submitted again.  An answer after the deadline is marked late; a bureau
  with no answer in (or a returned one) after the deadline is 逾期 on the board.
* **督办**: one click notifies every bureau that has not submitted (nor been accepted),
  in-app and through the outward channels; each assignment counts its urgings.

The answer and its files are the bureau's: they are written in the bureau's database and
evidence store, so no other bureau can reach them; the city reads them by opening that
bureau.  The state the board shows is the catalog's assignment row, written in the same
unit of work as the answer.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO, Iterable

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.audit.services import record_bureau, record_city
from app.core.actor import BUREAU_ADMIN, BUREAU_EDITOR, Actor, require
from app.core.clock import today
from app.core.loading import load
from app.core.unit_of_work import after_commit, after_rollback, writes
from app.errors import NotFound, ValidationError, check_version
from app.evidence.services import Upload, ensure_stored, prepare_uploads, upload_message
from app.evidence.storage import PreparedUpload, UploadRejected, blob_store, max_bytes, prepare_upload
from app.extensions import db
from app.models import utcnow
from app.notifications import services as notifications
from app.orgs import services as orgs
from app.tenancy.models import BUREAU_CATEGORIES, Tenant
from app.tenancy.session import current_slug
from app.text import parse_date

from .models import (ACCEPTED, ALL, CATEGORY, CHOSEN, FORM, NOTICE, OWING, READ, RETURNED, SCOPES, SIGNED, STATES,
                     SUBMITTED, UNREAD, CityTask, CityTaskFile, TaskAnswer, TaskAnswerFile, TaskAssignment, is_overdue)

#: The blob store's folder of the city's own files (reserved: no bureau may take it).
CITY_FILES = "city-files"
TITLE_MAX = 200
BODY_MAX = 5000
ANSWER_MAX = 5000
REASON_MAX = 1000
MAX_TASK_FILES = 5
MAX_ANSWER_FILES = 5
ANSWERING_ROLES = (BUREAU_ADMIN, BUREAU_EDITOR)

_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(value: Any) -> str:
    """Multi-line text as typed, without control characters (line breaks and tabs stay)
    or bidirectional overrides; CRLF becomes LF."""
    text = "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or not (unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")
                                                              or ch in _BIDI)).strip()


def one_line(value: Any) -> str:
    """A title: one line, whitespace collapsed."""
    return re.sub(r"\s+", " ", clean_text(value)).strip()


# -- issuing ------------------------------------------------------------------------------
def active_tenants() -> list[Tenant]:
    """The bureaus a task can go to."""
    return list(db.session.scalars(select(Tenant).where(Tenant.status == "active").order_by(Tenant.name)))


def targets(scope: str, category: str | None, tenant_ids: Iterable[Any]) -> list[Tenant]:
    """The active bureaus a task of ``scope`` reaches."""
    bureaus = active_tenants()
    if scope == CATEGORY:
        return [t for t in bureaus if t.category == category]
    if scope == CHOSEN:
        wanted = set()
        for raw in tenant_ids or ():
            try:
                wanted.add(int(raw))
            except (TypeError, ValueError):
                continue
        return [t for t in bureaus if t.id in wanted]
    return bureaus


def _prepare_city_files(files: Iterable[Upload], errors: dict, name: str) -> list[PreparedUpload]:
    store = blob_store()
    spool = store.spool_dir(CITY_FILES)
    spool.mkdir(parents=True, exist_ok=True)
    prepared, problems = [], []
    for upload in files:
        try:
            prepared.append(prepare_upload(upload.stream, upload.filename, max_bytes(), spool))
        except UploadRejected as error:
            problems.append(upload_message(error))
    if problems:
        errors.setdefault(name, []).extend(problems)
    return prepared


def _real(files: Iterable[Upload] | None) -> list[Upload]:
    return [f for f in (files or ()) if f is not None and (f.filename or "").strip()]


@writes
def issue_task(data: dict, *, notice_files: Iterable[Upload] = (), form_files: Iterable[Upload] = (),
               actor: Actor) -> CityTask:
    """Issue a task to the bureaus ``data`` names (``title``, ``body``, ``due_on``,
    ``file_required``, ``per_branch``, ``scope``, ``category``, ``tenant_ids``); every
    field's problems at once."""
    require(actor.is_city_admin)
    errors: dict[str, list[str]] = {}
    title = one_line(data.get("title"))
    if not title:
        errors["title"] = [_("Give the task a title.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("At most %(n)s characters.", n=TITLE_MAX)]
    body = clean_text(data.get("body"))
    if not body:
        errors["body"] = [_("Say what the bureaus must do or send.")]
    elif len(body) > BODY_MAX:
        errors["body"] = [_("At most %(n)s characters.", n=BODY_MAX)]
    try:
        due_on = parse_date(data.get("due_on"))
    except (TypeError, ValueError, OverflowError):
        due_on = None
        errors["due_on"] = [_("Enter a date such as %(example)s.", example="2026-06-30")]
    else:
        if due_on is None:
            errors["due_on"] = [_("Enter the deadline.")]
        elif due_on < today():
            errors["due_on"] = [_("The deadline cannot be in the past.")]
    scope = data.get("scope") or ALL
    category = data.get("category") or None
    if scope not in SCOPES:
        errors["scope"] = [_("Choose which bureaus receive the task.")]
        scope = ALL
    elif scope == CATEGORY and category not in BUREAU_CATEGORIES:
        errors["category"] = [_("Choose a category of bureaus.")]
    reached = targets(scope, category, data.get("tenant_ids") or ())
    if "scope" not in errors and "category" not in errors and not reached:
        field_name = "tenant_ids" if scope == CHOSEN else ("category" if scope == CATEGORY else "scope")
        errors[field_name] = [_("Choose at least one bureau.") if scope == CHOSEN
                              else _("No active bureau would receive this task.")]
    notice_files, form_files = _real(notice_files), _real(form_files)
    if len(notice_files) + len(form_files) > MAX_TASK_FILES:
        errors["notice_files"] = [_("Attach at most %(n)s files.", n=MAX_TASK_FILES)]
        notice_files, form_files = [], []
    prepared = [(NOTICE, f) for f in _prepare_city_files(notice_files, errors, "notice_files")]
    prepared += [(FORM, f) for f in _prepare_city_files(form_files, errors, "form_files")]
    if errors:
        for _role, ready in prepared:
            ready.discard()
        raise ValidationError(_("The task could not be issued."), errors)
    store = blob_store()
    after_rollback(lambda: [ready.discard() for _role, ready in prepared])
    after_commit(lambda: ensure_stored(CITY_FILES, [(ready.sha256, ready) for _role, ready in prepared]))
    task = CityTask(title=title, body=body, due_on=due_on, file_required=bool(data.get("file_required")),
                    per_branch=bool(data.get("per_branch")), scope=scope, category=category if scope == CATEGORY else None,
                    issued_by=(actor.display_name or actor.username)[:60])
    db.session.add(task)
    for role, ready in prepared:
        store.put(CITY_FILES, ready.sha256, ready.path)
        task.files.append(CityTaskFile(role=role, sha256=ready.sha256, size=ready.size, kind=ready.kind,
                                       original_name=ready.name))
    for tenant in reached:
        task.assignments.append(TaskAssignment(tenant_id=tenant.id, tenant_slug=tenant.slug, tenant_name=tenant.name))
    db.session.flush()
    for tenant in reached:
        notifications.notify(notifications.bureau_role(tenant, *ANSWERING_ROLES), "task_received",
                             _("New task from the city: %(title)s (deadline %(date)s)", title=title,
                               date=due_on.isoformat()),
                             f"/b/{tenant.slug}/tasks/{task.id}", tenant=tenant, actor=actor)
    record_city("citytask.issue", "city_task", task.id, summary=f"下发任务：{title[:60]}",
                after={"title": title, "due_on": due_on, "scope": scope, "category": task.category,
                       "bureaus": len(reached), "files": [f.original_name for f in task.files],
                       "file_required": task.file_required, "per_branch": task.per_branch}, actor=actor)
    return task


# -- reading ------------------------------------------------------------------------------
def get_task(task_id: Any) -> CityTask:
    """The task, or ``NotFound``."""
    return load(CityTask, task_id, _("This task does not exist."))


def list_tasks() -> list[tuple[CityTask, dict[str, int]]]:
    """Every task, newest first, with its count of bureaus per state (one grouped query)."""
    tasks = list(db.session.scalars(select(CityTask).order_by(CityTask.due_on.desc(), CityTask.id.desc())))
    counts: dict[int, dict[str, int]] = {t.id: {s: 0 for s in STATES} for t in tasks}
    for task_id, state, n in db.session.execute(select(TaskAssignment.task_id, TaskAssignment.state,
                                                       func.count()).group_by(TaskAssignment.task_id,
                                                                              TaskAssignment.state)):
        if task_id in counts:
            counts[task_id][state] = n
    return [(t, counts[t.id]) for t in tasks]


def assignment_for(task_id: Any, tenant_id: int) -> TaskAssignment:
    """The bureau's assignment of a task; ``NotFound`` if the task did not go to it."""
    message = _("This task does not exist.")
    task = load(CityTask, task_id, message)
    row = db.session.scalar(select(TaskAssignment).where(TaskAssignment.task_id == task.id,
                                                         TaskAssignment.tenant_id == tenant_id))
    if row is None:
        raise NotFound(message)
    return row


def tasks_of_bureau(tenant_id: int) -> list[TaskAssignment]:
    """The bureau's tasks, the ones still owing first, by deadline."""
    rows = list(db.session.scalars(select(TaskAssignment).join(CityTask).where(TaskAssignment.tenant_id == tenant_id)
                                   .order_by(CityTask.due_on, CityTask.id)))
    return sorted(rows, key=lambda a: (a.state not in OWING, a.state != SUBMITTED))


def owing_count(tenant_id: int) -> int:
    """How many tasks the bureau still owes an answer to (the navigation's badge)."""
    return db.session.scalar(select(func.count(TaskAssignment.id)).where(
        TaskAssignment.tenant_id == tenant_id, TaskAssignment.state.in_(OWING))) or 0


def answers(task_id: int) -> list[TaskAnswer]:
    """The current bureau's answers to a task (not its branches' parts), newest first."""
    return list(db.session.scalars(select(TaskAnswer).where(TaskAnswer.task_id == task_id,
                                                            TaskAnswer.org_id.is_(None))
                                   .order_by(TaskAnswer.round.desc())))


@dataclass
class BranchPart:
    """One 党支部 of a per-branch task and its latest part (``None``: not written yet)."""

    unit: Any
    answer: TaskAnswer | None
    may_write: bool = False


def branch_parts(assignment: TaskAssignment, actor: Actor) -> list[BranchPart]:
    """The branches of a per-branch task the actor may see (a branch user: those they
    lead), each with its latest part; empty for a task answered by the bureau alone."""
    if not assignment.task.per_branch:
        return []
    visible = orgs.visible_ids(actor)
    latest: dict[int, TaskAnswer] = {}
    for row in db.session.scalars(select(TaskAnswer).where(TaskAnswer.task_id == assignment.task_id,
                                                           TaskAnswer.org_id.is_not(None))
                                  .order_by(TaskAnswer.round, TaskAnswer.id)):
        latest[row.org_id] = row
    writable = assignment.state in (SIGNED, RETURNED) and _may_write_part(actor)
    return [BranchPart(unit, latest.get(unit.id), writable) for unit in orgs.branch_units()
            if visible is None or unit.id in visible]


def _may_write_part(actor: Actor) -> bool:
    return actor.side == "bureau" and (actor.role in ANSWERING_ROLES or orgs.is_branch_user(actor))


def _count_parts(assignment: TaskAssignment) -> None:
    everyone = branch_parts(assignment, Actor.system())
    assignment.branches_total = len(everyone)
    assignment.branches_done = sum(1 for part in everyone if part.answer is not None)


def branch_tasks_of_bureau(tenant_id: int) -> list[TaskAssignment]:
    """The bureau's per-branch tasks (what a branch user's task list shows)."""
    return [a for a in tasks_of_bureau(tenant_id) if a.task.per_branch]


@dataclass
class Board:
    """A task's progress board: the bureaus shown and the counts of every bureau."""

    task: CityTask
    rows: list[TaskAssignment]
    counts: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    late: int = 0
    total: int = 0


def board(task: CityTask, *, state: str | None = None, overdue_only: bool = False,
          category: str | None = None, day: date | None = None) -> Board:
    """Every bureau's state on ``task`` with the counts per state, overdue and late; the
    rows filtered by ``state``, ``overdue_only`` and the bureaus' ``category``."""
    day = day or today()
    everyone = list(db.session.scalars(select(TaskAssignment).where(TaskAssignment.task_id == task.id)
                                       .order_by(TaskAssignment.tenant_name)))
    counts = {s: 0 for s in STATES}
    for row in everyone:
        counts[row.state] += 1
    rows = everyone
    if state in STATES:
        rows = [r for r in rows if r.state == state]
    if overdue_only:
        rows = [r for r in rows if is_overdue(r, day)]
    if category in BUREAU_CATEGORIES:
        ids = set(db.session.scalars(select(Tenant.id).where(Tenant.category == category)))
        rows = [r for r in rows if r.tenant_id in ids]
    return Board(task=task, rows=rows, counts=counts, total=len(everyone),
                 overdue=sum(1 for r in everyone if is_overdue(r, day)), late=sum(1 for r in everyone if r.late))


# -- the bureau's side -------------------------------------------------------------------
def _may_answer(actor: Actor) -> bool:
    return actor.side == "bureau" and actor.role in ANSWERING_ROLES


@writes
def mark_read(assignment: TaskAssignment, *, actor: Actor) -> bool:
    """Record that a member of the bureau opened the task (未读 → 已读); the city reading a
    bureau's page changes nothing.  Returns whether it changed."""
    if (assignment.state != UNREAD or actor.side != "bureau" or actor.role == "reader" or actor.id is None
            or orgs.is_branch_user(actor)):
        return False
    assignment.state = READ
    assignment.read_at = utcnow()
    return True


@writes
def sign(assignment: TaskAssignment, *, version: Any = None, actor: Actor) -> TaskAssignment:
    """The bureau signs for the task (签收)."""
    require(_may_answer(actor), _("Only the bureau's editors and administrators can sign for a task."))
    if version is not None:
        check_version(assignment, version)
    if assignment.state not in (UNREAD, READ):
        raise ValidationError(_("This task has been signed for already."), {})
    assignment.state = SIGNED
    assignment.read_at = assignment.read_at or utcnow()
    assignment.signed_at = utcnow()
    assignment.signed_by = (actor.display_name or actor.username)[:60]
    record_bureau("citytask.sign", "city_task", assignment.task_id, summary=f"签收任务：{assignment.task.title[:60]}",
                  actor=actor)
    return assignment


@writes
def submit_answer(assignment: TaskAssignment, data: dict, *, files: Iterable[Upload] = (), version: Any = None,
                  actor: Actor) -> TaskAnswer:
    """Submit (or, after a return, resubmit) the bureau's answer: text and files (a file
    is required when the task says so); marked late after the deadline."""
    require(_may_answer(actor), _("Only the bureau's editors and administrators can answer a task."))
    _refuse_unless_open(assignment, version, _("Sign for the task before answering it."))
    task = assignment.task
    errors: dict[str, list[str]] = {}
    parts = branch_parts(assignment, Actor.system())
    missing = [part.unit.name for part in parts if part.answer is None]
    if missing:
        errors["branches"] = [_("Every branch writes its part first; still missing: %(names)s.",
                                names="、".join(missing))]
    # A per-branch task's answer may be the branches' parts alone (their files are the material).
    text, prepared = _checked_answer(task, data, files, errors, parts_given=bool(parts))
    answer = _write_answer(task, assignment.rounds + 1, text, prepared, actor)
    late = answer.late
    resubmitted = assignment.state == RETURNED
    assignment.state = SUBMITTED
    assignment.rounds += 1
    assignment.submitted_at = utcnow()
    assignment.submitted_by = answer.submitted_by
    assignment.late = late
    assignment.return_reason = ""  # the returned answer keeps its reason; the board shows the current state
    db.session.flush()
    record_bureau("citytask.resubmit" if resubmitted else "citytask.submit", "city_task", task.id,
                  summary=f"{'重新报送' if resubmitted else '报送'}任务：{task.title[:60]}",
                  after={"round": answer.round, "text": text[:500], "files": [f.original_name for f in answer.files],
                         "late": late, **({"branch_parts": [p.answer.id for p in parts]} if parts else {})},
                  actor=actor)
    notifications.notify(notifications.city_role(), "task_answered",
                         _("%(bureau)s submitted its answer to “%(title)s”", bureau=assignment.tenant_name,
                           title=task.title) + (_(" (late)") if late else ""),
                         f"/city/tasks/{task.id}/bureaus/{assignment.tenant_slug}", actor=actor)
    return answer


def _refuse_unless_open(assignment: TaskAssignment, version: Any, unsigned: str) -> None:
    """Refuse a write to an answer that is not being prepared: not signed for yet
    (``unsigned`` says what comes first), with the city, or accepted; and a stale form."""
    if version is not None:
        check_version(assignment, version)
    if assignment.state in (UNREAD, READ):
        raise ValidationError(unsigned, {})
    if assignment.state == SUBMITTED:
        raise ValidationError(_("The answer is with the city; it can be changed only if the city returns it."), {})
    if assignment.state == ACCEPTED:
        raise ValidationError(_("The city has accepted the answer; it can no longer be changed."), {})


def _checked_answer(task: CityTask, data: dict, files: Iterable[Upload] | None, errors: dict, *,
                    parts_given: bool = False) -> tuple[str, list[PreparedUpload]]:
    """The answer's text and prepared files, or every problem at once (``errors`` may
    hold the caller's own); a file is required when the task says so."""
    text = clean_text(data.get("text"))
    files = _real(files)
    if len(text) > ANSWER_MAX:
        errors["text"] = [_("At most %(n)s characters.", n=ANSWER_MAX)]
    if task.file_required and not files and not parts_given:
        errors["files"] = [_("This task asks for a file: attach the filled-in form or the material.")]
    elif not text and not files and not parts_given:
        errors["text"] = [_("Write the answer or attach a file.")]
    if len(files) > MAX_ANSWER_FILES:
        errors["files"] = [_("Attach at most %(n)s files.", n=MAX_ANSWER_FILES)]
    if errors:
        raise ValidationError(_("The answer could not be submitted."), errors)
    try:
        return text, prepare_uploads(files)
    except ValidationError as error:
        raise ValidationError(_("The answer could not be submitted."), error.errors) from None


def _write_answer(task: CityTask, round_: int, text: str, prepared: list[PreparedUpload], actor: Actor,
                  org_id: int | None = None) -> TaskAnswer:
    """A new answer row with its files in the bureau's store (kept only if the unit of work commits)."""
    store = blob_store()
    slug = current_slug()
    after_rollback(lambda: [ready.discard() for ready in prepared])
    after_commit(lambda: ensure_stored(slug, [(ready.sha256, ready) for ready in prepared]))
    name = (actor.display_name or actor.username)[:60]
    answer = TaskAnswer(task_id=task.id, org_id=org_id, round=round_, text=text, submitted_by=name,
                        late=today() > task.due_on)
    db.session.add(answer)
    for ready in prepared:
        store.put(slug, ready.sha256, ready.path)
        answer.files.append(TaskAnswerFile(sha256=ready.sha256, size=ready.size, kind=ready.kind,
                                           original_name=ready.name, uploaded_by=name))
    return answer


@writes
def submit_branch_part(assignment: TaskAssignment, unit_id: Any, data: dict, *, files: Iterable[Upload] = (),
                       version: Any = None, actor: Actor) -> TaskAnswer:
    """A branch's part of a per-branch task (its secretary or 组织委员, or the bureau's
    editors for it): text and/or files, after the bureau signed and until it submits; a
    new part replaces the branch's last one.  A branch the actor may not see is one that
    does not exist."""
    task = assignment.task
    unit = orgs.get_unit(unit_id, actor)
    if not task.per_branch or unit.id not in {u.id for u in orgs.branch_units()}:
        raise NotFound(_("This branch has no part in this task."))
    require(_may_write_part(actor), _("Only the branch's secretary or 组织委员 and the bureau's editors can write it."))
    _refuse_unless_open(assignment, version,
                        _("The bureau signs for the task first; then each branch writes its part."))
    text, prepared = _checked_answer(task, data, files, {})
    part = _write_answer(task, assignment.rounds + 1, text, prepared, actor, org_id=unit.id)
    db.session.flush()
    _count_parts(assignment)
    record_bureau("citytask.branch_part", "city_task", task.id, summary=f"{unit.name}报送任务材料：{task.title[:50]}",
                  after={"branch": unit.name, "text": text[:500], "files": [f.original_name for f in part.files],
                         "late": part.late}, actor=actor)
    notifications.notify(notifications.bureau_role(_tenant_of(assignment), *ANSWERING_ROLES), "task_branch_part",
                         _("%(branch)s wrote its part of “%(title)s” (%(done)s of %(total)s branches)",
                           branch=unit.name, title=task.title, done=assignment.branches_done,
                           total=assignment.branches_total),
                         f"/b/{assignment.tenant_slug}/tasks/{task.id}", actor=actor)
    return part


def _tenant_of(assignment: TaskAssignment) -> Tenant:
    return db.session.get(Tenant, assignment.tenant_id)


# -- the city's side ---------------------------------------------------------------------
@writes
def review(assignment: TaskAssignment, decision: str, reason: Any = "", *, version: Any = None,
           actor: Actor) -> TaskAssignment:
    """Accept the bureau's submitted answer, or return it with a reason.  Called inside
    the bureau's context (``tenant_context``): the answer row is the bureau's."""
    require(actor.is_city_admin)
    if version is not None:
        check_version(assignment, version)
    if assignment.state != SUBMITTED:
        raise ValidationError(_("There is no submitted answer to review."), {})
    reason = clean_text(reason)
    errors = {}
    if decision not in (ACCEPTED, RETURNED):
        errors["decision"] = [_("Accept the answer or return it.")]
    elif decision == RETURNED and not reason:
        errors["reason"] = [_("Say why the answer is returned, so the bureau knows what to correct.")]
    if len(reason) > REASON_MAX:
        errors["reason"] = [_("At most %(n)s characters.", n=REASON_MAX)]
    if errors:
        raise ValidationError(_("The answer could not be reviewed."), errors)
    # the bureau's own latest answer: its branches' parts share its round, and are not judged
    answer = next(iter(answers(assignment.task_id)), None)
    if answer is not None:
        answer.outcome = decision
        answer.reason = reason
    task = assignment.task
    assignment.state = decision
    assignment.return_reason = reason if decision == RETURNED else ""
    assignment.reviewed_at = utcnow()
    assignment.reviewed_by = (actor.display_name or actor.username)[:60]
    word = "退回" if decision == RETURNED else "通过"
    summary = f"{word}{assignment.tenant_name}的报送：{task.title[:60]}"
    record_city(f"citytask.{'return' if decision == RETURNED else 'accept'}", "city_task", task.id,
                summary=summary, after={"reason": reason} if reason else None,
                tenant_slug=assignment.tenant_slug, actor=actor)
    record_bureau(f"citytask.{'return' if decision == RETURNED else 'accept'}", "city_task", task.id,
                  summary=summary, after={"reason": reason} if reason else None, actor=actor)
    if decision == RETURNED:
        title = _("Your answer to “%(title)s” was returned: %(reason)s", title=task.title, reason=reason)
    else:
        title = _("Your answer to “%(title)s” was accepted", title=task.title)
    notifications.notify(notifications.bureau_role(assignment.tenant_id, *ANSWERING_ROLES),
                         "task_returned" if decision == RETURNED else "task_accepted", title,
                         f"/b/{assignment.tenant_slug}/tasks/{task.id}", tenant=assignment.tenant_id, actor=actor)
    return assignment


@writes
def urge(task: CityTask, *, actor: Actor, tenant_ids: Iterable[int] | None = None) -> int:
    """督办: notify every bureau still owing an answer (or those of ``tenant_ids``) —
    in-app and through the outward channels — and count the urging; returns how many."""
    require(actor.is_city_admin)
    wanted = None if tenant_ids is None else set(tenant_ids)
    laggards = [a for a in db.session.scalars(select(TaskAssignment).where(
        TaskAssignment.task_id == task.id, TaskAssignment.state.in_(OWING))) if wanted is None or a.tenant_id in wanted]
    if not laggards:
        raise ValidationError(_("Every bureau has answered: there is no one to urge."), {})
    now = utcnow()
    overdue = today() > task.due_on
    for assignment in laggards:
        assignment.urged_at = now
        assignment.urge_count += 1
        if overdue:
            title = _("Urgent: “%(title)s” was due on %(date)s and your answer is missing", title=task.title,
                      date=task.due_on.isoformat())
        else:
            title = _("Reminder from the city: answer “%(title)s” by %(date)s", title=task.title,
                      date=task.due_on.isoformat())
        notifications.notify(notifications.bureau_role(assignment.tenant_id, *ANSWERING_ROLES), "task_urged", title,
                             f"/b/{assignment.tenant_slug}/tasks/{task.id}", tenant=assignment.tenant_id, actor=actor)
    record_city("citytask.urge", "city_task", task.id, summary=f"督办任务：{task.title[:60]}（{len(laggards)}个单位）",
                after={"bureaus": [a.tenant_name for a in laggards]}, actor=actor)
    return len(laggards)


# -- files ----------------------------------------------------------------------------
def get_city_file(task: CityTask, file_id: Any) -> CityTaskFile:
    """One of the task's attachments, or ``NotFound``."""
    row = load(CityTaskFile, file_id, _("This file does not exist."))
    if row.task_id != task.id:
        raise NotFound(_("This file does not exist."))
    return row


def open_city_file(row: CityTaskFile) -> BinaryIO:
    """The bytes of a task's attachment."""
    try:
        return blob_store().open(CITY_FILES, row.sha256)
    except FileNotFoundError:
        raise NotFound(_("The file is missing from the store; ask the administrator to restore it from a backup.")) from None


def get_answer_file(task_id: int, file_id: Any, actor: Actor | None = None) -> TaskAnswerFile:
    """A file of the current bureau's answer to ``task_id`` (or of a branch's part), or
    ``NotFound``; a branch user reaches only the files of their branches' parts."""
    row = load(TaskAnswerFile, file_id, _("This file does not exist."))
    visible = orgs.visible_ids(actor) if actor is not None else None
    if row.answer.task_id != task_id or (visible is not None and row.answer.org_id not in visible):
        raise NotFound(_("This file does not exist."))
    return row


def open_answer_file(row: TaskAnswerFile) -> BinaryIO:
    """The bytes of an answer's file, from the current bureau's store."""
    try:
        return blob_store().open(current_slug(), row.sha256)
    except FileNotFoundError:
        raise NotFound(_("The file is missing from the store; ask the administrator to restore it from a backup.")) from None


def bureau_link(assignment: TaskAssignment) -> str:
    """The bureau's page of the task (for pages that link to it)."""
    return url_for("bureau.citytasks.detail", slug=assignment.tenant_slug, task_id=assignment.task_id)


def board_stamp(task: CityTask) -> list:
    """What the board's printout depends on: the task's version and its assignments'
    latest change and count (the key of its cached PDF)."""
    latest, count = db.session.execute(select(func.max(TaskAssignment.updated_at), func.count(TaskAssignment.id))
                                       .where(TaskAssignment.task_id == task.id)).one()
    return [task.id, task.version, str(latest), count]


def board_print_context(task_id: int, filters: dict, day: date) -> dict:
    """What ``citytasks/board_print.html`` needs (the reports job lays it out)."""
    from . import xlsx
    from .labels import LATE_LABEL, OVERDUE_LABEL, STATE_LABELS

    task = get_task(task_id)
    result = board(task, day=day, **filters)
    return {"board": result, "rows": xlsx.board_rows(result, day), "headers": xlsx.headers(), "states": STATES,
            "state_labels": {k: str(v) for k, v in STATE_LABELS.items()}, "overdue_label": str(OVERDUE_LABEL),
            "late_label": str(LATE_LABEL), "today": day}


def board_filters(args: Any) -> dict:
    """The board's filters from a query string (unknown values are no filter)."""
    state = args.get("state") or None
    category = args.get("category") or None
    return {"state": state if state in STATES else None, "overdue_only": args.get("overdue") == "1",
            "category": category if category in BUREAU_CATEGORIES else None}
