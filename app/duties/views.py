"""Bureau pages of the duty lists (``/b/<slug>/duties/...``).

Views parse the request, call :mod:`app.duties.services` and render; the services hold
the rules (permissions included) and raise :mod:`app.errors` exceptions, which become
form errors, flashed messages or HTTP statuses here.
"""
from __future__ import annotations

import io

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app.accounts import services as accounts
from app.accounts.decorators import bureau_role
from app.errors import Conflict, DomainError, Locked, NotFound, PermissionDenied
from app.tenancy import services as tenancy
from app.web import answer_error, current_actor, flash_field_errors, show_error

from app.meetings import services as meetings
from app.orgs import services as orgs

from . import bp, catalog, services, xlsx
from .forms import (ApproveForm, AssignForm, ConfirmVersionForm, FilesForm, FilterForm, ImportForm, ItemForm, ListForm,
                    MoveForm, NewListForm, PersonForm, PublishForm, RecordForm, ReturnForm, choices, status_choices)
from app.evidence.downloads import send_blob
from app.evidence.labels import FILE_KIND_LABELS
from app.evidence.services import MAX_FILES_PER_UPLOAD, human_size
from app.evidence.storage import KINDS, max_bytes
from app.people import services as people_services
from app.people.labels import PERSON_KIND_LABELS

from app.deadlines.labels import WARNING_BADGES, WARNING_LABELS
from .labels import (CADENCE_LABELS, CATEGORIES, LIST_STATUS_LABELS, REVIEW_BADGES, REVIEW_LABELS, STATUS_BADGES,
                     STATUS_LABELS)
from .models import APPROVED, PENDING
from .services import Filters, Upload

#: The list page's filters (kept by its bulk-assignment form).
FILTER_KEYS = ("category", "area", "owner", "status", "attention", "q", "due")
#: Endpoints that receive files: their request size limit follows the attachment limit.
UPLOAD_ENDPOINTS = {"bureau.duties.add_record", "bureau.duties.add_files", "bureau.duties.import_items"}
FORM_OVERHEAD = 1024 * 1024


@bp.url_value_preprocessor
def allow_uploads(endpoint: str | None, _values: dict | None) -> None:
    # Runs before Flask-WTF's CSRF check parses the body: a file a little over the
    # per-file limit then reaches the service and gets a form error instead of a 413 page.
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = max_bytes() * MAX_FILES_PER_UPLOAD + FORM_OVERHEAD


@bp.app_context_processor
def labels() -> dict:
    # App-wide: the bureau home page and the city's template pages show these labels too.
    # Translated once per render into plain strings: a 300-row list would otherwise
    # resolve thousands of lazy strings.
    def plain(mapping: dict) -> dict:
        return {code: str(label) for code, label in mapping.items()}

    return {"CATEGORIES": plain(CATEGORIES), "CADENCE_LABELS": plain(CADENCE_LABELS),
            "STATUS_LABELS": plain(STATUS_LABELS), "STATUS_BADGES": STATUS_BADGES,
            "LIST_STATUS_LABELS": plain(LIST_STATUS_LABELS), "PERSON_KIND_LABELS": plain(PERSON_KIND_LABELS),
            "FILE_KIND_LABELS": FILE_KIND_LABELS, "BEHIND_LABEL": _("Behind schedule"),
            "WARNING_LABELS": plain(WARNING_LABELS), "WARNING_BADGES": WARNING_BADGES,
            "REVIEW_LABELS": plain(REVIEW_LABELS), "REVIEW_BADGES": REVIEW_BADGES, "LATE_LABEL": _("Late entry (补录)"),
            "human_size": human_size}



def _stale(form, current: dict) -> dict:
    """After a refused stale submit: the values the user typed that differ from the
    stored ones (shown next to the form), and the form reset to the stored values."""
    submitted = {}
    for name, value in current.items():
        field = getattr(form, name, None)
        if field is None:
            continue
        mine = "" if field.data is None else str(field.data)
        theirs = "" if value is None else str(value)
        if mine.strip() != theirs.strip():
            submitted[str(field.label.text)] = mine
        field.data = theirs
    return submitted


def _uploads(field) -> list[Upload]:
    return [Upload(stream=f.stream, filename=f.filename) for f in (field.data or []) if getattr(f, "filename", None)]


# -- lists ----------------------------------------------------------------------------
@bp.route("/")
@bureau_role()
def index():
    lists = services.list_lists()
    rows = services.item_rows(lists) if lists else []
    per_list = {l.id: services.summarise([r for r in rows if r.item.list_id == l.id]) for l in lists}
    return render_template("duties/index.html", lists=lists, per_list=per_list, actor=current_actor())


def _template_choices() -> list:
    published = catalog.published_templates()
    found = [(str(t.id), _("%(title)s (version %(n)s)", title=t.title, n=t.edition)) for t in published]
    return choices(dict(found)) + choices({"": _("An empty list")})


@bp.route("/new", methods=["GET", "POST"])
@bureau_role("bureau_admin")
def new_list():
    form = NewListForm()
    form.template_id.choices = _template_choices()
    if request.method == "GET":
        year = services.today().year
        form.year.data = str(year)
        published = catalog.published_templates(year)
        form.template_id.data = str(published[0].id) if published else ""
    if form.validate_on_submit():
        try:
            duty_list = services.create_list(form.year.data, title=form.title.data,
                                             template_id=form.template_id.data, actor=current_actor())
        except DomainError as error:
            answer_error(error, form)
        else:
            flash(_("The %(year)s list has been created with %(n)s items.", year=duty_list.year,
                    n=len(duty_list.items)), "success")
            return redirect(url_for("bureau.duties.show_list", list_id=duty_list.id))
    return render_template("duties/new_list.html", form=form)


@bp.route("/<int:list_id>")
@bureau_role()
def show_list(list_id: int):
    return _render_list(services.get_list(list_id), request.args)


def _render_list(duty_list, args, *, assign_form: AssignForm | None = None, checked: set[int] | None = None,
                 status: int = 200):
    people = people_services.list_people()
    rows = services.item_rows(duty_list)
    filters = Filters.from_args(args)
    shown = services.filter_rows(rows, filters)
    form = FilterForm(args)
    form.category.choices = choices(CATEGORIES, blank=_("All categories"))
    form.area.choices = choices({a["code"]: a["label"] for a in duty_list.areas}, blank=_("All areas"))
    form.owner.choices = choices({**{"none": _("Nobody yet")}, **{str(p.id): p.label for p in people}},
                                 blank=_("Everybody"))
    form.status.choices = status_choices()
    form.due.choices = choices({"month": _("Due this month, not done")}, blank=_("Any due date"))
    actor = current_actor()
    read_only = services.read_only_reason(duty_list)
    may_manage = actor.is_bureau_admin and not read_only
    assign = may_manage and (assign_form is not None or args.get("assign") == "1")
    if assign and assign_form is None:
        assign_form = AssignForm(formdata=None)
    if assign_form is not None:
        assign_form.owner_id.choices = choices({str(p.id): p.label for p in people if p.active},
                                               blank=_("Choose a person"))
    if checked is None:
        checked = {r.item.id for r in shown} if args.get("all") == "1" else set()
    # the filters of this page, kept by the assign form and its "tick all" links
    kept = {k: str(args.get(k))[:100] for k in FILTER_KEYS if args.get(k)}
    return render_template("duties/list.html", duty_list=duty_list, groups=services.group_by_category(shown),
                           summary=services.summarise(rows), shown=len(shown), filters=filters, form=form,
                           actor=actor, arrange=args.get("arrange") == "1" and may_manage and not assign,
                           move_form=MoveForm(), today=services.today(), read_only=read_only,
                           assign=assign, assign_form=assign_form, checked=checked, kept=kept,
                           unowned=sum(1 for r in rows if r.item.owner_id is None),
                           unsplit=len(services.unsplit_member_items(duty_list)) if may_manage else 0,
                           split_form=ConfirmVersionForm(formdata=None, version=duty_list.version)), status


@bp.route("/<int:list_id>/assign", methods=["POST"])
@bureau_role("bureau_admin")
def assign_owner(list_id: int):
    duty_list = services.get_list(list_id)
    form = AssignForm()
    ticked = request.form.getlist("items")[:services.MAX_BULK_ITEMS + 1]
    kept = {k: request.form.get(f"f_{k}", "")[:100] for k in FILTER_KEYS if request.form.get(f"f_{k}")}
    if form.validate_on_submit():
        owner = form.owner_id.data
        try:
            changed = services.assign_owner(duty_list, ticked, owner, actor=current_actor())
        except DomainError as error:
            answer_error(error, form)
        else:
            flash(_("%(n)s items now belong to %(name)s.", n=changed,
                    name=people_services.get_person(int(owner)).name), "success")
            return redirect(url_for("bureau.duties.show_list", list_id=list_id, **kept))
    checked = set()
    for raw in ticked:
        if str(raw).isdigit():
            checked.add(int(raw))
    return _render_list(duty_list, MultiDict({**kept, "assign": "1"}), assign_form=form, checked=checked, status=400)


@bp.route("/<int:list_id>/split-members", methods=["POST"])
@bureau_role("bureau_admin")
def split_all_members(list_id: int):
    duty_list = services.get_list(list_id)
    ConfirmVersionForm()
    back = request.form.get("back") == "publish"
    try:
        done = services.split_all_members(duty_list, actor=current_actor())
    except DomainError as error:
        answer_error(error)
    else:
        if done["groups"]:
            flash(_("%(groups)s items were split by member: %(assigned)s given an owner, %(created)s copies added.",
                    groups=done["groups"], assigned=done["assigned"], created=done["created"]), "success")
        else:
            flash(_("Every leadership member already has their copy of each item."), "info")
    if back:
        return redirect(url_for("bureau.duties.publish_check", list_id=list_id))
    return redirect(url_for("bureau.duties.show_list", list_id=list_id, category="member"))


@bp.route("/<int:list_id>/publish", methods=["GET", "POST"])
@bureau_role("bureau_admin")
def publish_check(list_id: int):
    duty_list = services.get_list(list_id)
    form = PublishForm()
    status = 200
    if request.method == "GET":
        form.version.data = duty_list.version
    elif form.validate_on_submit():
        try:
            services.publish_list(duty_list, version=form.version.data, acknowledged=bool(form.acknowledge.data),
                                  actor=current_actor())
        except DomainError as error:
            answer_error(error, form)
            form.version.data = duty_list.version
            status = 400
        else:
            flash(_("The list is now: %(status)s.", status=LIST_STATUS_LABELS[duty_list.status]), "success")
            return redirect(url_for("bureau.duties.show_list", list_id=duty_list.id))
    else:
        status = 400
    problems = services.publish_problems(duty_list) if duty_list.status == "draft" else []
    return render_template("duties/publish.html", duty_list=duty_list, form=form, problems=problems,
                           blocking=any(p.blocking for p in problems),
                           split_form=ConfirmVersionForm(formdata=None, version=duty_list.version),
                           read_only=services.read_only_reason(duty_list)), status


@bp.route("/<int:list_id>/edit", methods=["GET", "POST"])
@bureau_role("bureau_admin")
def edit_list(list_id: int):
    duty_list = services.get_list(list_id)
    form = ListForm(obj=duty_list if request.method == "GET" else None)
    submitted = None
    if request.method == "GET":
        form.version.data = duty_list.version
    elif form.validate_on_submit():
        try:
            services.update_list(duty_list, title=form.title.data, version=form.version.data, actor=current_actor())
        except Conflict as error:
            show_error(form, error)
            submitted = _stale(form, {"title": duty_list.title})
            form.version.data = duty_list.version
        except DomainError as error:
            answer_error(error, form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("bureau.duties.show_list", list_id=duty_list.id))
    return render_template("duties/edit_list.html", duty_list=duty_list, form=form, submitted=submitted,
                           confirm_form=ConfirmVersionForm(formdata=None, version=duty_list.version))


@bp.route("/<int:list_id>/status", methods=["POST"])
@bureau_role("bureau_admin")
def set_list_status(list_id: int):
    duty_list = services.get_list(list_id)
    form = ConfirmVersionForm()
    target = request.form.get("target", "")
    if target == "published" and duty_list.status == "draft":
        # publishing goes through the check page, which lists what is missing
        return redirect(url_for("bureau.duties.publish_check", list_id=duty_list.id))
    try:
        services.set_list_status(duty_list, target, version=form.version.data, actor=current_actor())
    except DomainError as error:
        answer_error(error)
    else:
        flash(_("The list is now: %(status)s.", status=LIST_STATUS_LABELS[duty_list.status]), "success")
    return redirect(url_for("bureau.duties.show_list", list_id=duty_list.id))


@bp.route("/<int:list_id>/delete", methods=["POST"])
@bureau_role("bureau_admin")
def delete_list(list_id: int):
    duty_list = services.get_list(list_id)
    form = ConfirmVersionForm()
    try:
        services.delete_list(duty_list, version=form.version.data, actor=current_actor())
    except DomainError as error:
        answer_error(error)
        return redirect(url_for("bureau.duties.edit_list", list_id=list_id))
    flash(_("The draft list has been deleted."), "success")
    return redirect(url_for("bureau.duties.index"))


# -- items ----------------------------------------------------------------------------
def _item_form_choices(form: ItemForm, duty_list) -> None:
    form.area.choices = choices({a["code"]: a["label"] for a in duty_list.areas})
    people = people_services.list_people()
    form.owner_id.choices = choices({str(p.id): p.label + ("" if p.active else _(" (inactive)")) for p in people},
                                    blank=_("Nobody yet"))
    form.meeting_kind.choices = choices(dict(meetings.kind_choices()), blank=_("None (records are written here)"))
    form.meeting_unit_id.choices = choices({str(u.id): u.name for u in orgs.all_units() if meetings.kinds_for(u)},
                                           blank=_("Choose the organisation"))


def _item_data(form: ItemForm) -> dict:
    return {name: getattr(form, name).data for name in services.ITEM_FIELDS}


@bp.route("/<int:list_id>/items/new", methods=["GET", "POST"])
@bureau_role("bureau_admin")
def new_item(list_id: int):
    duty_list = services.get_list(list_id)
    form = ItemForm()
    _item_form_choices(form, duty_list)
    if request.method == "GET":
        form.category.data = request.args.get("category", "party_group")
        form.due_date.data = f"{duty_list.year}-12-31"
    if form.validate_on_submit():
        try:
            item = services.add_item(duty_list, _item_data(form), actor=current_actor())
        except DomainError as error:
            answer_error(error, form)
        else:
            flash(_("The item has been added."), "success")
            return redirect(url_for("bureau.duties.show_item", item_id=item.id))
    return render_template("duties/edit_item.html", duty_list=duty_list, item=None, form=form, submitted=None)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@bureau_role("bureau_admin")
def edit_item(item_id: int):
    item = services.get_item(item_id)
    form = ItemForm()
    _item_form_choices(form, item.duty_list)
    submitted = None
    if request.method == "GET":
        _fill_item_form(form, item)
    elif form.validate_on_submit():
        try:
            services.update_item(item, _item_data(form), version=form.version.data, actor=current_actor())
        except Conflict as error:
            show_error(form, error)
            submitted = _stale(form, _item_values(item))
            form.version.data = item.version
        except DomainError as error:
            answer_error(error, form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("bureau.duties.show_item", item_id=item.id))
    return render_template("duties/edit_item.html", duty_list=item.duty_list, item=item, form=form,
                           submitted=submitted, confirm_form=ConfirmVersionForm(formdata=None, version=item.version))


def _item_values(item) -> dict:
    return {"category": item.category, "area": item.area, "content": item.content, "measures": item.measures,
            "owner_id": str(item.owner_id) if item.owner_id else "", "lead_unit": item.lead_unit,
            "cadence": item.cadence, "expected_count": str(item.expected_count),
            "due_date": item.due_date.isoformat() if item.due_date else "",
            "meeting_kind": item.meeting_kind or "", "meeting_unit_id": str(item.meeting_unit_id or "")}


def _fill_item_form(form: ItemForm, item) -> None:
    for name, value in _item_values(item).items():
        getattr(form, name).data = value
    form.version.data = item.version


def _back_to_item(item_id: int):
    return redirect(url_for("bureau.duties.show_item", item_id=item_id))


@bp.route("/items/<int:item_id>/delete", methods=["POST"])
@bureau_role("bureau_admin")
def delete_item(item_id: int):
    item = services.get_item(item_id)
    list_id = item.list_id
    form = ConfirmVersionForm()
    try:
        services.delete_item(item, version=form.version.data, actor=current_actor())
    except DomainError as error:
        answer_error(error)
        return _back_to_item(item_id)
    flash(_("The item has been deleted."), "success")
    return redirect(url_for("bureau.duties.show_list", list_id=list_id))


@bp.route("/items/<int:item_id>/move", methods=["POST"])
@bureau_role("bureau_admin")
def move_item(item_id: int):
    item = services.get_item(item_id)
    list_id, anchor = item.list_id, f"item-{item.id}"
    form = MoveForm()
    try:
        services.move_item(item, form.direction.data or "", actor=current_actor())
    except DomainError as error:
        answer_error(error)
    return redirect(url_for("bureau.duties.show_list", list_id=list_id, arrange=1, _anchor=anchor))


@bp.route("/items/<int:item_id>/split", methods=["POST"])
@bureau_role("bureau_admin")
def split_item(item_id: int):
    item = services.get_item(item_id)
    form = ConfirmVersionForm()
    try:
        created = services.split_per_member(item, version=form.version.data, actor=current_actor())
    except DomainError as error:
        answer_error(error)
    else:
        flash(_("The item now has one copy per leadership member (%(n)s added).", n=len(created)), "success")
    return _back_to_item(item_id)


@bp.route("/items/<int:item_id>/done", methods=["POST"])
@bureau_role("bureau_editor")
def mark_done(item_id: int):
    item = services.get_item(item_id)
    form = ConfirmVersionForm()
    done = request.form.get("done") == "1"
    try:
        services.set_marked_done(item, done, version=form.version.data, actor=current_actor())
    except DomainError as error:
        answer_error(error)
    else:
        flash(_("Marked as done.") if done else _("The done mark has been removed."), "success")
    return _back_to_item(item_id)


@bp.route("/items/<int:item_id>")
@bureau_role()
def show_item(item_id: int):
    item = services.get_item(item_id)
    form = RecordForm(formdata=None, occurred_on=services.today().isoformat(), count="1")
    return _render_item(item, form)


def _render_item(item, record_form: RecordForm, status: int = 200, late: bool = False):
    actor = current_actor()
    row = services.item_row(item)
    mode = services.review_mode_of(item.duty_list)
    read_only = services.read_only_reason(item.duty_list)
    group = []
    if item.source_key and item.category == "member":
        group = [i for i in item.duty_list.items if i.source_key == item.source_key and i.id != item.id]
    return render_template(
        "duties/item.html", item=item, duty_list=item.duty_list, row=row, record_form=record_form,
        files_form=FilesForm(formdata=None), confirm_form=ConfirmVersionForm(formdata=None, version=item.version),
        record_confirm=ConfirmVersionForm(formdata=None), actor=actor,
        may_record=services.can_record(item, actor) and not read_only,
        record_refusal=services.record_refusal(item, actor),
        recorded_for=lambda r, people={p.id: p for p in people_services.list_people()}: services.recorded_for(r, people),
        may_manage=services.can_manage(actor) and not read_only, read_only=read_only,
        can_change_record=lambda r: services.can_change_record(r, actor) and not read_only,
        may_review=lambda r: not read_only and services.review_refusal(r, actor, mode=mode) is None,
        return_form=ReturnForm(formdata=None), approve_form=ApproveForm(formdata=None), review_mode=mode,
        late=late, group=group, area_label=item.duty_list.area_label(item.area),
        meeting_link=services.meeting_link(item)), status


def _record_data(form: RecordForm) -> dict:
    return {"occurred_on": form.occurred_on.data, "summary": form.summary.data, "count": form.count.data,
            "late_request": form.late_request.data, "late_reason": form.late_reason.data}


def _needs_late(form: RecordForm, error: DomainError) -> bool:
    """The refusal asks for a 补录 reason: the page then shows the late-entry field."""
    fields = getattr(error, "errors", {}) or {}
    return "late_reason" in fields or bool(form.late_request.data) or any(
        "补录" in str(m) for m in fields.get("occurred_on", []))


@bp.route("/items/<int:item_id>/records", methods=["POST"])
@bureau_role("bureau_editor")
def add_record(item_id: int):
    item = services.get_item(item_id)
    form = RecordForm()
    late = bool(form.late_request.data)
    if form.validate_on_submit():
        try:
            record = services.add_record(item, _record_data(form), files=_uploads(form.files), actor=current_actor())
        except DomainError as error:
            answer_error(error, form)
            late = _needs_late(form, error)
        else:
            if record.late:
                flash(_("The late-entry request has been submitted; the record counts once it is approved."), "success")
            elif record.review_state == "pending":
                flash(_("The record has been saved and awaits review; it counts once approved."), "success")
            else:
                flash(_("The record has been saved."), "success")
            return _back_to_item(item_id)
    return _render_item(item, form, 400, late=late)


# -- records and files ------------------------------------------------------------------
@bp.route("/records/<int:record_id>/edit", methods=["GET", "POST"])
@bureau_role("bureau_editor")
def edit_record(record_id: int):
    record = services.get_record(record_id)
    actor = current_actor()
    if not services.can_change_record(record, actor):
        abort(403)
    form = RecordForm()
    submitted = None
    current = {"occurred_on": record.occurred_on.isoformat(), "summary": record.summary, "count": str(record.count)}
    late = record.late or bool(form.late_request.data)
    if request.method == "GET":
        for name, value in current.items():
            getattr(form, name).data = value
        form.late_reason.data = record.late_reason
        form.version.data = record.version
    elif form.validate_on_submit():
        try:
            services.update_record(record, _record_data(form), version=form.version.data, actor=actor)
        except Conflict as error:
            show_error(form, error)
            submitted = _stale(form, current)
            form.version.data = record.version
        except DomainError as error:
            answer_error(error, form)
            late = late or _needs_late(form, error)
        else:
            flash(_("Saved and sent for review again.") if record.review_state == "pending" else _("Saved."), "success")
            return _back_to_item(record.item_id)
    return render_template("duties/edit_record.html", record=record, item=record.item, form=form,
                           submitted=submitted, late=late)


# -- review (issue 16) -------------------------------------------------------------------
QUEUE_LIMIT = 100


def _queue_page(filters, status: int = 200, return_form: ReturnForm | None = None):
    actor = current_actor()
    records, total = services.review_queue(filters, limit=QUEUE_LIMIT)
    modes: dict[int, str] = {}
    for record in records:
        if record.item.list_id not in modes:
            modes[record.item.list_id] = services.review_mode_of(record.item.duty_list)
    refusals = {r.id: services.review_refusal(r, actor, mode=modes[r.item.list_id]) for r in records}
    lists = services.list_lists()
    return render_template(
        "duties/review.html", records=records, total=total, filters=filters, refusals=refusals, lists=lists,
        reviewable=any(r is None for r in refusals.values()),
        areas=sorted({(a.get("code"), a.get("label")) for l in lists for a in (l.areas or [])}),
        authors=services.queue_authors(), approve_form=ApproveForm(formdata=None),
        return_form=return_form or ReturnForm(formdata=None), limit=QUEUE_LIMIT, actor=actor), status


@bp.route("/review")
@bureau_role()
def review():
    """The reviewer's queue: records awaiting review or 补录 approval, with filters."""
    return _queue_page(services.ReviewFilters.from_args(request.args))


@bp.route("/review/approve", methods=["POST"])
@bureau_role(city_may_post=True)
def approve():
    """Approve the ticked records, or all the filters match: all or none."""
    form = ApproveForm()
    filters = services.ReviewFilters.from_args(request.args)
    if form.validate_on_submit():
        every = form.all.data == "1"
        records = services.queue_records(request.form.getlist("ids"), filters if every else None)
        try:
            done = services.approve_records(records, actor=current_actor())
        except DomainError as error:
            if isinstance(error, (PermissionDenied, NotFound)):
                answer_error(error)
            flash(str(error.message), "danger")
            for message in getattr(error, "errors", {}).get("records", []):
                flash(str(message), "danger")
            return _queue_page(filters, 400)
        flash(_("%(n)s records approved.", n=len(done)), "success")
    else:
        flash_field_errors(form)
    return redirect(url_for("bureau.duties.review", **filters.query()))


@bp.route("/records/<int:record_id>/approve", methods=["POST"])
@bureau_role(city_may_post=True)
def approve_record(record_id: int):
    """Approve one record (from its item page)."""
    record = services.get_record(record_id)
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            services.approve_records([record], actor=current_actor())
        except DomainError as error:
            answer_error(error)
            for message in getattr(error, "errors", {}).get("records", []) or [error.message]:
                flash(str(message), "danger")
        else:
            flash(_("%(n)s records approved.", n=1), "success")
    return _back_to_item(record.item_id)


@bp.route("/records/<int:record_id>/return", methods=["POST"])
@bureau_role(city_may_post=True)
def return_record(record_id: int):
    """Return one record to its author with a reason."""
    record = services.get_record(record_id)
    form = ReturnForm()
    back = request.form.get("back") == "queue"
    if form.validate_on_submit():
        try:
            services.return_record(record, form.reason.data, actor=current_actor())
        except DomainError as error:
            answer_error(error)
            for messages in (getattr(error, "errors", {}) or {"": [error.message]}).values():
                for message in messages:
                    flash(str(message), "danger")
        else:
            flash(_("The record has been returned to %(name)s.", name=record.author_name or "—"), "success")
    else:
        flash_field_errors(form)
    if back:
        return redirect(url_for("bureau.duties.review"))
    return _back_to_item(record.item_id)


@bp.route("/records/<int:record_id>/delete", methods=["POST"])
@bureau_role("bureau_editor")
def delete_record(record_id: int):
    record = services.get_record(record_id)
    item_id = record.item_id
    form = ConfirmVersionForm()
    try:
        services.delete_record(record, version=form.version.data, actor=current_actor())
    except DomainError as error:
        answer_error(error)
    else:
        flash(_("The record has been deleted."), "success")
    return _back_to_item(item_id)


@bp.route("/records/<int:record_id>/files", methods=["POST"])
@bureau_role("bureau_editor")
def add_files(record_id: int):
    record = services.get_record(record_id)
    item_id = record.item_id
    form = FilesForm()
    if form.validate_on_submit():
        was_approved = record.review_state == APPROVED
        try:
            rows = services.add_attachments(record, _uploads(form.files), actor=current_actor())
        except DomainError as error:
            answer_error(error, form)
            flash_field_errors(form)
        else:
            flash(_("%(n)s files added.", n=len(rows)), "success")
            if was_approved and record.review_state == PENDING:
                flash(_("The record awaits review again."), "info")
    else:
        flash_field_errors(form)
    return _back_to_item(item_id)


@bp.route("/files/<int:attachment_id>")
@bureau_role()
def download(attachment_id: int):
    attachment = services.get_attachment(attachment_id)
    try:
        stream = services.open_attachment(attachment)
    except NotFound:
        abort(404)
    return send_blob(stream, g.bureau.slug, attachment.sha256, mimetype=KINDS[attachment.kind][1],
                     download_name=attachment.original_name)


@bp.route("/files/<int:attachment_id>/delete", methods=["POST"])
@bureau_role("bureau_editor")
def delete_file(attachment_id: int):
    attachment = services.get_attachment(attachment_id)
    record = attachment.record
    item_id, was_approved = record.item_id, record.review_state == APPROVED
    ConfirmVersionForm()
    try:
        services.delete_attachment(attachment, actor=current_actor())
    except DomainError as error:
        answer_error(error)
    else:
        flash(_("The file has been removed."), "success")
        if was_approved and record.review_state == PENDING:
            flash(_("The record awaits review again."), "info")
    return _back_to_item(item_id)


# -- my items ---------------------------------------------------------------------------
@bp.route("/mine")
@bureau_role()
def mine():
    people, rows = services.my_rows(current_user.id)
    return render_template("duties/mine.html", people=people, groups=services.group_by_category(rows),
                           summary=services.summarise(rows), actor=current_actor())


# -- people -----------------------------------------------------------------------------
def _linkable_users() -> list:
    return [(user, role) for user, role in accounts.bureau_members(tenancy.get_tenant(g.bureau.slug))]


def _person_form_choices(form: PersonForm) -> set[int]:
    users = _linkable_users()
    form.kind.choices = choices(PERSON_KIND_LABELS)
    form.user_id.choices = choices({str(u.id): f"{u.label}（{u.username}）" for u, _role in users},
                                   blank=_("No account"))
    return {u.id for u, _role in users}


def _person_data(form: PersonForm) -> dict:
    return {"name": form.name.data, "post": form.post.data, "kind": form.kind.data, "user_id": form.user_id.data,
            "sort_order": form.sort_order.data, "active": form.active.data}


@bp.route("/people", methods=["GET", "POST"])
@bureau_role()
def people():
    form = PersonForm()
    linkable = _person_form_choices(form)
    if request.method == "POST":
        if not current_actor().is_bureau_admin:
            abort(403)
        if form.validate_on_submit():
            try:
                person = people_services.save_person(None, _person_data(form), actor=current_actor(), linkable_user_ids=linkable)
            except DomainError as error:
                answer_error(error, form)
            else:
                flash(_("%(name)s has been added.", name=person.name), "success")
                return redirect(url_for("bureau.duties.people"))
    elif not form.kind.data:
        form.kind.data = "member"
    everyone = people_services.list_people()
    users = {u.id: u for u, _role in _linkable_users()}
    return render_template("duties/people.html", people=everyone, users=users, form=form, actor=current_actor())


@bp.route("/people/<int:person_id>", methods=["GET", "POST"])
@bureau_role("bureau_admin")
def edit_person(person_id: int):
    person = people_services.get_person(person_id)
    form = PersonForm()
    linkable = _person_form_choices(form)
    submitted = None
    current = {"name": person.name, "post": person.post, "kind": person.kind,
               "user_id": str(person.user_id) if person.user_id else "", "sort_order": str(person.sort_order)}
    if request.method == "GET":
        for name, value in current.items():
            getattr(form, name).data = value
        form.active.data = person.active
        form.version.data = person.version
    elif form.validate_on_submit():
        try:
            people_services.save_person(person, _person_data(form), version=form.version.data, actor=current_actor(),
                                 linkable_user_ids=linkable)
        except Conflict as error:
            show_error(form, error)
            submitted = _stale(form, current)
            form.active.data = person.active
            form.version.data = person.version
        except DomainError as error:
            answer_error(error, form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("bureau.duties.people"))
    return render_template("duties/edit_person.html", person=person, form=form, submitted=submitted,
                           confirm_form=ConfirmVersionForm(formdata=None, version=person.version))


@bp.route("/people/<int:person_id>/delete", methods=["POST"])
@bureau_role("bureau_admin")
def delete_person(person_id: int):
    person = people_services.get_person(person_id)
    form = ConfirmVersionForm()
    try:
        people_services.delete_person(person, version=form.version.data, actor=current_actor())
    except DomainError as error:
        answer_error(error)
        return redirect(url_for("bureau.duties.edit_person", person_id=person_id))
    flash(_("The person has been removed."), "success")
    return redirect(url_for("bureau.duties.people"))


# -- Excel ------------------------------------------------------------------------------
def _xlsx_response(data: bytes, name: str):
    import io

    return send_file(io.BytesIO(data), mimetype=KINDS["xlsx"][1], as_attachment=True, download_name=name,
                     conditional=False, etag=False, max_age=0)


@bp.route("/<int:list_id>/export.xlsx")
@bureau_role()
def export_list(list_id: int):
    duty_list = services.get_list(list_id)
    data = xlsx.export_list(duty_list, services.item_rows(duty_list), bureau_name=g.bureau.name)
    return _xlsx_response(data, f"{g.bureau.name}{duty_list.year}年度责任清单.xlsx")


@bp.route("/import-template.xlsx")
@bureau_role()
def import_template():
    year = services.today().year
    duty_list = services.list_for_year(year)
    areas = duty_list.areas if duty_list else None
    return _xlsx_response(xlsx.import_template(year, areas=areas, people=people_services.list_people(active_only=True)),
                          "责任清单导入模板.xlsx")


@bp.route("/<int:list_id>/import", methods=["GET", "POST"])
@bureau_role("bureau_admin")
def import_items(list_id: int):
    duty_list = services.get_list(list_id)
    form = ImportForm()
    problems: list = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            if not getattr(upload, "filename", None):
                raise xlsx.ImportRefused(_("Choose a workbook (.xlsx) to import."))
            result = xlsx.import_items(duty_list, upload.stream, actor=current_actor())
        except xlsx.ImportRefused as refused:
            problems = refused.problems
            flash(refused.message, "danger")
        except (Locked, PermissionDenied, NotFound) as error:
            answer_error(error)
        else:
            flash(_("Imported: %(added)s new items, %(changed)s changed, %(same)s unchanged.",
                    added=result.added, changed=result.changed, same=result.unchanged), "success")
            return redirect(url_for("bureau.duties.show_list", list_id=duty_list.id))
    return render_template("duties/import.html", duty_list=duty_list, form=form, problems=problems,
                           limit=human_size(xlsx.MAX_WORKBOOK_BYTES)), 400 if problems else 200


# -- the records ledger (履责纪实台账) -------------------------------------------------------
def _ledger_context(duty_list, pdf: bool = False) -> dict:
    records = services.ledger_records(duty_list)
    return {"duty_list": duty_list, "records": records, "bureau_name": g.bureau.name, "today": services.today(),
            "late_count": sum(1 for r in records if r.late), "pdf": pdf,
            "back_url": url_for("bureau.duties.show_list", list_id=duty_list.id)}


@bp.route("/<int:list_id>/ledger")
@bureau_role()
def ledger(list_id: int):
    """The records that count, as a print page; an approved 补录 is marked late."""
    return render_template("duties/ledger_print.html", **_ledger_context(services.get_list(list_id)))


@bp.route("/<int:list_id>/ledger.pdf")
@bureau_role()
def ledger_pdf(list_id: int):
    """The same ledger as PDF."""
    from app.reports.render import render_pdf

    duty_list = services.get_list(list_id)
    data = render_pdf("duties/ledger_print.html", **_ledger_context(duty_list, pdf=True))
    name = _("Records ledger of %(name)s", name=g.bureau.name) + f" {duty_list.year}.pdf"
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name, max_age=0)


@bp.route("/<int:list_id>/ledger.xlsx")
@bureau_role()
def ledger_xlsx(list_id: int):
    """The same ledger as an Excel workbook."""
    duty_list = services.get_list(list_id)
    data = xlsx.export_records(duty_list, services.ledger_records(duty_list), bureau_name=g.bureau.name)
    name = _("Records ledger of %(name)s", name=g.bureau.name) + f" {duty_list.year}.xlsx"
    return send_file(io.BytesIO(data), mimetype=KINDS["xlsx"][1], as_attachment=True, download_name=name, max_age=0)
