"""Score-sheet pages.

Two blueprints:

* ``city_bp``, endpoints ``city.scoring.*`` (``/city/scoring/...``): the city's templates — list, tree editor,
  import, publication, new editions, assignment, export;
* ``bureau_bp``, endpoints ``bureau.scoring.*`` (``/b/<slug>/scoring/...``): a bureau's sheets — self-assessment and
  submission for the bureau, review/ballot/adjustments/finalisation for the city's
  assessor, the result page and the printout.

The assessor's pages live under the bureau's URL because the sheet lives in the
bureau's database: the request is already bound to that bureau, the isolation test
covers the routes, and ``bureau_role(city_may_post=True)`` plus :func:`assessor` limit the
writes to city administrators (see ``docs/architecture.md``).
"""
from __future__ import annotations

import json
from decimal import Decimal
from functools import wraps
from typing import Callable
from zoneinfo import ZoneInfo

import yaml
from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.accounts.decorators import bureau_role, city_role
from app.errors import Conflict, DomainError, ValidationError
from app.models import utcnow
from app.tenancy import services as tenancy
from app.years import services as years
from app.web import current_actor, flash_field_errors, show_error

from . import engine, services, xlsx
from .forms import (AssignForm, BadOperation, EditionActionForm, ImportTemplateForm,
                    ReopenForm, TemplateEditorForm, VersionForm, adjustment_form, apply_op, fits_editor,
                    ballot_form, body_from_editor, editor_data, entry_inputs, field_name, new_template_form,
                    place_errors, sheet_form, sheet_form_data)
from .labels import KIND_LABELS, METHOD_LABELS, PART_LABELS, STATUS_BADGES, STATUS_LABELS
from .models import DRAFT

city_bp = Blueprint("scoring", __name__, url_prefix="/scoring", template_folder="templates")
bureau_bp = Blueprint("scoring", __name__, url_prefix="/scoring", template_folder="templates")

MAX_UPLOAD = engine.MAX_DOCUMENT_BYTES


def _figure(value) -> str:
    """A reported figure: rounded to 0.01 half-up and written without trailing zeros
    (as ``flask scoring evaluate`` prints it)."""
    if value is None:
        return "—"
    if not isinstance(value, Decimal):
        value = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return format(engine.round_figure(value).normalize(), "f")


def _percent(fraction) -> str:
    if fraction is None:
        return "—"
    return f"{_figure(fraction * 100)}%"


@city_bp.app_template_filter("score_figure")
def figure_filter(value) -> str:
    return _figure(value)


@city_bp.app_template_filter("score_percent")
def percent_filter(value) -> str:
    return _percent(value)


@city_bp.app_template_filter("scoring_problem")
def problem_filter(problem, body=None) -> str:
    """A template or scores problem in words, in the page's language (``body``: the
    sheet's template, to name indicators by their titles)."""
    return services.problem_text(problem, body)


@city_bp.context_processor
@bureau_bp.context_processor
def scoring_labels() -> dict:
    return {"STATUS_LABELS": STATUS_LABELS, "STATUS_BADGES": STATUS_BADGES, "METHOD_LABELS": METHOD_LABELS,
            "KIND_LABELS": KIND_LABELS, "PART_LABELS": PART_LABELS}


# ============================================================================ city
def _city_index(new_form=None, import_form=None, problems=None, status: int = 200):
    templates = services.list_templates()
    return render_template("scoring/city_index.html", templates=templates,
                           new_form=new_form or new_template_form(templates),
                           import_form=import_form or ImportTemplateForm(), problems=problems or [],
                           locks={lock.year: lock for lock in years.list_locks()}), status


@city_bp.route("/")
@city_role()
def city_index():
    return _city_index()


@city_bp.route("/new", methods=["POST"])
@city_role(admin=True)
def new_template():
    form = new_template_form(services.list_templates())
    if form.validate_on_submit():
        try:
            template = services.create_template(form.year.data, form.name.data, source=form.source.data,
                                                actor=current_actor())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("Draft %(label)s created.", label=template.label), "success")
            return redirect(url_for("city.scoring.template", template_id=template.id))
    return _city_index(new_form=form)


@city_bp.route("/import", methods=["POST"])
@city_role(admin=True)
def import_template():
    form = ImportTemplateForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read(MAX_UPLOAD + 1)
        if len(content) > MAX_UPLOAD:
            form.file.errors = [_("The file is larger than %(n)s MB.", n=MAX_UPLOAD // (1024 * 1024))]
            return _city_index(import_form=form)
        try:
            template = services.import_template(upload.filename or "", content, actor=current_actor())
        except services.TemplateInvalid as error:
            flash(str(error.message), "danger")
            return _city_index(import_form=form, problems=error.problems)
        except DomainError as error:
            show_error(None, error)
        else:
            flash(_("Imported as draft %(label)s.", label=template.label), "success")
            return redirect(url_for("city.scoring.template", template_id=template.id))
    return _city_index(import_form=form)


def _editor_problems(form: TemplateEditorForm, problems: list) -> dict[str, list[str]]:
    """Put each engine problem on its editor field; return the ones for lists and groups."""
    leaves = {}

    def walk(field):
        if hasattr(field, "entries"):
            for entry in field.entries:
                yield from walk(entry)
        elif hasattr(field, "form") and hasattr(field.form, "_fields"):
            for sub in field.form:
                yield from walk(sub)
        else:
            yield field

    for top in form:
        for leaf in walk(top):
            leaves[leaf.name] = leaf
    groups: dict[str, list[str]] = {}
    for problem in problems:
        name = field_name(problem.path)
        if name in leaves:
            leaves[name].errors = list(leaves[name].errors) + [services.say(problem.message)]
        else:
            groups.setdefault(name, []).append(services.say(problem.message))
    return groups


def _render_editor(template, form: TemplateEditorForm, problems: list, status: int = 200):
    groups = _editor_problems(form, problems)
    return render_template("scoring/template_editor.html", template=template, form=form, problems=problems,
                           groups=groups, action_form=EditionActionForm(data={"version": template.version})), status


def _render_view(template, assign_form: AssignForm | None = None, status: int = 200):
    tenants = tenancy.list_tenants(include_archived=False)
    current = services.year_assignments(template.year)
    ticked = [t.id for t in tenants if t.id in current and current[t.id].template_id == template.id]
    form = assign_form or AssignForm(formdata=None, data={"bureaus": ticked})
    # What the page shows now is what a save compares with (see AssignForm).
    form.shown.data = ",".join(str(i) for i in ticked) if assign_form is None else form.shown.data
    form.bureaus.choices = [SelectChoice(t.id, t.name) for t in tenants]
    return render_template("scoring/template_view.html", template=template, body=template.body,
                           problems=services.template_problems(template.body), assign_form=form,
                           tenants=tenants, current=current,
                           action_form=EditionActionForm(data={"version": template.version})), status


@city_bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@city_role()
def template(template_id: int):
    template = services.get_template(template_id)
    if template.is_published or not current_user.is_city_admin or not fits_editor(template.body):
        if request.method == "POST":
            abort(403 if not current_user.is_city_admin else 409)
        if not template.is_published and current_user.is_city_admin:
            flash(_("This draft is larger than the editor allows (see the problems): export it, correct it and "
                    "import it again, or delete it."), "warning")
        return _render_view(template)
    if request.method == "GET":
        form = TemplateEditorForm(formdata=None, data=dict(editor_data(template.body), version=template.version))
        return _render_editor(template, form, services.template_problems(template.body))
    form = TemplateEditorForm()
    if not form.validate():
        flash(_("Some fields are too long or invalid: see the marked fields."), "danger")
        return _render_editor(template, form, [])
    body = body_from_editor(form, template.body)
    op = request.form.get("op", "save")
    anchor = ""
    if op != "save":
        try:
            body, anchor = apply_op(body, op)
        except BadOperation:
            flash(_("Unknown editor action."), "danger")
            return _render_editor(template, form, [])
    try:
        problems = services.save_draft(template, body, version=form.version.data, actor=current_actor())
    except Conflict as error:
        flash(str(error.message), "danger")
        return redirect(url_for("city.scoring.template", template_id=template.id))
    except DomainError as error:
        show_error(None, error)
        return _render_editor(template, form, [])
    if op == "save":
        if problems:
            flash(_("Saved. The template still has %(n)s problem(s); it can be published once there are none.",
                    n=len(problems)), "warning")
        else:
            flash(_("Saved. The template is valid and can be published."), "success")
    return redirect(url_for("city.scoring.template", template_id=template.id) + (f"#{anchor}" if anchor else ""))


@city_bp.route("/templates/<int:template_id>/publish", methods=["POST"])
@city_role(admin=True)
def publish(template_id: int):
    template = services.get_template(template_id)
    form = EditionActionForm()
    try:
        services.publish(template, version=form.version.data, actor=current_actor())
    except services.TemplateInvalid as error:
        flash(str(error.message), "danger")
        for problem in error.problems:
            flash(services.problem_text(problem), "danger")
    except DomainError as error:
        show_error(None, error)
    else:
        flash(_("%(label)s is published. Assign it to the bureaus now.", label=template.label), "success")
    return redirect(url_for("city.scoring.template", template_id=template.id))


@city_bp.route("/templates/<int:template_id>/new-edition", methods=["POST"])
@city_role(admin=True)
def new_edition(template_id: int):
    template = services.get_template(template_id)
    EditionActionForm()
    copy = services.new_edition(template, actor=current_actor())
    flash(_("Draft %(label)s created from the previous edition.", label=copy.label), "success")
    return redirect(url_for("city.scoring.template", template_id=copy.id))


@city_bp.route("/templates/<int:template_id>/delete", methods=["POST"])
@city_role(admin=True)
def delete_template(template_id: int):
    template = services.get_template(template_id)
    form = EditionActionForm()
    label = template.label
    try:
        services.delete_draft(template, version=form.version.data, actor=current_actor())
    except DomainError as error:
        show_error(None, error)
        return redirect(url_for("city.scoring.template", template_id=template.id))
    flash(_("Draft %(label)s deleted.", label=label), "success")
    return redirect(url_for("city.scoring.city_index"))


@city_bp.route("/templates/<int:template_id>/assign", methods=["POST"])
@city_role(admin=True)
def assign(template_id: int):
    template = services.get_template(template_id)
    tenants = tenancy.list_tenants(include_archived=False)
    form = AssignForm()
    form.bureaus.choices = [SelectChoice(t.id, t.name) for t in tenants]
    if not form.validate_on_submit():
        flash_field_errors(form)
        return _render_view(template, assign_form=form, status=400)
    # The bureaus listed on the page (active ones): an archived bureau's assignment is
    # never changed from here.
    listed = [t.id for t in tenants]
    if "all" in request.form:
        chosen, shown, clear = listed, [], False
    elif "none" in request.form:
        chosen, shown, clear = [], listed, True
    else:
        shown = form.shown_ids()
        chosen, shown, clear = form.bureaus.data, listed if shown is None else shown, False
    try:
        change = services.set_assignments(template, chosen, shown=shown, unassign_all=clear, actor=current_actor())
    except ValidationError as error:
        form.bureaus.errors = list(form.bureaus.errors) + [str(m) for ms in error.errors.values() for m in ms]
        flash(str(error.message), "danger")
        return _render_view(template, assign_form=form, status=400)
    except DomainError as error:
        show_error(None, error)
    else:
        if change["added"] or change["removed"]:
            flash(_("Assignment saved: %(added)s bureau(s) added, %(removed)s removed.",
                    added=len(change["added"]), removed=len(change["removed"])), "success")
        else:
            flash(_("Nothing changed: the assignment is as it was."), "info")
    return redirect(url_for("city.scoring.template", template_id=template.id))


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response


def _document_bytes(document: dict, fmt: str) -> tuple[bytes, str]:
    plain = services.plain(document)
    if fmt == "json":
        return json.dumps(plain, ensure_ascii=False, indent=2).encode("utf-8"), "application/json"
    return yaml.safe_dump(plain, allow_unicode=True, sort_keys=False).encode("utf-8"), "application/yaml"


@city_bp.route("/templates/<int:template_id>/export.<fmt>")
@city_role()
def export_template(template_id: int, fmt: str):
    template = services.get_template(template_id)
    stem = f"score-template-{template.year}-v{template.edition}"
    if fmt == "xlsx":
        return _download(xlsx.write_template(template.body), f"{stem}.xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if fmt not in ("json", "yaml"):
        abort(404)
    data, mimetype = _document_bytes(template.body, fmt)
    return _download(data, f"{stem}.{fmt}", mimetype)


# ============================================================================ bureau
def assessor(view: Callable) -> Callable:
    """The review pages: city roles only (bureau users never see the review before the
    sheet is final); writing needs a city administrator."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.bureau.is_city:
            abort(403)
        if request.method not in ("GET", "HEAD") and not current_user.is_city_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _lock_notice(year: int) -> str | None:
    lock = years.get_lock(year)
    return years.lock_message(lock) if lock is not None else None


@bureau_bp.route("/")
@bureau_role()
def index():
    rows = services.sheet_overview(g.bureau.tenant_id)
    locked = {row["year"]: _lock_notice(row["year"]) for row in rows}
    return render_template("scoring/index.html", rows=rows, locked=locked, action_form=VersionForm())


@bureau_bp.route("/<int:year>/start", methods=["POST"])
@bureau_role("bureau_editor")
def start(year: int):
    VersionForm()
    try:
        services.start_sheet(year, tenant_id=g.bureau.tenant_id, assessee_name=g.bureau.name, actor=current_actor())
    except DomainError as error:
        show_error(None, error)
        return redirect(url_for("bureau.scoring.index"))
    flash(_("The %(year)s self-assessment has been started.", year=year), "success")
    return redirect(url_for("bureau.scoring.sheet", year=year))


def _self_editable(sheet) -> bool:
    return sheet.status == DRAFT and g.bureau.can_edit and not years.is_locked(sheet.year)


def _render_sheet(sheet, form=None, loose: list[str] | None = None):
    city = g.bureau.is_city
    editable = _self_editable(sheet)
    evidence = services.evidence_choices(sheet.year) if editable else None
    if editable and form is None:
        form = sheet_form(sheet.template_body, "self", evidence=evidence, formdata=None,
                          data=sheet_form_data(sheet, "self"))
    visible = services.review_visible(sheet, city=city)
    result = services.evaluate_sheet(sheet)[0] if visible else None
    assigned = services.assigned_template(g.bureau.tenant_id, sheet.year)
    newer = assigned if assigned is not None and sheet.status == DRAFT and (
        assigned.id != sheet.template_id or assigned.edition != sheet.template_edition) else None
    return render_template("scoring/sheet.html", sheet=sheet, form=form if editable else None, loose=loose or [],
                           rows=_rows(sheet, visible), own=services.running(sheet, "self"),
                           reviewer=services.running(sheet, "reviewer") if visible else None,
                           result=result, visible=visible, lock=_lock_notice(sheet.year), newer=newer,
                           evidence_options=services.evidence_options(evidence or []),
                           action_form=VersionForm(data={"version": sheet.version}))


def _rows(sheet, visible: bool) -> list[dict]:
    """Per indicator: the template's indicator, its entry, and the scores to show."""
    own = services.running(sheet, "self")
    reviewer = services.running(sheet, "reviewer") if visible else None
    rows = []
    for dimension, indicator in services.indicators_of(sheet.template_body):
        code = indicator["code"]
        rows.append({"dimension": dimension, "indicator": indicator, "entry": sheet.entry_for(code),
                     "self": own.score_of(code), "reviewer": reviewer.score_of(code) if reviewer else None})
    return rows


def _other_mistakes(sheet, part: str, form) -> list[str]:
    """Mark the engine's refusals (a score out of range, an unknown level) beside the
    form's own (a number typed wrongly), so that every mistake is shown at once."""
    return place_errors(form, services.check_inputs(sheet, part, entry_inputs(form)))


@bureau_bp.route("/<int:year>", methods=["GET", "POST"])
@bureau_role()
def sheet(year: int):
    sheet = services.get_sheet(year)
    if request.method == "GET":
        return _render_sheet(sheet)
    if not g.bureau.can_edit:
        abort(403)
    form = sheet_form(sheet.template_body, "self", evidence=services.evidence_choices(year))
    if not form.validate_on_submit():
        flash(_("The score sheet could not be saved: check the marked indicators."), "danger")
        return _render_sheet(sheet, form, loose=_other_mistakes(sheet, "self", form))
    try:
        services.save_self(sheet, entry_inputs(form), summary=form.summary.data, version=form.version.data,
                           actor=current_actor())
    except Conflict as error:
        flash(str(error.message), "danger")
        return _render_sheet(sheet)
    except ValidationError as error:
        flash(str(error.message), "danger")
        return _render_sheet(sheet, form, loose=place_errors(form, error.errors))
    except DomainError as error:
        show_error(None, error)
        return _render_sheet(sheet)
    flash(_("Saved."), "success")
    return redirect(url_for("bureau.scoring.sheet", year=year))


@bureau_bp.route("/<int:year>/refresh", methods=["POST"])
@bureau_role("bureau_editor")
def refresh(year: int):
    sheet = services.get_sheet(year)
    form = VersionForm()
    try:
        services.refresh_template(sheet, tenant_id=g.bureau.tenant_id, version=form.version.data,
                                  actor=current_actor())
    except DomainError as error:
        show_error(None, error)
    else:
        flash(_("The sheet now uses edition %(n)s of the template.", n=sheet.template_edition), "success")
    return redirect(url_for("bureau.scoring.sheet", year=year))


@bureau_bp.route("/<int:year>/submit", methods=["POST"])
@bureau_role("bureau_admin")
def submit(year: int):
    sheet = services.get_sheet(year)
    form = VersionForm()
    try:
        services.submit(sheet, version=form.version.data, actor=current_actor())
    except DomainError as error:
        show_error(None, error)
    else:
        flash(_("The self-assessment has been submitted to the city. It can no longer be changed."), "success")
    return redirect(url_for("bureau.scoring.sheet", year=year))


# ---------------------------------------------------------------------------- review
def _adjustment_rule_choices(sheet) -> list[tuple[str, str]]:
    choices = []
    for kind in ("bonus", "deduction", "veto"):
        for rule in services.adjustment_rules(sheet, kind):
            points = f"（{_figure(rule.get('points'))}）" if kind != "veto" else ""
            choices.append((rule["code"], f"{KIND_LABELS[kind]} · {rule['code']} {rule['title']}{points}"))
    return choices


def _render_review(sheet, review_form=None, ballot=None, adjustment=None, reopen=None, loose=None):
    writable = (current_user.is_city_admin and sheet.status in services.REVIEW_STATUSES
                and not years.is_locked(sheet.year))
    if review_form is None:
        review_form = sheet_form(sheet.template_body, "reviewer", formdata=None,
                                 data=sheet_form_data(sheet, "reviewer"))
    if ballot is None:
        data = {"version": sheet.version}
        if sheet.ballot is not None:
            data.update(eligible=sheet.ballot.eligible, present=sheet.ballot.present, held_on=sheet.ballot.held_on,
                        note=sheet.ballot.note)
            for index, label in enumerate(services.ballot_levels(sheet)):
                data[f"v{index}"] = sheet.ballot.counts.get(label, 0)
        ballot = ballot_form(services.ballot_levels(sheet), formdata=None, data=data)
    if adjustment is None:
        adjustment = adjustment_form(_adjustment_rule_choices(sheet), formdata=None, data={"version": sheet.version})
    if reopen is None:
        reopen = ReopenForm(formdata=None, data={"version": sheet.version})
    result, missing = services.evaluate_sheet(sheet)
    return render_template("scoring/review.html", sheet=sheet, form=review_form, ballot_form=ballot,
                           adjustment_form=adjustment, reopen_form=reopen, loose=loose or [],
                           rows=_rows(sheet, True), own=services.running(sheet, "self"),
                           reviewer=services.running(sheet, "reviewer"), result=result, missing=missing,
                           writable=writable, lock=_lock_notice(sheet.year),
                           action_form=VersionForm(data={"version": sheet.version}))


@bureau_bp.route("/<int:year>/review", methods=["GET", "POST"])
@bureau_role(city_may_post=True)
@assessor
def review(year: int):
    sheet = services.get_sheet(year)
    if request.method == "GET":
        return _render_review(sheet)
    form = sheet_form(sheet.template_body, "reviewer")
    if not form.validate_on_submit():
        flash(_("The review could not be saved: check the marked indicators."), "danger")
        return _render_review(sheet, review_form=form, loose=_other_mistakes(sheet, "reviewer", form))
    try:
        services.save_review(sheet, entry_inputs(form), comment=form.comment.data, version=form.version.data,
                             actor=current_actor())
    except Conflict as error:
        flash(str(error.message), "danger")
        return _render_review(sheet)
    except ValidationError as error:
        flash(str(error.message), "danger")
        return _render_review(sheet, review_form=form, loose=place_errors(form, error.errors))
    except DomainError as error:
        show_error(None, error)
        return _render_review(sheet)
    flash(_("The review has been saved."), "success")
    if "finish" in request.form:
        return redirect(url_for("bureau.scoring.finish", year=year))
    return redirect(url_for("bureau.scoring.review", year=year))


@bureau_bp.route("/<int:year>/review/finish", methods=["GET", "POST"])
@bureau_role(city_may_post=True)
@assessor
def finish(year: int):
    """Finish the review in one step: a page that says what will happen (the score, the
    grade, the lock, who sees it), then one button that completes and finalises."""
    sheet = services.get_sheet(year)
    if sheet.status not in services.REVIEW_STATUSES or not current_user.is_city_admin:
        flash(_("Only a submitted or reviewed sheet can be finalised."), "warning")
        return redirect(url_for("bureau.scoring.review", year=year))
    result, missing = services.evaluate_sheet(sheet)
    if request.method == "POST":
        form = VersionForm()
        try:
            services.complete_and_finalise(sheet, version=form.version.data, actor=current_actor())
        except DomainError as error:
            show_error(None, error)
            return redirect(url_for("bureau.scoring.review", year=year))
        flash(_("The sheet is final: the result is locked and visible to the bureau."), "success")
        return redirect(url_for("bureau.scoring.result", year=year))
    if result is None:
        flash(_("The review cannot be finished yet: see what is missing below."), "warning")
        return redirect(url_for("bureau.scoring.review", year=year) + "#result")
    return render_template("scoring/finish.html", sheet=sheet, result=result, lock=_lock_notice(sheet.year),
                           own=services.running(sheet, "self"), reviewer=services.running(sheet, "reviewer"),
                           action_form=VersionForm(data={"version": sheet.version}))


@bureau_bp.route("/<int:year>/review/ballot", methods=["POST"])
@bureau_role(city_may_post=True)
@assessor
def save_ballot(year: int):
    sheet = services.get_sheet(year)
    form = ballot_form(services.ballot_levels(sheet))
    if not form.validate_on_submit():
        flash(_("The ballot could not be saved."), "danger")
        # The service's refusals (more votes than people present …) beside the form's own.
        fields = dict(form.level_fields())
        others = services.check_ballot(sheet, {label: field.data for label, field in fields.items()
                                               if isinstance(field.data, int) and not field.errors},
                                       eligible=None if form.eligible.errors else form.eligible.data,
                                       present=None if form.present.errors else form.present.data,
                                       note=form.note.data or "")
        for key, messages in others.items():
            field = fields.get(key) or form._fields.get(key)
            if field is not None and not field.errors:
                field.errors = list(field.errors) + [str(m) for m in messages]
        return _render_review(sheet, ballot=form)
    try:
        services.save_ballot(sheet, {label: field.data for label, field in form.level_fields()},
                             eligible=form.eligible.data, present=form.present.data, held_on=form.held_on.data,
                             note=form.note.data or "", version=form.version.data, actor=current_actor())
    except ValidationError as error:
        flash(str(error.message), "danger")
        labels = dict((label, field) for label, field in form.level_fields())
        for key, messages in error.errors.items():
            field = labels.get(key) or form._fields.get(key)
            if field is not None:
                field.errors = list(field.errors) + [str(m) for m in messages]
        return _render_review(sheet, ballot=form)
    except DomainError as error:
        show_error(None, error)
        return _render_review(sheet)
    flash(_("The ballot has been saved."), "success")
    return redirect(url_for("bureau.scoring.review", year=year) + "#ballot")


@bureau_bp.route("/<int:year>/review/adjustments", methods=["POST"])
@bureau_role(city_may_post=True)
@assessor
def add_adjustment(year: int):
    sheet = services.get_sheet(year)
    form = adjustment_form(_adjustment_rule_choices(sheet))
    if not form.validate_on_submit():
        flash(_("The adjustment could not be added."), "danger")
        # Mark the service's refusals too (a veto without 文号 …), beside the form's own.
        others = services.check_adjustment(sheet, kind=form.kind.data, rule=form.rule.data, points=form.points.data,
                                           reason=form.reason.data or "", document=form.document.data or "")
        for key, messages in others.items():
            field = form._fields.get(key)
            if field is not None and not field.errors:
                field.errors = list(field.errors) + [str(m) for m in messages]
        return _render_review(sheet, adjustment=form)
    try:
        services.add_adjustment(sheet, kind=form.kind.data, rule=form.rule.data, points=form.points.data,
                                reason=form.reason.data, document=form.document.data or "",
                                version=form.version.data, actor=current_actor())
    except ValidationError as error:
        flash(str(error.message), "danger")
        for key, messages in error.errors.items():
            field = form._fields.get(key)
            if field is not None:
                field.errors = list(field.errors) + [str(m) for m in messages]
            else:
                for message in messages:
                    flash(str(message), "danger")
        return _render_review(sheet, adjustment=form)
    except DomainError as error:
        show_error(None, error)
        return _render_review(sheet)
    flash(_("The adjustment has been added."), "success")
    return redirect(url_for("bureau.scoring.review", year=year) + "#adjustments")


@bureau_bp.route("/<int:year>/review/adjustments/<int:adjustment_id>/delete", methods=["POST"])
@bureau_role(city_may_post=True)
@assessor
def delete_adjustment(year: int, adjustment_id: int):
    sheet = services.get_sheet(year)
    form = VersionForm()
    try:
        services.delete_adjustment(sheet, adjustment_id, version=form.version.data, actor=current_actor())
    except DomainError as error:
        show_error(None, error)
    else:
        flash(_("The adjustment has been removed."), "success")
    return redirect(url_for("bureau.scoring.review", year=year) + "#adjustments")


def _status_action(year: int, action: Callable, done: str):
    sheet = services.get_sheet(year)
    form = VersionForm()
    try:
        action(sheet, version=form.version.data, actor=current_actor())
    except DomainError as error:
        show_error(None, error)
    else:
        flash(done, "success")
    return redirect(url_for("bureau.scoring.review", year=year))


@bureau_bp.route("/<int:year>/review/complete", methods=["POST"])
@bureau_role(city_may_post=True)
@assessor
def complete_review(year: int):
    return _status_action(year, services.complete_review, _("The review is complete; the sheet can be finalised."))


@bureau_bp.route("/<int:year>/finalise", methods=["POST"])
@bureau_role(city_may_post=True)
@assessor
def finalise(year: int):
    return _status_action(year, services.finalise,
                          _("The sheet is final: the result is locked and visible to the bureau."))


@bureau_bp.route("/<int:year>/reopen", methods=["POST"])
@bureau_role(city_may_post=True)
@assessor
def reopen(year: int):
    sheet = services.get_sheet(year)
    form = ReopenForm()
    if not form.validate_on_submit():
        flash(_("The sheet could not be reopened."), "danger")
        return _render_review(sheet, reopen=form)
    try:
        services.reopen(sheet, target=form.target.data, reason=form.reason.data, version=form.version.data,
                        actor=current_actor())
    except DomainError as error:
        show_error(None, error)
    else:
        flash(_("The sheet has been reopened."), "success")
    return redirect(url_for("bureau.scoring.review", year=year))


# ---------------------------------------------------------------------------- results
def _visible_sheet_or_redirect(year: int):
    sheet = services.get_sheet(year)
    if not services.review_visible(sheet, city=g.bureau.is_city):
        flash(_("The result is published when the city finalises the sheet."), "info")
        return sheet, redirect(url_for("bureau.scoring.sheet", year=year))
    return sheet, None


@bureau_bp.route("/<int:year>/result")
@bureau_role()
def result(year: int):
    sheet, refused = _visible_sheet_or_redirect(year)
    if refused is not None:
        return refused
    result, missing = services.evaluate_sheet(sheet)
    return render_template("scoring/result.html", sheet=sheet, result=result, missing=missing,
                           rows=_rows(sheet, True), body=sheet.template_body)


@bureau_bp.route("/<int:year>/print")
@bureau_role()
def printout(year: int):
    sheet, refused = _visible_sheet_or_redirect(year)
    if refused is not None:
        return refused
    result, missing = services.evaluate_sheet(sheet)
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    signed = (sheet.finalised_at or utcnow()).astimezone(zone).date()
    return render_template("scoring/print.html", sheet=sheet, result=result, missing=missing,
                           rows=_rows(sheet, True), body=sheet.template_body, signed=signed, pdf=False)


@bureau_bp.route("/<int:year>/scores.<fmt>")
@bureau_role()
def export_scores(year: int, fmt: str):
    if fmt not in ("json", "yaml"):
        abort(404)
    sheet = services.get_sheet(year)
    document = services.scores_document(sheet, review=services.review_visible(sheet, city=g.bureau.is_city))
    data, mimetype = _document_bytes(document, fmt)
    return _download(data, f"scores-{g.bureau.slug}-{year}.{fmt}", mimetype)


@bureau_bp.route("/<int:year>/template.<fmt>")
@bureau_role()
def export_sheet_template(year: int, fmt: str):
    """The template body the sheet is scored on (what ``flask scoring evaluate`` needs
    next to the scores)."""
    if fmt not in ("json", "yaml"):
        abort(404)
    sheet = services.get_sheet(year)
    data, mimetype = _document_bytes(sheet.template_body, fmt)
    return _download(data, f"template-{g.bureau.slug}-{year}.{fmt}", mimetype)

