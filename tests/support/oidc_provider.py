"""A small OpenID Connect provider for the identity-service tests, written here: discovery,
keys (JWKS), authorize and token endpoints, ID tokens signed RS256 with a key made for the
run.  It serves in a thread on a port of its own; the test decides who "logs in" there
(``next_claims``) and how the provider misbehaves (``tamper``)."""
from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from tests.support.slapd import free_port

CLIENT_ID = "zeren-test"
CLIENT_SECRET = "zeren-test-client-secret"
PORTS = range(7250, 7300)


@dataclass
class Provider:
    """The provider's state, read and changed by the tests."""

    port: int
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "test-1"}))
    next_claims: dict = field(default_factory=dict)
    #: Claims to override in the next ID tokens (aud, iss, exp …), and other misbehaviour.
    tamper: dict = field(default_factory=dict)
    codes: dict = field(default_factory=dict)
    token_requests: list = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def id_token(self, grant: dict) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": grant["nonce"],
                  **grant["claims"]}
        claims.update(self.tamper.get("claims", {}))
        key = self.tamper.get("key") or self.key
        return jwt.encode({"alg": "RS256", "kid": "test-1"}, claims, key)


def _app(provider: Provider) -> Flask:
    app = Flask("oidc-test-provider")

    @app.get("/.well-known/openid-configuration")
    def discovery():
        base = provider.issuer
        return jsonify(issuer=base, authorization_endpoint=f"{base}/authorize", token_endpoint=f"{base}/token",
                       jwks_uri=f"{base}/jwks", response_types_supported=["code"], subject_types_supported=["public"],
                       id_token_signing_alg_values_supported=["RS256"], code_challenge_methods_supported=["S256"],
                       token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"])

    @app.get("/jwks")
    def jwks():
        return jsonify(keys=[provider.key.as_dict(private=False)])

    @app.get("/authorize")
    def authorize():
        args = request.args
        if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
            return "bad request", 400
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            return "PKCE required", 400
        code = secrets.token_urlsafe(16)
        provider.codes[code] = {"challenge": args["code_challenge"], "nonce": args.get("nonce"),
                                "redirect_uri": args["redirect_uri"], "claims": dict(provider.next_claims)}
        return redirect(f"{args['redirect_uri']}?{urlencode({'code': code, 'state': args.get('state', '')})}")

    @app.post("/token")
    def token():
        form = request.form
        provider.token_requests.append(dict(form))
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if request.authorization:
            client_id, secret = request.authorization.username, request.authorization.password
        if client_id != CLIENT_ID or secret != CLIENT_SECRET:
            return jsonify(error="invalid_client"), 401
        grant = provider.codes.pop(form.get("code", ""), None)
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return jsonify(error="invalid_grant"), 400
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != grant["challenge"]:
            return jsonify(error="invalid_grant", error_description="PKCE"), 400
        return jsonify(access_token=secrets.token_urlsafe(16), token_type="Bearer", expires_in=300,
                       id_token=provider.id_token(grant))

    return app


class RunningProvider:
    """The provider serving in a daemon thread."""

    def __init__(self) -> None:
        self.provider = Provider(port=free_port(PORTS))
        self.server = make_server("127.0.0.1", self.provider.port, _app(self.provider), threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)
