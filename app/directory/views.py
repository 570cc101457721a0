"""The unified identity service's log-in: start (to the provider) and callback (back)."""
from __future__ import annotations

import logging

import requests
from authlib.integrations.base_client.errors import OAuthError
from flask import abort, flash, has_request_context, redirect, request, session, url_for
from flask_login import current_user
from joserfc.errors import JoseError

from app.accounts.views import after_first_factor, home_for
from app.web import safe_next

from . import bp, labels, oidc, services

log = logging.getLogger(__name__)

#: Where the log-in page's ``next`` waits while the person is at the identity service.
NEXT_KEY = "directory.next"


@bp.app_context_processor
def login_extras():
    """What the log-in page shows of the directory: the identity service's button, and a
    notice (directory unreachable, a refused first log-in)."""
    # Templates are rendered by jobs too (reports), outside any request.
    if not has_request_context() or request.endpoint != "accounts.login":
        return {}
    code = services.notice()
    return {"directory_sso": services.oidc_enabled(), "directory_notice": labels.NOTICES.get(code) if code else None}


def _refuse(code: str):
    flash(labels.NOTICES[code], "danger")
    return redirect(url_for("accounts.login"))


@bp.route("/login/sso")
def sso_start():
    """Send the person to the identity service (state, nonce and PKCE kept in the session)."""
    if not services.oidc_enabled():
        abort(404)
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    session[NEXT_KEY] = safe_next(request.args.get("next"), "")
    try:
        return oidc.client().authorize_redirect(url_for("directory.sso_callback", _external=True))
    except (requests.RequestException, OAuthError, ValueError, KeyError, RuntimeError) as error:
        log.warning("identity service unreachable: %s", error)
        return _refuse(services.SSO_UNREACHABLE)


@bp.route("/login/sso/callback")
def sso_callback():
    """Back from the identity service: check state, exchange the code, check the ID token,
    log the account in (made at the first log-in)."""
    if not services.oidc_enabled():
        abort(404)
    if request.args.get("error"):
        return _refuse(services.SSO_CANCELLED)
    try:
        token = oidc.client().authorize_access_token()
        claims = dict(token.get("userinfo") or {})
        if not claims.get("sub"):
            raise ValueError("no ID token")
    except requests.RequestException as error:
        log.warning("identity service unreachable: %s", error)
        return _refuse(services.SSO_UNREACHABLE)
    except (OAuthError, JoseError, ValueError, KeyError, TypeError) as error:
        # A forged or replayed state, a token of another audience or issuer, an expired
        # or badly signed one: refused, said plainly, never a 500.
        log.warning("identity service log-in refused: %s: %s", type(error).__name__, error)
        return _refuse(services.SSO_FAILED)
    issuer = oidc.client().load_server_metadata().get("issuer") or ""
    user = services.log_in_refusing(services.person_from_claims(claims, issuer))
    if user is None:
        code = services.notice() or services.SSO_FAILED
        return _refuse(code)
    # The identity service is the first factor: the second, lockout rules and the
    # "last log-in" notice are the accounts' own log-in steps.
    return after_first_factor(user, session.get(NEXT_KEY))
