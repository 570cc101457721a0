"""Rules for short text that people type into names and titles, shared by every package."""
from __future__ import annotations

import unicodedata

# Bidirectional embeddings, overrides and isolates: they make "‮gpj.exe" read as "exe.jpg".
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(text: str) -> bool:
    """Whether ``text`` has a control character, a line/paragraph separator or a
    bidirectional override (nothing a name, a title or a password needs; PostgreSQL
    refuses NUL outright)."""
    # Cc: C0/C1 controls (CR, LF, NUL, DEL …); Zl/Zp: Unicode line and paragraph separators.
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI_CONTROLS for ch in text)
