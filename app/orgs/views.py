"""Bureau pages of the organisation tree (``/b/<slug>/orgs/...``).

Views parse the request, call :mod:`app.orgs.services` and render; the services decide
who may see and change what (a branch user's other units are a 404 from the service).
"""
from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from app.accounts.decorators import bureau_role
from app.errors import DomainError, ValidationError
from app.web import answer_error, current_actor

from . import bp, services, xlsx
from .forms import ImportForm, UnitForm, VersionForm, fill_choices
from .labels import KIND_LABELS, kind_label

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.url_value_preprocessor
def allow_uploads(endpoint: str | None, _values: dict | None) -> None:
    # A workbook a little over the limit reaches the service and gets its message.
    if endpoint == "bureau.orgs.import_units":
        request.max_content_length = xlsx.MAX_BYTES + 1024 * 1024


@bp.app_context_processor
def orgs_globals() -> dict:
    """Labels for the organisation templates."""
    return {"org_kind_label": kind_label, "ORG_KIND_LABELS": KIND_LABELS}


def _form(unit=None, *, formdata=None) -> UnitForm:
    data = None
    if unit is not None:
        data = {"name": unit.name, "kind": unit.kind, "parent_id": str(unit.parent_id or ""),
                "secretary_id": str(unit.secretary_id or ""), "deputy_id": str(unit.deputy_id or ""),
                "organiser_id": str(unit.organiser_id or ""),
                "committee_ids": [str(m.person_id) for m in unit.committee],
                "member_count": str(unit.member_count), "elected_on": unit.elected_on,
                "term_years": str(unit.term_years), "version": unit.version}
    form = UnitForm(formdata=formdata, data=data) if formdata is not None or data else UnitForm()
    include = [] if unit is None else [unit.secretary_id, unit.deputy_id, unit.organiser_id,
                                       *(m.person_id for m in unit.committee)]
    fill_choices(form, people=services.people_choices(include), parents=services.parent_choices(unit))
    return form


@bp.route("/")
@bureau_role(branch=True)
def index():
    """The tree, with each unit's officers and its election warning."""
    actor = current_actor()
    return render_template("orgs/index.html", tree=services.tree(actor), can_manage=services.may_manage(actor),
                           today=services.today())


@bp.route("/dashboard")
@bureau_role()
def dashboard():
    """Every branch's stored figures (meetings held of due, elections), and the
    comparison of 2–6 chosen branches (``?u=3&u=7``, in that order)."""
    actor = current_actor()
    year = services.today().year
    chosen = request.args.getlist("u")[:6]
    board = services.dashboard(year, actor)
    compared = services.compare(board, chosen) if len(chosen) >= 2 else None
    return render_template("orgs/dashboard.html", board=board, compared=compared, year=year,
                           chosen={str(c) for c in chosen})


@bp.route("/new", methods=["GET", "POST"])
@bureau_role("bureau_admin")
def new():
    """Add a unit to the tree."""
    form = _form(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET" and request.args.get("parent", "").isdigit():
        form.parent_id.data = request.args["parent"]
    status = 200
    if form.validate_on_submit():
        try:
            unit = services.create_unit(form.data, actor=current_actor())
        except DomainError as error:
            answer_error(error, form)
            status = error.http_status
        else:
            flash(_("Organisation saved."), "success")
            return redirect(url_for("bureau.orgs.show", unit_id=unit.id))
    elif request.method == "POST":
        status = 400
    return render_template("orgs/form.html", form=form, unit=None, branch_only=False), status


@bp.route("/<int:unit_id>")
@bureau_role(branch=True)
def show(unit_id: int):
    """One unit: officers, committee, election, the units under it."""
    actor = current_actor()
    unit = services.get_unit(unit_id, actor)
    visible = services.visible_ids(actor)
    children = [c for c in services.children_of(unit) if visible is None or c.id in visible]
    parent = unit.parent if unit.parent_id and (visible is None or unit.parent_id in visible) else None
    return render_template("orgs/show.html", unit=unit, children=children, parent=parent,
                           due=services.next_election(unit), state=services.election_state(unit),
                           can_edit=services.may_edit(unit, actor), can_manage=services.may_manage(actor),
                           delete_form=VersionForm(formdata=None, data={"version": unit.version}))


@bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
@bureau_role(branch=True)
def edit(unit_id: int):
    """Change a unit (all of it for an administrator, the branch's own fields for its
    secretary or 组织委员)."""
    actor = current_actor()
    unit = services.get_unit(unit_id, actor)
    if not services.may_edit(unit, actor):
        abort(403)
    form = _form(unit, formdata=request.form if request.method == "POST" else None)
    status = 200
    if form.validate_on_submit():
        try:
            services.update_unit(unit, form.data, actor=actor, version=form.version.data)
        except DomainError as error:
            answer_error(error, form)
            status = error.http_status
        else:
            flash(_("Organisation saved."), "success")
            return redirect(url_for("bureau.orgs.show", unit_id=unit.id))
    elif request.method == "POST":
        status = 400
    return render_template("orgs/form.html", form=form, unit=unit,
                           branch_only=not services.may_manage(actor)), status


@bp.route("/<int:unit_id>/delete", methods=["POST"])
@bureau_role("bureau_admin")
def delete(unit_id: int):
    """Remove a unit with nothing under it."""
    actor = current_actor()
    unit = services.get_unit(unit_id, actor)
    form = VersionForm()
    try:
        services.delete_unit(unit, actor=actor, version=form.version.data)
    except DomainError as error:
        answer_error(error)
        return redirect(url_for("bureau.orgs.show", unit_id=unit_id))
    flash(_("Organisation removed."), "success")
    return redirect(url_for("bureau.orgs.index"))


@bp.route("/import", methods=["GET", "POST"])
@bureau_role("bureau_admin")
def import_units():
    """Import the tree from a workbook: every row or none."""
    form = ImportForm()
    status = 200
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            created, changed = xlsx.import_units(form.file.data.read(xlsx.MAX_BYTES + 1), actor=current_actor())
        except ValidationError as error:
            problems = [str(p) for p in error.errors.get("file", [])]
            flash(error.message, "danger")
            status = 400
        except DomainError as error:
            answer_error(error, form)
            status = error.http_status
        else:
            flash(_("%(created)s organisations added, %(changed)s changed.", created=created, changed=changed),
                  "success")
            return redirect(url_for("bureau.orgs.index"))
    elif request.method == "POST":
        status = 400
    return render_template("orgs/import.html", form=form, problems=problems), status


@bp.route("/import/template.xlsx")
@bureau_role("bureau_admin")
def template():
    """The import workbook, with the bureau's people and units as examples."""
    return send_file(io.BytesIO(xlsx.template_workbook()), mimetype=XLSX_TYPE, as_attachment=True,
                     download_name="党组织导入模板.xlsx")
