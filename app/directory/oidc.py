"""The city's unified identity service as an OpenID Connect client (Authlib's Flask client).

One client per application (``app.extensions["zeren.oidc"]``), registered from the
``OIDC_*`` settings: the provider's discovery document gives its endpoints and keys; the
authorization code flow runs with PKCE (S256), and Authlib keeps state, nonce and code
verifier in the session and checks them at the callback, with the ID token's signature,
issuer, audience and expiry.
"""
from __future__ import annotations

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

NAME = "city"


def init_app(app: Flask) -> None:
    """Register the identity service's client when one is configured."""
    if not (app.config.get("OIDC_ISSUER") and app.config.get("OIDC_CLIENT_ID")):
        return
    oauth = OAuth(app)
    issuer = app.config["OIDC_ISSUER"].rstrip("/")
    oauth.register(
        NAME,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config.get("OIDC_CLIENT_SECRET") or None,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": app.config.get("OIDC_SCOPE") or "openid profile",
                       "code_challenge_method": "S256",
                       # Every call to the provider is bounded: a dead one costs seconds, not a worker.
                       "default_timeout": int(app.config.get("OIDC_TIMEOUT") or 5)},
    )
    app.extensions["zeren.oidc"] = oauth


def client():
    """The identity service's client of the current application."""
    return getattr(current_app.extensions["zeren.oidc"], NAME)
