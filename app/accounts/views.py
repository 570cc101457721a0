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
        return url_for("city.dashboard.dashboard")
    bureaus = [m.tenant for m in user.memberships if m.tenant is not None and m.tenant.status == "active"]
    if len(bureaus) == 1:
        return url_for("bureau.home.home", slug=bureaus[0].slug)
    return url_for("accounts.choose")


# Pages a user with a one-time password may still open (besides static files).
OPEN_WITH_ONE_TIME_PASSWORD = frozenset({"accounts.change_password", "accounts.logout", "accounts.set_language",
                                         "static", "bootstrap.static"})


@bp.before_app_request
def require_own_password():
    """Send a user whose password was chosen by an administrator to change it first.

    Checked on every request (the flag is on the user loaded for the request), so no page
    — bureau, city, download or POST — can be used until the user has chosen their own.
    """
    # The endpoint first: static files need no user loaded.
    if (request.endpoint not in OPEN_WITH_ONE_TIME_PASSWORD and current_user.is_authenticated
            and current_user.must_change_password):
        flash(_("Your password was set by an administrator and can be used only once. "
                "Choose your own password to continue."), "warning")
        return redirect(url_for("accounts.change_password"), code=303)
    return None


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
        if user.must_change_password:
            target = url_for("accounts.change_password")
        else:
            target = safe_next(form.next.data, home_for(user))
        # The response is made before the user is logged in, so that nothing about it
        # (the target comes from the request) can fail after the session was switched.
        response = redirect(target)
        services.record_login(user)
        session.clear()  # a fresh session at log-in (no fixation of anything set before)
        login_user(user)
        return response
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
