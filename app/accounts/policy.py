"""The security settings in force: the security administrator's (catalog table
``security_settings``) over the configuration's defaults."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, has_request_context

from app.extensions import db

from .models import BUREAU_ADMIN, SecuritySettings

REQUIRED_FOR_ADMINS = "required-for-admins"
OPTIONAL = "optional"
OFF = "off"
TWO_FACTOR_POLICIES = (REQUIRED_FOR_ADMINS, OPTIONAL, OFF)

# Bounds of what the security administrator may set (the form says them).
LOCKOUT_ATTEMPTS_RANGE = (3, 20)
LOCKOUT_MINUTES_RANGE = (1, 1440)
IDLE_MINUTES_RANGE = (5, 240)


@dataclass(frozen=True)
class Policy:
    """One request's view of the security settings."""

    lockout_attempts: int
    lockout_minutes: int
    idle_minutes: int
    two_factor: str
    max_hours: int
    password_history: int
    password_max_age_days: int
    separation_of_duties: bool


def stored_settings() -> SecuritySettings | None:
    """The settings row (``None`` until the security administrator first saves)."""
    return db.session.get(SecuritySettings, 1)


def current() -> Policy:
    """The settings in force (read once per request)."""
    if has_request_context() and "zeren_policy" in g:
        return g.zeren_policy
    config = current_app.config
    row = stored_settings()

    def pick(column: str, setting: str):
        value = getattr(row, column, None) if row is not None else None
        return config[setting] if value is None else value

    policy = Policy(
        lockout_attempts=int(pick("lockout_attempts", "LOCKOUT_ATTEMPTS")),
        lockout_minutes=int(pick("lockout_minutes", "LOCKOUT_MINUTES")),
        idle_minutes=int(pick("idle_minutes", "SESSION_IDLE_MINUTES")),
        two_factor=str(pick("two_factor", "TWO_FACTOR")),
        max_hours=int(config["SESSION_MAX_HOURS"]),
        password_history=int(config["PASSWORD_HISTORY"]),
        password_max_age_days=int(config["PASSWORD_MAX_AGE_DAYS"]),
        separation_of_duties=bool(config["SEPARATION_OF_DUTIES"]),
    )
    if has_request_context():
        g.zeren_policy = policy
    return policy


def forget() -> None:
    """Drop this request's cached settings (after they were saved)."""
    if has_request_context():
        g.pop("zeren_policy", None)


def two_factor_required(user) -> bool:
    """Whether ``user`` must log in with a second factor under the current policy:
    city roles and bureau administrators when it is "required-for-admins"."""
    if current().two_factor != REQUIRED_FOR_ADMINS:
        return False
    return any(m.tenant_id is None or m.role == BUREAU_ADMIN for m in user.memberships)


def two_factor_enabled() -> bool:
    """Whether two-factor log-in is in use at all (an enrolled user is asked for a code)."""
    return current().two_factor != OFF
