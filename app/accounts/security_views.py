"""The security administrator's page (/security): settings, locked accounts, two-factor
resets and the grants of the administrators' roles."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.errors import DomainError, ValidationError
from app.web import current_actor, show_error

from . import bp, policy, services
from .decorators import admin_work
from .forms import ConfirmForm, GrantRoleForm, SecuritySettingsForm


def _settings_form() -> SecuritySettingsForm:
    form = SecuritySettingsForm()
    if request.method == "GET":
        row = policy.stored_settings()
        for name in ("lockout_attempts", "lockout_minutes", "idle_minutes"):
            value = getattr(row, name, None) if row is not None else None
            getattr(form, name).data = "" if value is None else str(value)
        form.two_factor.data = (row.two_factor if row is not None else None) or ""
        form.version.data = str(row.version) if row is not None else ""
    return form


def _page(settings_form=None, grant_form=None, status: int = 200):
    return render_template("accounts/security.html", form=settings_form or _settings_form(),
                           grant_form=grant_form or GrantRoleForm(formdata=None), confirm_form=ConfirmForm(),
                           rules=policy.current(), locked=services.locked_users(),
                           enrolled=services.two_factor_users(), holders=services.admin_role_holders()), status


@bp.route("/security")
@admin_work("security")
def security():
    return _page()


@bp.route("/security/settings", methods=["POST"])
@admin_work("security")
def save_settings():
    form = SecuritySettingsForm()
    if form.validate_on_submit():
        try:
            services.save_security_settings(
                {name: getattr(form, name).data for name in ("lockout_attempts", "lockout_minutes", "idle_minutes",
                                                             "two_factor")},
                actor=current_actor(), version=form.version.data or None)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("The security settings have been saved."), "success")
            return redirect(url_for("accounts.security"), code=303)
    return _page(settings_form=form, status=422)


@bp.route("/security/users/<int:user_id>/unlock", methods=["POST"])
@admin_work("security")
def unlock_user(user_id: int):
    ConfirmForm()
    user = services.get_user(user_id)
    services.unlock(user, actor=current_actor())
    flash(_("%(user)s has been unlocked.", user=user.username), "success")
    return redirect(url_for("accounts.security"), code=303)


@bp.route("/security/users/<int:user_id>/two-factor/reset", methods=["POST"])
@admin_work("security")
def reset_two_factor(user_id: int):
    ConfirmForm()
    user = services.get_user(user_id)
    try:
        services.reset_two_factor(user, actor=current_actor())
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        flash(_("Two-factor log-in of %(user)s has been reset: they set it up again at their next log-in.",
                user=user.username), "success")
    return redirect(url_for("accounts.security"), code=303)


@bp.route("/security/roles", methods=["POST"])
@admin_work("security")
def grant_role():
    form = GrantRoleForm()
    if form.validate_on_submit():
        try:
            user = services.find_user(form.username.data)
            services.grant_role(user, form.role.data, actor=current_actor())
        except DomainError as error:
            if not isinstance(error, ValidationError):
                form.username.errors = list(form.username.errors) + [str(error.message)]
            else:
                show_error(form, error)
        else:
            flash(_("The role has been granted to %(user)s.", user=user.username), "success")
            return redirect(url_for("accounts.security"), code=303)
    return _page(grant_form=form, status=422)


@bp.route("/security/users/<int:user_id>/roles/<role>/revoke", methods=["POST"])
@admin_work("security")
def revoke_role(user_id: int, role: str):
    ConfirmForm()
    user = services.get_user(user_id)
    try:
        services.revoke_city_role(user, role, actor=current_actor())
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        flash(_("The role has been taken from %(user)s.", user=user.username), "success")
    return redirect(url_for("accounts.security"), code=303)
