"""A request id for every request, and log records that carry it.

The id comes from the ``X-Request-ID`` header set by the proxy in front (nginx:
``proxy_set_header X-Request-ID $request_id``) when it is a plain token, else it is made
here; it is sent back in the response and written by gunicorn's access log
(``gunicorn.conf.py``), so one id follows a request through nginx, gunicorn and the
application's own log lines.  With ``ZEREN_LOG_FORMAT=json`` (the default in production)
every line is one JSON object with the time, level, logger, message, request id, user and
bureau.
"""
from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-ID"
#: What a forwarded id may look like: a token of letters, digits and - _ . (nginx's
#: ``$request_id`` is 32 hex digits); anything else is replaced, never echoed.
_TOKEN = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _ensure_request_id() -> str:
    if not g.get("request_id"):
        offered = request.headers.get(HEADER, "")
        g.request_id = offered if _TOKEN.fullmatch(offered) else uuid.uuid4().hex
    return g.request_id


def request_id() -> str | None:
    """The current request's id (``None`` outside a request)."""
    return g.get("request_id") if has_request_context() else None


def init_app(app: Flask) -> None:
    """Give every request an id, send it back, and format the application's log."""

    @app.before_request
    def assign_request_id() -> None:
        _ensure_request_id()

    @app.after_request
    def send_request_id(response):
        # Also for a request refused before the before-request hooks ran (a bureau page's
        # URL processor answering 404 or the log-in redirect).
        response.headers[HEADER] = _ensure_request_id()
        return response

    if app.config["LOG_FORMAT"] == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        app.logger.handlers[:] = [handler]
        app.logger.setLevel(app.config["LOG_LEVEL"])
        app.logger.propagate = False


class JsonFormatter(logging.Formatter):
    """One JSON object per record: when, level, logger, message, and who and where."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_request_fields())
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _request_fields() -> dict:
    if not has_request_context():
        return {}
    from flask_login import current_user

    fields = {"request_id": g.get("request_id"), "method": request.method, "path": request.path}
    user = current_user._get_current_object() if current_user else None
    if user is not None and getattr(user, "is_authenticated", False):
        fields["user"] = user.username
    bureau = g.get("bureau")
    if bureau is not None:
        fields["bureau"] = bureau.slug
    return fields
