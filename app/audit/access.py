"""Files handed out are audited: every response of the application that carries a file
(a ``Content-Disposition``: evidence downloads, Excel/PDF/Word exports and reports, the
audit export itself) writes one catalog event, from one hook, so a new download page is
audited without a line of its own.  A download sent as a redirect to a presigned URL says
so with :func:`hand_out`.

An evidence file (an endpoint named ``…download``) is recorded as ``file.download`` of an
``attachment``, anything else as ``file.export``; the event names the file, the page and
the bureau concerned (the bureau's own pages, or a city page's ``<bureau>``).  The event is
written before the response leaves: if it cannot be written, the file is not sent.
"""
from __future__ import annotations

from flask import g, request
from flask_login import current_user
from werkzeug.http import parse_options_header

from .services import record_access

#: Response codes of a file actually sent (a redirect only when :func:`hand_out` said so).
SENT = frozenset({200, 206})
_NOTE = "zeren_handed_out"


def hand_out(download_name: str) -> None:
    """Say that this request hands out ``download_name`` by other means (a redirect to
    the object store), so the hook audits it too."""
    setattr(g, _NOTE, download_name)


def file_name(response) -> str | None:
    """The name of the file ``response`` hands out, or ``None`` when it is a page."""
    noted = g.get(_NOTE)
    if noted is not None:
        return noted
    if response.status_code not in SENT:
        return None
    header = response.headers.get("Content-Disposition")
    if not header:
        return None
    _value, options = parse_options_header(header)
    return options.get("filename") or "(unnamed)"


def audit_response(response):
    """``after_request``: record the file this response hands out, if any."""
    name = file_name(response)
    if name is None or not current_user or not current_user.is_authenticated:
        return response
    endpoint = request.endpoint or ""
    bureau = g.get("bureau")
    slug = bureau.slug if bureau is not None else (request.view_args or {}).get("bureau")
    slug = slug if isinstance(slug, str) else None
    numbers = [v for v in (request.view_args or {}).values() if isinstance(v, int)]
    evidence = endpoint.rsplit(".", 1)[-1] == "download"
    shown = name[:120]
    record_access("file.download" if evidence else "file.export", "attachment" if evidence else "export",
                  numbers[0] if evidence and numbers else endpoint[:60],
                  summary=(f"下载证明材料「{shown}」" if evidence else f"导出「{shown}」"),
                  after={"file": shown, "page": request.full_path[:300]}, tenant_slug=slug)
    return response
