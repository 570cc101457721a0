"""Small helpers shared by the views of every feature package."""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import abort, flash, g
from flask_login import current_user
from flask_wtf import FlaskForm

from app.core.actor import BUREAU_VIEWER, Actor
from app.errors import DomainError, NotFound, PermissionDenied, ValidationError


def current_actor() -> Actor:
    """The logged-in user as services see them: on a bureau's pages with their role there
    (a viewer's while the bureau is archived), elsewhere on the city's side."""
    bureau = g.get("bureau")
    if bureau is not None:
        return Actor.bureau(current_user, BUREAU_VIEWER if bureau.archived else bureau.role)
    return Actor.city(current_user)


def show_error(form: FlaskForm | None, error: DomainError) -> None:
    """Put a service's error on the form's fields; what no field takes (and everything
    when there is no form) is flashed after the error's own message."""
    unplaced: list[str] = []
    placed = False
    for name, messages in (error.errors.items() if isinstance(error, ValidationError) else ()):
        field = getattr(form, name, None) if form is not None else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [str(m) for m in messages]
            placed = True
        else:
            unplaced.extend(str(m) for m in messages)
    if not placed or unplaced:
        flash(str(error.message), "danger")
    for message in unplaced:
        flash(message, "danger")


def answer_error(error: DomainError, form: FlaskForm | None = None) -> None:
    """The one way a view answers a service's refusal on a form page: 403 for a
    permission, 404 for a missing record, otherwise the messages on the form
    (:func:`show_error`); the view then renders the page again."""
    if isinstance(error, PermissionDenied):
        abort(403)
    if isinstance(error, NotFound):
        abort(404)
    show_error(form, error)


# Longest redirect target followed; a longer one is refused (no page has such a URL).
NEXT_MAX_LENGTH = 2000


def _unsafe_characters(text: str) -> bool:
    # Control characters (CR, LF, NUL, TAB, DEL, C1), format characters (bidi overrides,
    # zero-width), line/paragraph separators, unassigned and surrogates: none belongs in a
    # path, and browsers drop or reinterpret several of them.  A backslash is read as "/"
    # by browsers ("/\\evil.example" is another site).
    return "\\" in text or any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
                                for ch in text)


def safe_next(target: str | None, default: str) -> str:
    """The redirect target to follow after log-in or a language switch, else ``default``.

    Only a same-site absolute path is followed: no scheme, no host, not scheme-relative
    (``//host``), no backslash, no control or invisible characters, and none of these
    hidden by percent-encoding (``/%2F%2Fevil``, ``/%0d%0aSet-Cookie:``, ``/%5cevil``;
    decoded up to three times).  Every redirect built from the request goes through here,
    which is also what keeps a header value from ever carrying a line break.
    """
    if not target or not isinstance(target, str) or len(target) > NEXT_MAX_LENGTH:
        return default
    variant = target
    for _ in range(4):
        if _unsafe_characters(variant) or not variant.startswith("/") or variant.startswith("//"):
            return default
        parts = urlsplit(variant)
        if parts.scheme or parts.netloc:
            return default
        decoded = unquote(variant, errors="replace") if "%" in variant else variant
        if decoded == variant:
            break
        variant = decoded
    else:  # still changing after three decodings: nobody links like that
        return default
    return target


def flash_field_errors(form: FlaskForm) -> None:
    """Flash every field error as "label：message" (for small forms posted from a list page)."""
    for field in form:
        for message in field.errors:
            flash(f"{field.label.text}：{message}", "danger")
