"""Log-in, log-out, password and language."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.core import clock
from app.errors import DomainError
from app.extensions import db, limiter
from app.web import safe_next, show_error

from . import bp, policy, services, twofactor
from .forms import ChangePasswordForm, ConfirmForm, EnrolTwoFactorForm, LoginForm, TwoFactorCodeForm
from .models import User


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
    if services.does_admin_work(user, "security"):
        return url_for("accounts.security")
    if services.does_admin_work(user, "audit"):
        return url_for("city.audit.city_log")
    bureaus = [m.tenant for m in user.memberships if m.tenant is not None and m.tenant.status == "active"]
    if len(bureaus) == 1:
        return url_for("bureau.home.home", slug=bureaus[0].slug)
    return url_for("accounts.choose")


# Pages a user with a one-time password may still open (besides static files).
OPEN_WITH_ONE_TIME_PASSWORD = frozenset({"accounts.change_password", "accounts.logout", "accounts.set_language",
                                         "accounts.two_factor", "static", "bootstrap.static"})
# Pages a user who must set up two-factor log-in may still open.
OPEN_BEFORE_ENROLMENT = frozenset({"accounts.two_factor", "accounts.change_password", "accounts.logout",
                                   "accounts.set_language", "static", "bootstrap.static"})
# Pages that do not count as activity and need no live session.
_PASSIVE = frozenset({"static", "bootstrap.static"})
# Seconds between writes of the "last seen" time into the session cookie.
_SEEN_RESOLUTION = 30
# How long the password step stays valid while the code is asked.
PENDING_SECONDS = 300


@bp.before_app_request
def guard_session():
    """End a log-in that was idle too long or is older than its lifetime (the log-in page
    says which), and hold a user who must set up two-factor log-in on its page.

    Checked on every request, so no page, download or POST escapes it.
    """
    if request.endpoint in _PASSIVE or not current_user.is_authenticated:
        return None
    rules = policy.current()
    now = clock.now().timestamp()
    seen = session.get("seen")
    since = session.setdefault("login_at", now)
    reason = None
    if seen is not None and now - seen > rules.idle_minutes * 60:
        reason = "idle"
    elif now - since > rules.max_hours * 3600:
        reason = "expired"
    if reason:
        user = current_user._get_current_object()
        logout_user()
        session.clear()
        try:
            # Its own unit of work: the request's view never runs.
            services.record_logout(user, reason=reason)
        except Exception:  # noqa: BLE001 - the session has ended whatever the audit does
            db.session.rollback()
            current_app.logger.warning("the end of %s's log-in (%s) could not be audited", user.username, reason,
                                       exc_info=True)
        return redirect(url_for("accounts.login", reason=reason), code=303)
    if seen is None or now - seen >= _SEEN_RESOLUTION:
        session["seen"] = now
    if request.endpoint not in OPEN_BEFORE_ENROLMENT and services.must_enrol(current_user):
        # The enrolment page itself says why the user is there.
        return redirect(url_for("accounts.two_factor"), code=303)
    return None


@bp.before_app_request
def require_own_password():
    """Send a user whose password was chosen by an administrator, or has expired, to change
    it first.

    Checked on every request (the flag is on the user loaded for the request), so no page
    — bureau, city, download or POST — can be used until the user has chosen their own.
    """
    # The endpoint first: static files need no user loaded.
    if request.endpoint in OPEN_WITH_ONE_TIME_PASSWORD or not current_user.is_authenticated:
        return None
    if current_user.must_change_password:
        flash(_("Your password was set by an administrator and can be used only once. "
                "Choose your own password to continue."), "warning")
        return redirect(url_for("accounts.change_password"), code=303)
    if services.password_expired(current_user):
        flash(_("Your password is older than %(n)d days: choose a new one to continue.",
                n=policy.current().password_max_age_days), "warning")
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


LOGGED_OUT_BECAUSE = {
    "idle": lambda: _("You were logged out after %(n)d minutes without activity. Log in again to continue.",
                      n=policy.current().idle_minutes),
    "expired": lambda: _("Your log-in was older than %(n)d hours and has ended. Log in again to continue.",
                         n=policy.current().max_hours),
}


def _local_time(moment) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm")


def _refusal(username: str) -> str:
    """What a refused log-in is told: when a locked name may try again, else the same words
    for a wrong name and a wrong password."""
    until = services.lock_ends(username)
    if until is not None:
        return _("Too many failed log-ins: this account is locked. Try again after %(time)s, or ask the security "
                 "administrator to unlock it.", time=_local_time(until))
    return _("User name or password is not correct.")


def finish_login(user: User, target: str):
    """Log ``user`` in (every factor done) and answer with a redirect to ``target``.

    Directory and single-sign-on log-ins end here too, after their own first step."""
    # The response is made before the user is logged in, so that nothing about it
    # (the target comes from the request) can fail after the session was switched.
    response = redirect(target)
    previous_at, previous_ip = services.record_login(user)
    session.clear()  # a fresh session at log-in (no fixation of anything set before)
    login_user(user)
    now = clock.now().timestamp()
    session["login_at"] = session["seen"] = now
    if previous_at is not None:
        flash(_("Last log-in: %(time)s from %(ip)s", time=_local_time(previous_at),
                ip=previous_ip or _("an unknown address")), "info")
    return response


def after_first_factor(user: User, next_target: str | None):
    """Continue a log-in whose first factor (password, directory) succeeded: ask for the
    second factor when the user has one, else log in."""
    target = url_for("accounts.change_password") if user.must_change_password else safe_next(
        next_target, home_for(user))
    if services.asks_second_factor(user):
        session.clear()
        session["pending_login"] = {"user": user.id, "token": user.session_token, "target": target,
                                    "at": clock.now().timestamp()}
        return redirect(url_for("accounts.login_code"), code=303)
    return finish_login(user, target)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed_login)
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_user_key, deduct_when=_failed_login)
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    reason = request.args.get("reason", "")
    notice = LOGGED_OUT_BECAUSE[reason]() if reason in LOGGED_OUT_BECAUSE else None
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            flash(_refusal(form.username.data), "danger")
            return render_template("accounts/login.html", form=form), 200
        return after_first_factor(user, form.next.data)
    return render_template("accounts/login.html", form=form, notice=notice)


def _pending_user() -> tuple[User | None, dict]:
    pending = session.get("pending_login") or {}
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None, {}
    if clock.now().timestamp() - float(pending.get("at") or 0) > PENDING_SECONDS:
        return None, {}
    user = db.session.get(User, pending["user"])
    if user is None or not user.active or user.session_token != pending.get("token"):
        return None, {}
    return user, pending


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed_login)
def login_code():
    """The second step of a log-in: the authenticator app's code or a recovery code."""
    user, pending = _pending_user()
    if user is None:
        session.pop("pending_login", None)
        flash(_("Log in with your password first (the code must follow within five minutes)."), "warning")
        return redirect(url_for("accounts.login"))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        if services.verify_second_factor(user, form.code.data):
            return finish_login(user, pending["target"])
        if services.lock_ends(user.username) is not None:
            session.pop("pending_login", None)
            flash(_refusal(user.username), "danger")
            return redirect(url_for("accounts.login"), code=303)
        form.code.errors = list(form.code.errors) + [
            _("This code is not right, or was already used. Enter the code your app shows now.")]
    return render_template("accounts/login_code.html", form=form), 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    ConfirmForm()  # CSRF is checked globally; the form only documents the intent
    services.record_logout(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    """Set up two-factor log-in: scan the QR code, confirm with a first code, note the
    recovery codes (shown once)."""
    user = current_user._get_current_object()
    if not policy.two_factor_enabled() and not user.has_two_factor:
        abort(404)
    if user.has_two_factor:
        return render_template("accounts/two_factor_on.html", remaining=services.unused_recovery_codes(user),
                               form=ConfirmForm())
    secret = session.get("totp_enrol")
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session["totp_enrol"] = twofactor.new_secret()
    form = EnrolTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = services.enable_two_factor(user, secret, form.code.data)
        except DomainError as error:
            show_error(form, error)
        else:
            session.pop("totp_enrol", None)
            flash(_("Two-factor log-in is on."), "success")
            return render_template("accounts/recovery_codes.html", codes=codes, next=home_for(user))
    uri = twofactor.provisioning_uri(secret, user.username)
    return render_template("accounts/two_factor.html", form=form, qr=twofactor.qr_svg(uri), secret=secret,
                           required=services.must_enrol(user))


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@login_required
def new_recovery_codes():
    """Ten new recovery codes (the old ones stop working), shown once."""
    ConfirmForm()
    try:
        codes = services.renew_recovery_codes(current_user._get_current_object())
    except DomainError as error:
        flash(str(error.message), "danger")
        return redirect(url_for("accounts.two_factor"))
    return render_template("accounts/recovery_codes.html", codes=codes, next=home_for(current_user))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    expired = services.password_expired(current_user)
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.new_password.data)
        except DomainError as error:
            show_error(form, error)
        else:
            # The session token changed: log this session in again with the new one (the
            # log-in's age carries over: changing the password does not extend it).
            since = session.get("login_at")
            session.clear()
            login_user(user)
            session["login_at"] = since or clock.now().timestamp()
            session["seen"] = clock.now().timestamp()
            flash(_("Your password has been changed. Other sessions have been logged out."), "success")
            return redirect(home_for(user))
    return render_template("accounts/password.html", form=form, expired=expired,
                           two_factor_available=policy.two_factor_enabled())


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.form.get("next"), url_for("accounts.index")))
