"""What every page shares: security headers, error pages, template helpers."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import Flask, g, render_template, request, session
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from app.core.unit_of_work import unit_of_work
from app.errors import DomainError
from app.tenancy.session import verify_storage

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
ERROR_PAGES = (400, 403, 404, 405, 409, 413, 423, 429, 500, 503)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ZerenFlask(Flask):
    """Flask with one unit of work per request that may change data.

    A POST (PUT, PATCH, DELETE) runs its view inside :func:`app.core.unit_of_work.
    unit_of_work`: the services it calls flush, and the request commits once when the view
    returned, or rolls back when it raised.  A commit that fails (a concurrent edit, a
    bureau restored meanwhile) becomes the error page, and the messages the view had
    flashed for its success are taken back: nothing says "saved" for a write that was not.
    Reading requests commit nothing.
    """

    def dispatch_request(self):  # noqa: D102 (Flask's)
        if request.method in SAFE_METHODS:
            return super().dispatch_request()
        flashed = list(session.get("_flashes", ()))
        try:
            with unit_of_work():
                return super().dispatch_request()
        except BaseException:
            if session.get("_flashes", []) != flashed:
                if flashed:
                    session["_flashes"] = flashed
                else:
                    session.pop("_flashes", None)
            raise


def init_app(app: Flask) -> None:
    """Register headers, error handlers, filters and globals on ``app``."""

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.endpoint and request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        template = f"errors/{code}.html" if code in ERROR_PAGES else "errors/generic.html"
        if isinstance(error, CSRFError):
            template = "errors/400.html"
        return render_template(template, error=error, code=code), code

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        code = error.http_status
        template = f"errors/{code}.html" if code in ERROR_PAGES else "errors/generic.html"
        return render_template(template, error=error, code=code, message=error.message), code

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):
        # A request that opened a bureau just before it was deleted or restored finds its
        # file gone or its schema dropped: tell the user, instead of a 500.  Any other
        # database error is a fault and goes on as one.
        ref = g.get("tenant_ref")
        if ref is not None:
            try:
                verify_storage(ref)
            except DomainError as replaced:  # StorageReplaced, or BureauArchived meanwhile
                return domain_error(replaced)
        raise error

    if not app.testing:  # in tests an unexpected exception must surface, not become a page

        @app.errorhandler(Exception)
        def unexpected(error: Exception):
            app.logger.exception("unhandled error on %s %s", request.method, request.path)
            return render_template("errors/500.html", code=500), 500

    tz = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])

    @app.template_filter("local_time")
    def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(tz).strftime(fmt)

    @app.template_filter("cn_date")
    def cn_date(value: date | None) -> str:
        """A date in Arabic numerals as official documents write it: 2026年11月26日."""
        if value is None:
            return ""
        return f"{value.year}年{value.month}月{value.day}日"

    @app.template_filter("figure")
    def figure(value: object, kind: str = "number") -> str:
        """A roll-up figure as shown in tables (see :func:`app.city.rollup.format_figure`)."""
        from app.city.rollup import format_figure

        return format_figure(value, kind)

    @app.context_processor
    def shell_globals() -> dict:
        from flask_babel import get_locale

        from app.accounts.roles import ROLE_LABELS

        return {"ROLE_LABELS": ROLE_LABELS, "LANGUAGES": app.config["LANGUAGES"],
                "current_locale": str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
                "app_title": _("Zeren · Party-building responsibility")}
