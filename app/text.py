"""Rules for short text that people type into names, titles, numbers and dates, shared by
every package (forms and Excel imports parse with the same rules, so a bad value gets the
same message wherever it comes from)."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

YEAR_MIN, YEAR_MAX = 2000, 2100

# Bidirectional embeddings, overrides and isolates: they make "‮gpj.exe" read as "exe.jpg".
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(text: str) -> bool:
    """Whether ``text`` has a control character, a line/paragraph separator or a
    bidirectional override (nothing a name, a title or a password needs; PostgreSQL
    refuses NUL outright)."""
    # Cc: C0/C1 controls (CR, LF, NUL, DEL …); Zl/Zp: Unicode line and paragraph separators.
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI_CONTROLS for ch in text)


# -- numbers and dates typed into forms or read from cells ----------------------------
def parse_int(value: Any, *, low: int, high: int) -> int | None:
    """An int within [low, high] from a form or cell value, ``None`` if blank; raises ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        value = int(value)
    number = int(str(value).strip())
    if not low <= number <= high:
        raise ValueError(value)
    return number


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def parse_date(value: Any) -> date | None:
    """A date from a form or cell value (2026-06-30, 2026/6/30, 2026年6月30日, a
    ``datetime``), ``None`` if blank; raises ValueError."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if not YEAR_MIN <= value.year <= YEAR_MAX:
            raise ValueError(value)
        return value
    text = str(value).strip()
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            if not YEAR_MIN <= year <= YEAR_MAX:
                raise ValueError(text)
            return date(year, month, day)
    raise ValueError(text)
