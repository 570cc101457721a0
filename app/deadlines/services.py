"""The city's deadline settings: read by every feature that warns or closes entry, changed
by city administrators.

Readers get a plain :class:`Settings` (no ORM row leaves this module), so the duties and
findings services and the roll-up read the thresholds without knowing the catalog.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.audit.services import changes, record_city
from app.core.actor import Actor, require
from app.core.unit_of_work import writes
from app.errors import ValidationError, check_version
from app.extensions import db
from app.text import parse_int

from .models import (APPROVERS, REVIEW_BUREAU, REVIEW_CITY, REVIEW_MODES, REVIEW_OFF, SCOPE_BUREAU,
                     SCOPE_TEMPLATE, DeadlineSettings, ReviewMode)

DAYS_MAX = 365

__all__ = ["REVIEW_BUREAU", "REVIEW_CITY", "REVIEW_OFF", "Settings", "settings", "review_mode", "update_settings",
           "set_review_mode", "review_modes"]


@dataclass(frozen=True)
class Settings:
    """What the rules read: warning thresholds, grace days (``None``: entry never closes),
    who approves a 补录 (``bureau`` or ``city``) and the city's default review mode."""

    blue_days: int = 15
    yellow_days: int = 5
    grace_days: int | None = None
    late_approver: str = "bureau"
    review_mode: str = REVIEW_OFF
    version: int | None = None


def _row() -> DeadlineSettings | None:
    return db.session.scalar(select(DeadlineSettings).order_by(DeadlineSettings.id).limit(1))


def settings() -> Settings:
    """The city's settings (the defaults until a city administrator saves them)."""
    row = _row()
    if row is None:
        return Settings()
    return Settings(blue_days=row.blue_days, yellow_days=row.yellow_days, grace_days=row.grace_days,
                    late_approver=row.late_approver, review_mode=row.review_mode, version=row.version)


def review_modes() -> dict[tuple[str, str], str]:
    """Every review mode set per template year or bureau: (scope, key) → mode."""
    return {(r.scope, r.key): r.mode for r in db.session.scalars(select(ReviewMode))}


def review_mode(slug: str, template_year: int | None) -> str:
    """The review mode of records of ``slug``'s list of ``template_year``: the bureau's own
    mode, else that year's template's, else the city's default."""
    rows = dict(db.session.execute(
        select(ReviewMode.scope, ReviewMode.mode).where(
            ((ReviewMode.scope == SCOPE_BUREAU) & (ReviewMode.key == slug))
            | ((ReviewMode.scope == SCOPE_TEMPLATE) & (ReviewMode.key == str(template_year))))).all())
    return rows.get(SCOPE_BUREAU) or rows.get(SCOPE_TEMPLATE) or settings().review_mode


def _clean(data: dict) -> tuple[dict, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, required in (("blue_days", True), ("yellow_days", True), ("grace_days", False)):
        raw = data.get(name)
        if raw in (None, "") and not required:
            clean[name] = None
            continue
        try:
            value = parse_int(raw, low=0, high=DAYS_MAX)
        except (TypeError, ValueError):
            value = None
        if value is None:
            errors[name] = [_("Enter a whole number of days from 0 to %(n)s.", n=DAYS_MAX)]
        clean[name] = value
    if not errors and clean["yellow_days"] > clean["blue_days"]:
        errors["yellow_days"] = [_("The yellow warning comes closer to the due date than the blue one: "
                                   "enter at most %(n)s days.", n=clean["blue_days"])]
    approver = str(data.get("late_approver") or "")
    if approver not in APPROVERS:
        errors["late_approver"] = [_("Choose who approves late entries from the list.")]
    mode = str(data.get("review_mode") or "")
    if mode not in REVIEW_MODES:
        errors["review_mode"] = [_("Choose a review mode from the list.")]
    clean.update(late_approver=approver, review_mode=mode)
    return clean, errors


@writes
def update_settings(data: dict, *, version: Any = None, actor: Actor) -> Settings:
    """Change the city's settings (city administrators); every field error at once."""
    require(actor.is_city_admin)
    clean, errors = _clean(data)
    if errors:
        raise ValidationError(_("The settings could not be saved."), errors)
    row = _row()
    if row is None:
        row = DeadlineSettings()
        db.session.add(row)
        before = {}
    else:
        check_version(row, version)
        before = {k: getattr(row, k) for k in clean}
    for key, value in clean.items():
        setattr(row, key, value)
    db.session.flush()
    old, new = changes(before, clean)
    record_city("deadline_settings.update", "deadline_settings", row.id, summary="修改预警与截止设置",
                before=old, after=new, actor=actor)
    return settings()


@writes
def set_review_mode(scope: str, key: str, mode: str, *, actor: Actor) -> None:
    """Set (or with ``mode`` empty, clear) the review mode of a template year or a bureau."""
    require(actor.is_city_admin)
    errors: dict[str, list[str]] = {}
    key = str(key or "").strip()[:40]
    if scope not in (SCOPE_TEMPLATE, SCOPE_BUREAU):
        errors["scope"] = [_("Choose a template year or a bureau.")]
    if not key:
        errors["key"] = [_("Choose a template year or a bureau.")]
    elif scope == SCOPE_TEMPLATE and not key.isdigit():
        errors["key"] = [_("Enter a year such as 2026.")]
    if mode and mode not in REVIEW_MODES:
        errors["mode"] = [_("Choose a review mode from the list.")]
    if errors:
        raise ValidationError(_("The review mode could not be saved."), errors)
    row = db.session.scalar(select(ReviewMode).where(ReviewMode.scope == scope, ReviewMode.key == key))
    before = {"mode": row.mode} if row else {}
    if not mode:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(ReviewMode(scope=scope, key=key, mode=mode))
    else:
        row.mode = mode
    db.session.flush()
    record_city("review_mode.set", "review_mode", f"{scope}:{key}", summary=f"设置审核方式：{scope} {key}",
                before=before, after={"mode": mode or None}, tenant_slug=key if scope == SCOPE_BUREAU else None,
                actor=actor)
