"""The city's pages of city tasks (``/city/tasks/...``): issue, board, answers, 督办."""
from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.accounts.decorators import city_role
from app.errors import DomainError, NotFound
from app.evidence.downloads import send_blob
from app.evidence.services import Upload
from app.evidence.storage import KINDS, max_bytes
from app.tenancy import services as tenancy
from app.tenancy.models import BUREAU_CATEGORIES
from app.tenancy.session import tenant_context
from app.web import answer_error, current_actor

from . import city_bp, services, xlsx
from .forms import ReviewForm, TaskForm, UrgeForm
from .labels import FILE_ROLE_LABELS, SCOPE_LABELS, STATE_LABELS
from .models import ACCEPTED, RETURNED, STATES

UPLOAD_ENDPOINTS = {"city.citytasks.new"}
FORM_OVERHEAD = 1024 * 1024


@city_bp.url_value_preprocessor
def allow_uploads(endpoint: str | None, _values: dict | None) -> None:
    # Before Flask-WTF parses the body: a file a little over the limit gets a form error, not a 413 page.
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = max_bytes() * services.MAX_TASK_FILES + FORM_OVERHEAD


def _task(task_id: int):
    try:
        return services.get_task(task_id)
    except NotFound:
        abort(404)


def _uploads(name: str) -> list[Upload]:
    return [Upload(stream=f.stream, filename=f.filename) for f in request.files.getlist(name) if f]


@city_bp.route("/")
@city_role()
def index():
    return render_template("citytasks/city_index.html", rows=services.list_tasks(), today=services.today(),
                           STATES=STATES)


@city_bp.route("/new", methods=["GET", "POST"])
@city_role(admin=True)
def new():
    form = TaskForm()
    bureaus = services.active_tenants()
    form.category.choices = [SelectChoice("", "—")] + [SelectChoice(k, v) for k, v in BUREAU_CATEGORIES.items()]
    form.tenant_ids.choices = [SelectChoice(str(t.id), t.name) for t in bureaus]
    status = 200
    if form.validate_on_submit():
        data = {"title": form.title.data, "body": form.body.data, "due_on": form.due_on.data,
                "file_required": form.file_required.data, "per_branch": form.per_branch.data, "scope": form.scope.data, "category": form.category.data,
                "tenant_ids": form.tenant_ids.data}
        try:
            task = services.issue_task(data, notice_files=_uploads("notice_files"), form_files=_uploads("form_files"),
                                       actor=current_actor())
        except DomainError as error:
            answer_error(error, form)
            status = error.http_status
        else:
            flash(_("The task has been issued to %(n)s bureaus.", n=len(task.assignments)), "success")
            return redirect(url_for("city.citytasks.board", task_id=task.id))
    elif request.method == "POST":
        status = 400
    return render_template("citytasks/city_new.html", form=form, bureaus=bureaus, categories=BUREAU_CATEGORIES,
                           max_files=services.MAX_TASK_FILES), status


def _filters() -> dict:
    return services.board_filters(request.args)


@city_bp.route("/<int:task_id>")
@city_role()
def board(task_id: int):
    task = _task(task_id)
    filters = _filters()
    result = services.board(task, **filters)
    return render_template("citytasks/city_board.html", task=task, board=result, filters=filters,
                           categories=BUREAU_CATEGORIES, STATES=STATES, urge_form=UrgeForm(),
                           is_overdue=services.is_overdue, FILE_ROLE_LABELS=FILE_ROLE_LABELS,
                           SCOPE_LABELS=SCOPE_LABELS)


@city_bp.route("/<int:task_id>/board.xlsx")
@city_role()
def board_xlsx(task_id: int):
    task = _task(task_id)
    result = services.board(task, **_filters())
    data = xlsx.board_workbook(result)
    name = _("Progress board") + f" {task.title[:40]} {services.today().isoformat()}.xlsx"
    return send_file(io.BytesIO(data), mimetype=KINDS["xlsx"][1], as_attachment=True, download_name=name,
                     max_age=0)


@city_bp.route("/<int:task_id>/urge", methods=["POST"])
@city_role(admin=True)
def urge(task_id: int):
    task = _task(task_id)
    form = UrgeForm()
    if form.validate_on_submit():
        try:
            count = services.urge(task, actor=current_actor())
        except DomainError as error:
            answer_error(error)
        else:
            flash(_("%(n)s bureaus have been urged (in-app notice and the city's message gateway).", n=count),
                  "success")
    return redirect(url_for("city.citytasks.board", task_id=task.id))


@city_bp.route("/<int:task_id>/files/<int:file_id>")
@city_role()
def task_file(task_id: int, file_id: int):
    task = _task(task_id)
    try:
        row = services.get_city_file(task, file_id)
        stream = services.open_city_file(row)
    except NotFound:
        abort(404)
    return send_blob(stream, services.CITY_FILES, row.sha256,
                     mimetype=KINDS.get(row.kind, ("", "application/octet-stream"))[1], download_name=row.original_name)


def _bureau_page(task, tenant, form, status=200):
    assignment = services.assignment_for(task.id, tenant.id)
    form.version.data = assignment.version
    return render_template("citytasks/city_answer.html", task=task, tenant=tenant, a=assignment,
                           answers=services.answers(task.id), form=form,
                           parts=services.branch_parts(assignment, current_actor()),
                           overdue=services.is_overdue(assignment), STATE_LABELS=STATE_LABELS), status


@city_bp.route("/<int:task_id>/bureaus/<bureau>", methods=["GET", "POST"])
@city_role()
def answer(task_id: int, bureau: str):
    """One bureau's answers to the task, with accept / return."""
    task = _task(task_id)
    try:
        tenant = tenancy.get_tenant(bureau)
    except NotFound:
        abort(404)
    with tenant_context(tenant):
        try:
            assignment = services.assignment_for(task.id, tenant.id)
        except NotFound:
            abort(404)
        form = ReviewForm()
        if request.method == "GET":
            return _bureau_page(task, tenant, ReviewForm(formdata=None))
        if not current_actor().is_city_admin:
            abort(403)
        if not form.validate_on_submit():
            return _bureau_page(task, tenant, form, 400)
        decision = ACCEPTED if form.accept.data else RETURNED if form.send_back.data else form.decision.data
        try:
            services.review(assignment, decision, form.reason.data, version=form.version.data,
                            actor=current_actor())
        except DomainError as error:
            answer_error(error, form)
            return _bureau_page(task, tenant, form, error.http_status)
        flash(_("The answer has been accepted.") if decision == ACCEPTED
              else _("The answer has been returned to the bureau."), "success")
    return redirect(url_for("city.citytasks.board", task_id=task.id))


@city_bp.route("/<int:task_id>/bureaus/<bureau>/files/<int:file_id>")
@city_role()
def answer_file(task_id: int, bureau: str, file_id: int):
    task = _task(task_id)
    try:
        tenant = tenancy.get_tenant(bureau)
    except NotFound:
        abort(404)
    with tenant_context(tenant):
        try:
            services.assignment_for(task.id, tenant.id)
            row = services.get_answer_file(task.id, file_id)
            stream = services.open_answer_file(row)
        except NotFound:
            abort(404)
        return send_blob(stream, tenant.slug, row.sha256,
                         mimetype=KINDS.get(row.kind, ("", "application/octet-stream"))[1],
                         download_name=row.original_name)
