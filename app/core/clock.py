"""Dates where the bureaus are: one time zone for the whole application, from the
configuration (``BABEL_DEFAULT_TIMEZONE``, Asia/Shanghai by default).

Times are stored in UTC (:func:`app.models.utcnow`); what a day is — today, the year a
record falls in, the day a figure is "as of" — is always decided in this zone.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app


@lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_zone() -> ZoneInfo:
    """The configured time zone of the bureaus."""
    return _zone(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def today() -> date:
    """Today's date in the bureaus' time zone."""
    return datetime.now(local_zone()).date()


def now() -> datetime:
    """The current time, aware, in UTC (what is stored); tests freeze it here."""
    return datetime.now(timezone.utc)
