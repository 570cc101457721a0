"""Small helpers shared by the views of every feature package."""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import flash
from flask_wtf import FlaskForm

from app.errors import DomainError, ValidationError


def show_error(form: FlaskForm | None, error: DomainError) -> None:
    """Put a service's error on the form's fields (or flash it when no field matches)."""
    placed = False
    if form is not None and isinstance(error, ValidationError):
        for name, messages in error.errors.items():
            field = getattr(form, name, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = list(field.errors) + [str(m) for m in messages]
                placed = True
            else:
                for message in messages:
                    flash(str(message), "danger")
    if not placed or not isinstance(error, ValidationError):
        flash(str(error.message), "danger")


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
