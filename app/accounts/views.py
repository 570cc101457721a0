"""Log-in, log-out, password and language."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.errors import DomainError
from app.extensions import limiter
from app.web import safe_next, show_error

from . import bp, services
from .forms import ChangePasswordForm, ConfirmForm, LoginForm


def _failed_login(response) -> bool:
    # Only failed attempts count against the limit: a successful log-in redirects.
    return request.method == "POST" and response.status_code != 302


def _login_user_key() -> str:
    return "login-user:" + services.normalise_username(request.form.get("username", ""))[:60]


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def home_for(user) -> str:
    """Where a user lands after log-in: the city, their only bureau, or a chooser."""
    if user.city_role:
        return url_for("city.dashboard")
    bureaus = [m.tenant for m in user.memberships if m.tenant is not None and m.tenant.status == "active"]
    if len(bureaus) == 1:
        return url_for("bureau.home", slug=bureaus[0].slug)
    return url_for("accounts.choose")


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return redirect(home_for(current_user))


@bp.route("/choose")
@login_required
def choose():
    bureaus = sorted((m.tenant for m in current_user.memberships if m.tenant is not None
                      and m.tenant.status == "active"), key=lambda t: t.name)
    return render_template("accounts/choose.html", bureaus=bureaus)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed_login)
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_user_key, deduct_when=_failed_login)
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            flash(_("User name or password is not correct."), "danger")
            return render_template("accounts/login.html", form=form), 200
        target = form.next.data
        session.clear()  # a fresh session at log-in (no fixation of anything set before)
        login_user(user)
        services.record_login(user)
        return redirect(safe_next(target, home_for(user)))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    ConfirmForm()  # CSRF is checked globally; the form only documents the intent
    services.end_all_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.new_password.data)
        except DomainError as error:
            show_error(form, error)
        else:
            # The session token changed: log this session in again with the new one.
            session.clear()
            login_user(user)
            flash(_("Your password has been changed. Other sessions have been logged out."), "success")
            return redirect(home_for(user))
    return render_template("accounts/password.html", form=form)


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.form.get("next"), url_for("accounts.index")))
