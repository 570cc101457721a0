"""Bureau home and user management (bureau admins manage their colleagues)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import services as accounts
from app.accounts.decorators import bureau_role
from app.accounts.forms import ConfirmForm, MemberRoleForm, NewMemberForm
from app.errors import DomainError, NotFound
from app.tenancy import services as tenancy
from app.web import current_actor, flash_field_errors, show_error

from . import bp


def _tenant():
    return tenancy.get_tenant(g.bureau.slug)


def _member_or_404(user_id: int):
    try:
        user = accounts.get_user(user_id)
    except NotFound:
        abort(404)
    if user.bureau_role(g.bureau.tenant_id) is None:
        abort(404)
    return user


@bp.route("/")
@bureau_role(branch=True)
def home():
    if g.bureau.role == "branch_editor":
        return redirect(url_for("bureau.orgs.index"))
    from app.duties.services import home_summary

    return render_template("bureau/home.html", members=accounts.bureau_members(_tenant()), duties=home_summary(user_id=current_user.id))


@bp.route("/users", methods=["GET", "POST"])
@bureau_role("bureau_admin")
def users():
    form = NewMemberForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.username.data, form.display_name.data, form.password.data,
                                        actor=current_actor(), tenant=_tenant(), role=form.role.data,
                                        email=form.email.data)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("User %(name)s has been added.", name=user.username), "success")
            return redirect(url_for("bureau.home.users"))
    return render_template("bureau/users.html", form=form, members=accounts.bureau_members(_tenant()),
                           role_form=MemberRoleForm(), confirm_form=ConfirmForm())


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@bureau_role("bureau_admin")
def set_role(user_id: int):
    user = _member_or_404(user_id)
    form = MemberRoleForm()
    if form.validate_on_submit():
        tenant = _tenant()
        if user.id == current_user.id and form.role.data != "bureau_admin":
            flash(_("You cannot remove your own administrator role."), "danger")
        elif (user.bureau_role(tenant.id) == "bureau_admin" and form.role.data != "bureau_admin"
              and accounts.count_bureau_admins(tenant) <= 1):
            flash(_("A bureau must keep at least one administrator."), "danger")
        else:
            accounts.grant_role(user, form.role.data, tenant=tenant, actor=current_actor())
            flash(_("Role of %(name)s updated.", name=user.username), "success")
    else:
        flash_field_errors(form)
    return redirect(url_for("bureau.home.users"))


@bp.route("/users/<int:user_id>/remove", methods=["POST"])
@bureau_role("bureau_admin")
def remove(user_id: int):
    user = _member_or_404(user_id)
    ConfirmForm()
    if user.id == current_user.id:
        flash(_("You cannot remove yourself."), "danger")
        return redirect(url_for("bureau.home.users"))
    try:
        accounts.revoke_bureau_role(user, _tenant(), actor=current_actor())
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        flash(_("%(name)s no longer has access to this bureau.", name=user.username), "success")
    return redirect(url_for("bureau.home.users"))


@bp.route("/users/<int:user_id>/reset", methods=["POST"])
@bureau_role("bureau_admin")
def reset_password(user_id: int):
    user = _member_or_404(user_id)
    ConfirmForm()
    password = accounts.reset_password(user, actor=current_actor(), tenant=_tenant())
    flash(_("New password for %(user)s: %(password)s — give it to them in person; it is shown only once.",
            user=user.username, password=password), "warning")
    return redirect(url_for("bureau.home.users"))
