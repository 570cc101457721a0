"""City pages: overview, bureaus and their administrators, city accounts."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import services as accounts
from app.accounts.decorators import city_role
from app.accounts.forms import ConfirmForm, NewCityUserForm
from app.errors import DomainError, NotFound
from app.tenancy import services as tenancy
from app.web import flash_field_errors, show_error

from . import bp, services
from .forms import BureauAdminForm, DeleteBureauForm, EditBureauForm, NewBureauForm


def _tenant_or_404(bureau: str):
    try:
        return tenancy.get_tenant(bureau)
    except NotFound:
        abort(404)


@bp.route("/")
@city_role()
def dashboard():
    rows = services.bureau_overview()
    return render_template("city/dashboard.html", rows=rows)


@bp.route("/bureaus", methods=["GET", "POST"])
@city_role()
def bureaus():
    form = NewBureauForm()
    if request.method == "POST":
        if not current_user.is_city_admin:
            return render_template("errors/403.html"), 403
        if form.validate_on_submit():
            try:
                tenant = services.create_bureau(
                    slug=form.slug.data.strip(), name=form.name.data, category=form.category.data,
                    admin_username=form.admin_username.data, admin_display_name=form.admin_display_name.data,
                    admin_password=form.admin_password.data, actor=current_user)
            except DomainError as error:
                show_error(form, error)
            else:
                flash(_("Bureau %(name)s has been created.", name=tenant.name), "success")
                return redirect(url_for("city.bureau_detail", bureau=tenant.slug))
    return render_template("city/bureaus.html", rows=services.bureau_overview(), form=form)


@bp.route("/bureaus/<bureau>", methods=["GET", "POST"])
@city_role()
def bureau_detail(bureau: str):
    tenant = _tenant_or_404(bureau)
    form = EditBureauForm(obj=tenant if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = tenant.version
    elif not current_user.is_city_admin:
        return render_template("errors/403.html"), 403
    elif form.validate_on_submit():
        try:
            tenancy.update_tenant(tenant, name=form.name.data, category=form.category.data,
                                  version=form.version.data, actor=current_user)
        except DomainError as error:
            show_error(form, error)
            form.version.data = tenant.version
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("city.bureau_detail", bureau=tenant.slug))
    return render_template("city/bureau_detail.html", tenant=tenant, form=form,
                           members=accounts.bureau_members(tenant), admin_form=BureauAdminForm(),
                           delete_form=DeleteBureauForm(), confirm_form=ConfirmForm())


@bp.route("/bureaus/<bureau>/admins", methods=["POST"])
@city_role(admin=True)
def add_bureau_admin(bureau: str):
    tenant = _tenant_or_404(bureau)
    form = BureauAdminForm()
    if form.validate_on_submit():
        try:
            accounts.create_user(form.username.data, form.display_name.data, form.password.data,
                                 actor=current_user, tenant=tenant, role="bureau_admin")
        except DomainError as error:
            show_error(form, error)
            flash_field_errors(form)
        else:
            flash(_("Administrator %(name)s has been added.", name=form.username.data), "success")
    else:
        flash_field_errors(form)
    return redirect(url_for("city.bureau_detail", bureau=tenant.slug))


@bp.route("/bureaus/<bureau>/users/<int:user_id>/reset", methods=["POST"])
@city_role(admin=True)
def reset_member_password(bureau: str, user_id: int):
    tenant = _tenant_or_404(bureau)
    user = _member_or_404(tenant, user_id)
    password = accounts.reset_password(user, actor=current_user, tenant=tenant)
    flash(_("New password for %(user)s: %(password)s — give it to them in person; it is shown only once.",
            user=user.username, password=password), "warning")
    return redirect(url_for("city.bureau_detail", bureau=tenant.slug))


def _member_or_404(tenant, user_id: int):
    try:
        user = accounts.get_user(user_id)
    except NotFound:
        abort(404)
    if user.bureau_role(tenant.id) is None:
        abort(404)
    return user


@bp.route("/bureaus/<bureau>/status", methods=["POST"])
@city_role(admin=True)
def set_bureau_status(bureau: str):
    tenant = _tenant_or_404(bureau)
    ConfirmForm()
    status = "archived" if tenant.status == "active" else "active"
    tenancy.set_status(tenant, status, actor=current_user)
    flash(_("Bureau archived: it is read-only and hidden from its users.") if status == "archived"
          else _("Bureau re-activated."), "success")
    return redirect(url_for("city.bureau_detail", bureau=tenant.slug))


@bp.route("/bureaus/<bureau>/delete", methods=["POST"])
@city_role(admin=True)
def delete_bureau(bureau: str):
    tenant = _tenant_or_404(bureau)
    form = DeleteBureauForm()
    if form.validate_on_submit():
        try:
            name = tenant.name
            tenancy.delete_tenant(tenant, confirm_slug=form.confirm.data.strip(), actor=current_user)
        except DomainError as error:
            flash(str(error.message), "danger")
        else:
            flash(_("Bureau %(name)s and all its data have been deleted.", name=name), "success")
            return redirect(url_for("city.bureaus"))
    else:
        flash(_("Type the short name %(slug)s to confirm.", slug=tenant.slug), "danger")
    return redirect(url_for("city.bureau_detail", bureau=tenant.slug))


@bp.route("/users", methods=["GET", "POST"])
@city_role(admin=True)
def users():
    form = NewCityUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.username.data, form.display_name.data, form.password.data,
                                        actor=current_user, role=form.role.data)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("User %(name)s has been added.", name=user.username), "success")
            return redirect(url_for("city.users"))
    return render_template("city/users.html", form=form, members=accounts.city_members(),
                           confirm_form=ConfirmForm())


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@city_role(admin=True)
def toggle_city_user(user_id: int):
    user = accounts.get_user(user_id) if user_id else None
    if user is None or user.city_role is None:
        abort(404)
    ConfirmForm()
    try:
        accounts.set_active(user, not user.active, actor=current_user)
    except DomainError as error:
        flash(str(error.message), "danger")
    return redirect(url_for("city.users"))
