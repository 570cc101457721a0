"""Bureau pages of supervision findings (``/b/<slug>/findings/...``) and reminders
(``/b/<slug>/reminders/...``).

Views parse the request, call :mod:`app.findings.services` and render; the services hold
the rules (permissions included) and raise :mod:`app.errors` exceptions, which become
form errors with the matching HTTP status here.
"""
from __future__ import annotations

import io
from types import SimpleNamespace

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.routing import BuildError

from app.accounts import services as accounts
from app.accounts.decorators import bureau_role
from app.evidence.downloads import send_blob
from app.evidence.services import human_size
from app.evidence.storage import KINDS, max_bytes
from app.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationError
from app.core.actor import Actor
from app.web import current_actor, show_error

from . import bp, reminders, reminders_bp, services, status as rules, xlsx
from .forms import (ConfirmForm, DetailsForm, EmailForm, FindingForm, ImportForm, NoteForm, PlanForm,
                    TransitionForm, VersionForm, fill_choices)
from .labels import (ACTION_BUTTONS, ACTION_LABELS, AREAS, EVENT_LABELS, SEVERITIES, SEVERITY_BADGES, SIDE_LABELS,
                     SOURCES, STATUS_BADGES, STATUS_LABELS, label, ledger_subtitle)
from .services import Filters, Upload

UPLOAD_ENDPOINTS = {"bureau.findings.add_note", "bureau.findings.import_findings", "city.findings.import_findings"}
FORM_OVERHEAD = 1024 * 1024
#: The duties package's page of one item (reminders link to it).
DUTY_ITEM_ENDPOINT = "bureau.duties.show_item"


@bp.url_value_preprocessor
def allow_uploads(endpoint: str | None, _values: dict | None) -> None:
    # Before Flask-WTF parses the body: a file a little over the per-file limit reaches
    # the service and gets a form error instead of a 413 page.
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = max_bytes() * services.MAX_FILES_PER_NOTE + FORM_OVERHEAD


@bp.app_context_processor
def findings_globals() -> dict:
    """Labels for the findings templates and the navigation's reminder count."""
    return {"findings_labels": LABELS, "reminder_count": _reminder_count}


LABELS = SimpleNamespace(SOURCES=SOURCES, SEVERITIES=SEVERITIES, SEVERITY_BADGES=SEVERITY_BADGES, AREAS=AREAS,
                         STATUS=STATUS_LABELS, STATUS_BADGES=STATUS_BADGES, ACTIONS=ACTION_LABELS,
                         ACTION_BUTTONS=ACTION_BUTTONS, EVENTS=EVENT_LABELS, SIDES=SIDE_LABELS, label=label,
                         human_size=human_size)


def _reminder_count() -> int | None:
    """The navigation badge: computed at most once per request, only on a bureau page
    for its members, with one SQL statement (:func:`reminders.count_for`)."""
    if "findings_reminder_count" in g:
        return g.findings_reminder_count
    access = g.get("bureau")
    value = None
    if access is not None and not access.is_city and current_user.is_authenticated:
        try:
            value = reminders.count_for(services.today(), user_id=current_user.id, role=access.role)
        except SQLAlchemyError:
            # The navigation must never break a page (an error page included).
            value = None
    g.findings_reminder_count = value
    return value


# -- helpers ---------------------------------------------------------------------------

def _fill(form, finding=None) -> None:
    fill_choices(form, people=services.people(include=finding.person_id if finding else None),
                 item_groups=services.duty_item_groups(include=finding.duty_item_id if finding else None),
                 attachments=services.linkable_attachments(finding) if finding else ())


def _plan_form(finding, data=None) -> PlanForm:
    form = PlanForm(formdata=data, data={"person_id": str(finding.person_id or ""),
                                        "duty_item_id": str(finding.duty_item_id or ""),
                                        "measures": finding.measures, "version": finding.version})
    _fill(form, finding)
    return form


def detail_context(finding, actor: Actor, **overrides) -> dict:
    """What the finding's page shows (shared by the bureau's and the city's pages)."""
    actions = services.actions_for(finding, actor)
    transition_forms = {a: TransitionForm(formdata=None, prefix=a, data={"version": finding.version})
                        for a in actions}
    transition_forms.update(overrides.pop("transition_forms", {}))
    for action, form in transition_forms.items():
        if action == rules.CLOSE:
            form.note.label.text = _("Verification note")
        elif action in rules.NOTE_REQUIRED:
            form.note.label.text = _("Reason")
    note_form = overrides.pop("note_form", None)
    if note_form is None:
        note_form = NoteForm(formdata=None, data={"occurred_on": services.today()})
        fill_choices(note_form, attachments=services.linkable_attachments(finding))
    plan_form = overrides.pop("plan_form", None) or _plan_form(finding)
    day = services.today()
    context = {
        "finding": finding, "actions": actions, "transition_forms": transition_forms, "note_form": note_form,
        "plan_form": plan_form, "history": services.history(finding),
        "evidence_count": services.evidence_count(finding),
        "overdue": rules.is_overdue(finding.status, finding.due_on, day, finding.submitted_on),
        "days_left": rules.days_left(finding.due_on, day),
        "can_work": rules.can_work_on(finding.status, services.who(actor, finding)),
        "can_plan_all": actor.is_bureau_admin, "can_edit": services.may_edit_details(finding, actor),
        "can_delete": services.may_delete(finding, actor), "delete_form": VersionForm(formdata=None,
                                                                                      data={"version": finding.version}),
        "confirm_form": ConfirmForm(formdata=None), "actor": actor,
        "own_submission": services.submitted_by_actor(finding, actor),
    }
    context.update(overrides)
    return context


def _render_detail(finding, status: int = 200, **overrides):
    return render_template("findings/detail.html", side="bureau",
                           **detail_context(finding, current_actor(), **overrides)), status


def _files() -> list[Upload]:
    return [Upload(stream=f.stream, filename=f.filename) for f in request.files.getlist("files") if f]


# -- the three lists, the ledger, exports ----------------------------------------------------
def _list_page(view: str):
    filters = Filters.from_args(request.args)
    rows = services.finding_rows(filters)
    return render_template(
        "findings/lists.html", view=view, rows=rows, filters=filters, summary=services.summarise(rows),
        groups=services.by_person(rows) if view == "responsibility" else None,
        batches=services.batches(), people=services.people(), years=services.years(),
        can_raise=services.may_raise(current_actor()))


@bp.route("/")
@bureau_role()
def index():
    """问题清单: the problems found."""
    return _list_page("problems")


@bp.route("/responsibility")
@bureau_role()
def responsibility():
    """责任清单: the same findings by responsible person."""
    return _list_page("responsibility")


@bp.route("/rectification")
@bureau_role()
def rectification():
    """整改清单: measures, progress and closure."""
    return _list_page("rectification")


@bp.route("/ledger")
@bureau_role()
def ledger():
    """整改台账: the standalone print page (A4 landscape; the PDF reuses it)."""
    filters = Filters.from_args(request.args)
    rows = services.finding_rows(filters)
    return render_template("findings/ledger_print.html", rows=rows, summary=services.summarise(rows),
                           bureau_name=g.bureau.name, subtitle=ledger_subtitle(filters), today=services.today(),
                           filters=filters, back_url=url_for("bureau.findings.index", **filters.args()))


@bp.route("/export.xlsx")
@bureau_role()
def export():
    """The ledger as a formatted Excel workbook."""
    filters = Filters.from_args(request.args)
    day = services.today()
    data = xlsx.ledger_workbook(services.finding_rows(filters, day), bureau_name=g.bureau.name,
                                subtitle=ledger_subtitle(filters), day=day)
    name = _("Rectification ledger of %(name)s", name=g.bureau.name) + f" {day.isoformat()}.xlsx"
    return send_file(io.BytesIO(data), mimetype=KINDS["xlsx"][1], as_attachment=True, download_name=name,
                     max_age=0)


@bp.route("/template.xlsx")
@bureau_role()
def template():
    """The import template with the bureau's people."""
    data = xlsx.template_workbook(services.people())
    return send_file(io.BytesIO(data), mimetype=KINDS["xlsx"][1], as_attachment=True,
                     download_name=_("Findings import template") + ".xlsx", max_age=0)


@bp.route("/import", methods=["GET", "POST"])
@bureau_role("bureau_admin")
def import_findings():
    """Import a workbook of findings: every row or none."""
    form = ImportForm()
    status = 200
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            result = xlsx.import_findings(form.file.data.read(xlsx.MAX_BYTES + 1), actor=current_actor())
        except ValidationError as error:
            problems = list(error.errors.get("file", []))
            flash(error.message, "danger")
            status = 400
        except DomainError as error:
            show_error(form, error)
            status = error.http_status
        else:
            flash(_("%(n)s findings imported.", n=len(result.findings)), "success")
            return redirect(url_for("bureau.findings.index"))
    elif request.method == "POST":
        status = 400
    return render_template("findings/import.html", form=form, problems=problems, side="bureau",
                           template_url=url_for("bureau.findings.template"), back_url=url_for("bureau.findings.index")), status


# -- one finding ---------------------------------------------------------------------------
@bp.route("/new", methods=["GET", "POST"])
@bureau_role("bureau_admin")
def new():
    """Record a finding of the bureau's own (self-inspection, internal patrol …)."""
    form = FindingForm()
    _fill(form)
    if request.method == "GET":
        form.found_on.data = services.today()
    status = 200
    if form.validate_on_submit():
        try:
            finding = services.create_finding(form.data, actor=current_actor())
        except DomainError as error:
            show_error(form, error)
            status = error.http_status
        else:
            flash(_("The finding has been recorded."), "success")
            return redirect(url_for("bureau.findings.detail", finding_id=finding.id))
    elif request.method == "POST":
        status = 400
    return render_template("findings/form.html", form=form, finding=None, side="bureau",
                           back_url=url_for("bureau.findings.index")), status


@bp.route("/<int:finding_id>")
@bureau_role()
def detail(finding_id: int):
    """The finding, its plan, progress, evidence and history."""
    finding = services.get_finding(finding_id)
    return _render_detail(finding)


@bp.route("/<int:finding_id>/edit", methods=["GET", "POST"])
@bureau_role("bureau_admin")
def edit(finding_id: int):
    """Change the finding's own fields (findings the bureau raised)."""
    finding = services.get_finding(finding_id)
    if not services.may_edit_details(finding, current_actor()):
        abort(403)
    return edit_details(finding, current_actor(), side="bureau", back_url=url_for("bureau.findings.detail", finding_id=finding.id),
                        done_url=url_for("bureau.findings.detail", finding_id=finding.id))


def edit_details(finding, actor: Actor, *, side: str, back_url: str, done_url: str, **context):
    """The edit page of a finding's details (bureau and city pages)."""
    form = DetailsForm(obj=finding if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = finding.version
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.update_details(finding, form.data, version=form.version.data, actor=actor)
            except Conflict as error:
                show_error(form, error)
                form = DetailsForm(formdata=None, obj=finding)
                form.version.data = finding.version
                status = 409
            except DomainError as error:
                show_error(form, error)
                status = error.http_status
            else:
                flash(_("Saved."), "success")
                return redirect(done_url)
        else:
            status = 400
    return render_template("findings/form.html", form=form, finding=finding, side=side, back_url=back_url,
                           **context), status


@bp.route("/<int:finding_id>/plan", methods=["POST"])
@bureau_role("bureau_editor")
def plan(finding_id: int):
    """Save the responsible person, related duty item and measures."""
    finding = services.get_finding(finding_id)
    form = _plan_form(finding, data=request.form)
    if not form.validate_on_submit():
        return _render_detail(finding, 400, plan_form=form)
    try:
        services.update_plan(finding, form.data, version=form.version.data, actor=current_actor())
    except Conflict as error:
        show_error(None, error)
        return _render_detail(finding, 409)
    except DomainError as error:
        show_error(form, error)
        return _render_detail(finding, error.http_status, plan_form=form)
    flash(_("Saved."), "success")
    return redirect(url_for("bureau.findings.detail", finding_id=finding.id))


@bp.route("/<int:finding_id>/notes", methods=["POST"])
@bureau_role("bureau_editor")
def add_note(finding_id: int):
    """Record progress with evidence files."""
    finding = services.get_finding(finding_id)
    form = NoteForm()
    fill_choices(form, attachments=services.linkable_attachments(finding))
    if not form.validate_on_submit():
        return _render_detail(finding, 400, note_form=form)
    try:
        services.add_note(finding, form.data, files=_files(), link_ids=form.links.data or [], actor=current_actor())
    except DomainError as error:
        show_error(form, error)
        return _render_detail(finding, error.http_status, note_form=form)
    flash(_("Progress recorded."), "success")
    return redirect(url_for("bureau.findings.detail", finding_id=finding.id))


@bp.route("/<int:finding_id>/transition/<action>", methods=["POST"])
@bureau_role("bureau_editor")
def transition(finding_id: int, action: str):
    """One workflow step (start, submit, return, close, reopen)."""
    finding = services.get_finding(finding_id)
    if action not in rules.ACTIONS:
        abort(404)
    form = TransitionForm(prefix=action)
    if not form.validate_on_submit():
        return _render_detail(finding, 400, transition_forms={action: form})
    try:
        services.transition(finding, action, note=form.note.data or "", version=form.version.data, actor=current_actor())
    except Conflict as error:
        show_error(None, error)
        return _render_detail(finding, 409)
    except DomainError as error:
        show_error(form, error)
        return _render_detail(finding, error.http_status, transition_forms={action: form})
    flash(_("Done: %(action)s.", action=label(ACTION_LABELS, action)), "success")
    return redirect(url_for("bureau.findings.detail", finding_id=finding.id))


@bp.route("/<int:finding_id>/delete", methods=["POST"])
@bureau_role("bureau_admin")
def delete(finding_id: int):
    """Delete a finding recorded by mistake."""
    finding = services.get_finding(finding_id)
    form = VersionForm()
    try:
        services.delete_finding(finding, version=form.version.data, actor=current_actor())
    except DomainError as error:
        show_error(None, error)
        return _render_detail(finding, error.http_status)
    flash(_("The finding has been deleted."), "success")
    return redirect(url_for("bureau.findings.index"))


@bp.route("/evidence/<int:evidence_id>")
@bureau_role()
def download(evidence_id: int):
    """An evidence file, as a download."""
    try:
        evidence = services.get_evidence(evidence_id)
        stream = services.open_evidence(evidence)
    except NotFound:
        abort(404)
    return send_blob(stream, g.bureau.slug, evidence.blob_key,
                     mimetype=KINDS.get(evidence.kind, ("", "application/octet-stream"))[1],
                     download_name=evidence.original_name)


@bp.route("/evidence/<int:evidence_id>/delete", methods=["POST"])
@bureau_role("bureau_editor")
def delete_evidence(evidence_id: int):
    """Remove an evidence file (while the finding is open or being rectified)."""
    try:
        evidence = services.get_evidence(evidence_id)
    except NotFound:
        abort(404)
    finding_id = evidence.finding_id
    ConfirmForm()
    try:
        services.remove_evidence(evidence, actor=current_actor())
    except PermissionDenied:
        abort(403)
    except DomainError as error:
        show_error(None, error)
        return _render_detail(services.get_finding(finding_id), error.http_status)
    flash(_("The file has been removed."), "success")
    return redirect(url_for("bureau.findings.detail", finding_id=finding_id))


# -- reminders ---------------------------------------------------------------------------------
@reminders_bp.route("/")
@bureau_role()
def reminder_list():
    """What the current user should act on in this bureau."""
    day = services.today()
    items = reminders.reminders_for(day, user_id=current_user.id, role=g.bureau.role)
    form = EmailForm(formdata=None, data={"email": current_user.email or ""})
    return render_template("findings/reminders.html", items=items, today=day, form=form,
                           horizon=reminders.horizon(day), duty_item_url=duty_item_url)


@reminders_bp.route("/email", methods=["POST"])
@bureau_role("bureau_viewer")
def set_email():
    """The current user's address for the daily digest."""
    form = EmailForm()
    if form.validate_on_submit():
        try:
            accounts.set_email(current_user, form.email.data)
        except ValueError:
            form.email.errors = [_("Enter an e-mail address such as name@example.gov.cn.")]
        else:
            flash(_("Your e-mail address has been saved."), "success")
            return redirect(url_for("bureau.reminders.reminder_list"))
    day = services.today()
    items = reminders.reminders_for(day, user_id=current_user.id, role=g.bureau.role)
    return render_template("findings/reminders.html", items=items, today=day, form=form,
                           horizon=reminders.horizon(day), duty_item_url=duty_item_url), 400


def duty_item_url(item_id: int) -> str | None:
    """The duties package's page of an item (``None`` if it has no such page)."""
    try:
        return url_for(DUTY_ITEM_ENDPOINT, item_id=item_id)
    except BuildError:
        return None
