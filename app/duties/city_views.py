"""City pages of the duty-list templates (``/city/duty-templates/...``).

City viewers read; city administrators create, edit and publish.  Published editions
are read-only; "new version" starts the next draft edition from one.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.decorators import city_role
from app.errors import Conflict, DomainError
from app.web import answer_error, current_actor, show_error

from . import catalog, city_bp, services
from .forms import ConfirmVersionForm, MoveForm, NewTemplateForm, TemplateHeaderForm, TemplateItemForm, choices
from .labels import CATEGORIES


def _source_choices() -> list:
    return choices({"default": _("The default content shipped with Zeren"),
                    "latest": _("A copy of the latest published template"),
                    "empty": _("Nothing (an empty template)")})


@city_bp.route("/")
@city_role()
def index():
    form = NewTemplateForm(formdata=None, year=str(services.today().year), source="default")
    form.source.choices = _source_choices()
    return render_template("duties/city/index.html", templates=catalog.list_templates(), form=form)


@city_bp.route("/new", methods=["POST"])
@city_role(admin=True)
def create():
    form = NewTemplateForm()
    form.source.choices = _source_choices()
    if form.validate_on_submit():
        try:
            template = catalog.create_template(form.year.data, title=form.title.data, source=form.source.data,
                                               actor=current_actor())
        except DomainError as error:
            answer_error(error, form)
        else:
            flash(_("Draft version %(n)s of %(year)s has been created.", n=template.edition, year=template.year),
                  "success")
            return redirect(url_for("city.duty_templates.show", template_id=template.id))
    return render_template("duties/city/index.html", templates=catalog.list_templates(), form=form), 400


def _header_form(template, formdata=None) -> TemplateHeaderForm:
    if formdata is None:
        return TemplateHeaderForm(formdata=None, title=template.title, version=template.version,
                                  areas="\n".join(f"{a['code']} {a['label']}" for a in template.areas))
    return TemplateHeaderForm()


def _render(template, *, header_form=None, submitted=None, status: int = 200):
    by_category = {code: [i for i in template.items if i["category"] == code] for code in CATEGORIES}
    return render_template("duties/city/show.html", template=template, by_category=by_category,
                           areas={a["code"]: a["label"] for a in template.areas},
                           header_form=header_form or _header_form(template), submitted=submitted,
                           confirm_form=ConfirmVersionForm(formdata=None, version=template.version),
                           move_form=MoveForm(formdata=None)), status


@city_bp.route("/<int:template_id>")
@city_role()
def show(template_id: int):
    return _render(catalog.get_template(template_id))


@city_bp.route("/<int:template_id>/header", methods=["POST"])
@city_role(admin=True)
def edit_header(template_id: int):
    template = catalog.get_template(template_id)
    form = TemplateHeaderForm()
    if form.validate_on_submit():
        try:
            catalog.update_header(template, title=form.title.data, areas_text=form.areas.data,
                                  version=form.version.data, actor=current_actor())
        except Conflict as error:
            show_error(form, error)
            fresh = _header_form(template)
            submitted = {str(form.title.label.text): form.title.data, str(form.areas.label.text): form.areas.data}
            return _render(template, header_form=fresh, submitted=submitted, status=409)
        except DomainError as error:
            answer_error(error, form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("city.duty_templates.show", template_id=template.id))
    return _render(template, header_form=form, status=400)


def _frozen(template):
    """A published edition has no item forms: say so and go back to it."""
    flash(_("A published template cannot be changed; start a new version instead."), "warning")
    return redirect(url_for("city.duty_templates.show", template_id=template.id))


def _item_form(template, formdata=True) -> TemplateItemForm:
    form = TemplateItemForm() if formdata else TemplateItemForm(formdata=None)
    form.area.choices = choices({a["code"]: a["label"] for a in template.areas})
    form.due_month.choices = choices({str(m): _("%(m)s month", m=m) for m in range(1, 13)}, blank=_("End of year"))
    return form


def _item_data(form: TemplateItemForm) -> dict:
    return {name: getattr(form, name).data for name in
            ("category", "area", "content", "measures", "lead_unit", "cadence", "expected_count", "due_month")}


@city_bp.route("/<int:template_id>/items/new", methods=["GET", "POST"])
@city_role(admin=True)
def new_item(template_id: int):
    template = catalog.get_template(template_id)
    if template.is_published:
        return _frozen(template)
    form = _item_form(template, formdata=request.method == "POST")
    if request.method == "GET":
        form.category.data = request.args.get("category", "party_group")
        form.cadence.data = "once"
        form.version.data = template.version
    elif form.validate_on_submit():
        try:
            item = catalog.save_item(template, _item_data(form), key=None, version=form.version.data,
                                     actor=current_actor())
        except DomainError as error:
            answer_error(error, form)
            form.version.data = template.version
        else:
            flash(_("Item %(key)s has been added.", key=item["key"]), "success")
            return redirect(url_for("city.duty_templates.show", template_id=template.id, _anchor=item["key"]))
    return render_template("duties/city/item.html", template=template, form=form, key=None, submitted=None)


@city_bp.route("/<int:template_id>/items/<key>", methods=["GET", "POST"])
@city_role(admin=True)
def edit_item(template_id: int, key: str):
    template = catalog.get_template(template_id)
    current = next((i for i in template.items if i["key"] == key), None)
    if current is None:
        abort(404)
    if template.is_published:
        return _frozen(template)
    form = _item_form(template, formdata=request.method == "POST")
    stored = {name: "" if current.get(name) is None else str(current.get(name)) for name in
              ("category", "area", "content", "measures", "lead_unit", "cadence", "expected_count", "due_month")}
    submitted = None
    if request.method == "GET":
        for name, value in stored.items():
            getattr(form, name).data = value
        form.version.data = template.version
    elif form.validate_on_submit():
        try:
            catalog.save_item(template, _item_data(form), key=key, version=form.version.data, actor=current_actor())
        except Conflict as error:
            show_error(form, error)
            submitted = {}
            for name, value in stored.items():
                field = getattr(form, name)
                if str(field.data or "").strip() != value.strip():
                    submitted[str(field.label.text)] = field.data
                field.data = value
            form.version.data = template.version
        except DomainError as error:
            answer_error(error, form)
            form.version.data = template.version
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("city.duty_templates.show", template_id=template.id, _anchor=key))
    return render_template("duties/city/item.html", template=template, form=form, key=key, submitted=submitted,
                           confirm_form=ConfirmVersionForm(formdata=None, version=template.version))


@city_bp.route("/<int:template_id>/items/<key>/delete", methods=["POST"])
@city_role(admin=True)
def delete_item(template_id: int, key: str):
    template = catalog.get_template(template_id)
    form = ConfirmVersionForm()
    try:
        catalog.remove_item(template, key, version=form.version.data, actor=current_actor())
    except DomainError as error:
        answer_error(error)
    else:
        flash(_("Item %(key)s has been removed.", key=key), "success")
    return redirect(url_for("city.duty_templates.show", template_id=template.id))


@city_bp.route("/<int:template_id>/items/<key>/move", methods=["POST"])
@city_role(admin=True)
def move_item(template_id: int, key: str):
    template = catalog.get_template(template_id)
    form = ConfirmVersionForm()
    try:
        catalog.move_item(template, key, request.form.get("direction", ""), version=form.version.data,
                          actor=current_actor())
    except DomainError as error:
        answer_error(error)
    return redirect(url_for("city.duty_templates.show", template_id=template.id, _anchor=key))


@city_bp.route("/<int:template_id>/publish", methods=["POST"])
@city_role(admin=True)
def publish(template_id: int):
    template = catalog.get_template(template_id)
    form = ConfirmVersionForm()
    try:
        catalog.publish(template, version=form.version.data, actor=current_actor())
    except DomainError as error:
        answer_error(error)
    else:
        flash(_("Version %(n)s of %(year)s is published; bureaus can now create their list from it.",
                n=template.edition, year=template.year), "success")
    return redirect(url_for("city.duty_templates.show", template_id=template.id))


@city_bp.route("/<int:template_id>/new-version", methods=["POST"])
@city_role(admin=True)
def new_version(template_id: int):
    template = catalog.get_template(template_id)
    ConfirmVersionForm()
    try:
        draft = catalog.new_edition(template, actor=current_actor())
    except DomainError as error:
        answer_error(error)
        return redirect(url_for("city.duty_templates.show", template_id=template.id))
    if draft.id != template.id:
        flash(_("You are editing draft version %(n)s; the published versions stay as they are.", n=draft.edition),
              "info")
    return redirect(url_for("city.duty_templates.show", template_id=draft.id))


@city_bp.route("/<int:template_id>/delete", methods=["POST"])
@city_role(admin=True)
def delete(template_id: int):
    template = catalog.get_template(template_id)
    form = ConfirmVersionForm()
    try:
        catalog.delete_draft(template, version=form.version.data, actor=current_actor())
    except DomainError as error:
        answer_error(error)
        return redirect(url_for("city.duty_templates.show", template_id=template.id))
    flash(_("The draft has been deleted."), "success")
    return redirect(url_for("city.duty_templates.index"))
