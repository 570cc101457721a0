"""The bureau's pages of city tasks (``/b/<slug>/tasks/...``)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.decorators import bureau_role
from app.errors import DomainError, NotFound
from app.evidence.downloads import send_blob
from app.evidence.services import Upload
from app.evidence.storage import KINDS, max_bytes
from app.orgs import services as orgs
from app.web import answer_error, current_actor

from . import bp, services
from .forms import AnswerForm, BranchPartForm, SignForm
from .labels import FILE_ROLE_LABELS, STATE_COLOURS, STATE_LABELS

UPLOAD_ENDPOINTS = {"bureau.citytasks.answer", "bureau.citytasks.branch_part"}
FORM_OVERHEAD = 1024 * 1024


@bp.url_value_preprocessor
def allow_uploads(endpoint: str | None, _values: dict | None) -> None:
    # Before Flask-WTF parses the body: a file a little over the limit gets a form error, not a 413 page.
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = max_bytes() * services.MAX_ANSWER_FILES + FORM_OVERHEAD


@bp.app_context_processor
def _labels() -> dict:
    def owing_tasks() -> int:
        """The current bureau's tasks still owing an answer, once per request."""
        bureau = g.get("bureau")
        if bureau is None:
            return 0
        if "zeren_owing_tasks" not in g:
            g.zeren_owing_tasks = services.owing_count(bureau.tenant_id)
        return g.zeren_owing_tasks

    return {"TASK_STATE_LABELS": {k: str(v) for k, v in STATE_LABELS.items()}, "TASK_STATE_COLOURS": STATE_COLOURS,
            "owing_tasks": owing_tasks}


def _uploads(name: str) -> list[Upload]:
    return [Upload(stream=f.stream, filename=f.filename) for f in request.files.getlist(name) if f]


def _assignment(task_id: int):
    try:
        return services.assignment_for(task_id, g.bureau.tenant_id)
    except NotFound:
        abort(404)


def _is_branch_user() -> bool:
    return orgs.is_branch_user(current_actor())


def _assignment_for_branch(task_id: int):
    # A branch user sees the tasks the city asked of every branch, and no other.
    assignment = _assignment(task_id)
    if _is_branch_user() and not assignment.task.per_branch:
        abort(404)
    return assignment


@bp.route("/")
@bureau_role(branch=True)
def index():
    if _is_branch_user():
        rows = services.branch_tasks_of_bureau(g.bureau.tenant_id)
    else:
        rows = services.tasks_of_bureau(g.bureau.tenant_id)
    return render_template("citytasks/bureau_index.html", rows=rows, is_overdue=services.is_overdue)


@bp.route("/<int:task_id>")
@bureau_role(branch=True)
def detail(task_id: int):
    assignment = _assignment_for_branch(task_id)
    if not g.bureau.read_only:  # an archived or moving bureau records nothing, not even a read receipt
        services.mark_read(assignment, actor=current_actor())
    return _render(assignment, SignForm(formdata=None), AnswerForm(formdata=None))


def _render(assignment, sign_form, answer_form, status: int = 200, part_form=None, part_unit: int | None = None):
    sign_form.version.data = assignment.version
    answer_form.version.data = assignment.version
    part_form = part_form or BranchPartForm(formdata=None)
    part_form.version.data = assignment.version
    return render_template("citytasks/bureau_detail.html", a=assignment, task=assignment.task,
                           answers=services.answers(assignment.task_id), sign_form=sign_form,
                           answer_form=answer_form, overdue=services.is_overdue(assignment),
                           parts=services.branch_parts(assignment, current_actor()), part_form=part_form,
                           part_unit=part_unit, branch_user=_is_branch_user(),
                           FILE_ROLE_LABELS=FILE_ROLE_LABELS, max_files=services.MAX_ANSWER_FILES), status


@bp.route("/<int:task_id>/branches/<int:unit_id>", methods=["POST"])
@bureau_role("bureau_editor", branch=True)
def branch_part(task_id: int, unit_id: int):
    """A branch's part of a per-branch task."""
    assignment = _assignment_for_branch(task_id)
    form = BranchPartForm()
    if not form.validate_on_submit():
        return _render(assignment, SignForm(formdata=None), AnswerForm(formdata=None), 400, form, unit_id)
    try:
        services.submit_branch_part(assignment, unit_id, {"text": form.text.data}, files=_uploads("files"),
                                    version=form.version.data, actor=current_actor())
    except NotFound:
        abort(404)
    except DomainError as error:
        answer_error(error, form)
        return _render(assignment, SignForm(formdata=None), AnswerForm(formdata=None), error.http_status, form,
                       unit_id)
    flash(_("The branch's part has been saved; the bureau submits all parts to the city together."), "success")
    return redirect(url_for("bureau.citytasks.detail", task_id=task_id))


@bp.route("/<int:task_id>/sign", methods=["POST"])
@bureau_role("bureau_editor")
def sign(task_id: int):
    assignment = _assignment(task_id)
    form = SignForm()
    if form.validate_on_submit():
        try:
            services.sign(assignment, version=form.version.data, actor=current_actor())
        except DomainError as error:
            answer_error(error, form)
            return _render(assignment, form, AnswerForm(formdata=None), error.http_status)
        flash(_("Signed for. Now prepare and submit the answer."), "success")
    return redirect(url_for("bureau.citytasks.detail", task_id=task_id))


@bp.route("/<int:task_id>/answer", methods=["POST"])
@bureau_role("bureau_editor")
def answer(task_id: int):
    assignment = _assignment(task_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _render(assignment, SignForm(formdata=None), form, 400)
    try:
        services.submit_answer(assignment, {"text": form.text.data}, files=_uploads("files"),
                               version=form.version.data, actor=current_actor())
    except DomainError as error:
        answer_error(error, form)
        return _render(assignment, SignForm(formdata=None), form, error.http_status)
    flash(_("The answer has been submitted to the city."), "success")
    return redirect(url_for("bureau.citytasks.detail", task_id=task_id))


@bp.route("/<int:task_id>/files/<int:file_id>")
@bureau_role(branch=True)
def task_file(task_id: int, file_id: int):
    """An attachment of the task (the city's notice or form)."""
    assignment = _assignment_for_branch(task_id)
    try:
        row = services.get_city_file(assignment.task, file_id)
        stream = services.open_city_file(row)
    except NotFound:
        abort(404)
    return send_blob(stream, services.CITY_FILES, row.sha256,
                     mimetype=KINDS.get(row.kind, ("", "application/octet-stream"))[1], download_name=row.original_name)


@bp.route("/<int:task_id>/answer-files/<int:file_id>")
@bureau_role(branch=True)
def answer_file(task_id: int, file_id: int):
    """A file of the bureau's own answer or of a branch's part."""
    _assignment_for_branch(task_id)
    try:
        row = services.get_answer_file(task_id, file_id, current_actor())
        stream = services.open_answer_file(row)
    except NotFound:
        abort(404)
    return send_blob(stream, g.bureau.slug, row.sha256,
                     mimetype=KINDS.get(row.kind, ("", "application/octet-stream"))[1], download_name=row.original_name)
