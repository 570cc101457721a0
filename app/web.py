"""Small helpers shared by the views of every feature package."""
from __future__ import annotations

from urllib.parse import urlsplit

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


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after log-in (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def flash_field_errors(form: FlaskForm) -> None:
    """Flash every field error as "label：message" (for small forms posted from a list page)."""
    for field in form:
        for message in field.errors:
            flash(f"{field.label.text}：{message}", "danger")
