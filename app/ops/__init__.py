"""Running Zeren in production: health checks, metrics, request ids and structured logs,
proxy headers.  Registered by :func:`app.create_app` (:func:`init_app`); none of it touches a
bureau's data."""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import health, metrics, request_log


def init_app(app: Flask) -> None:
    """Health pages, the request id and the log format, and trust in the proxies in front."""
    app.register_blueprint(health.bp)
    request_log.init_app(app)
    metrics.init_app(app)
    hops = app.config["PROXY_HOPS"]
    if hops:
        # Trust exactly the proxies the deployment says are in front (nginx: 1): the client
        # address, scheme and host they set.  A header beyond them is the client's own.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
