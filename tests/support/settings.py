"""Which ``ZEREN_*`` variables describe the machine the suite runs on.

Tests clear ``ZEREN_*`` so that one developer's settings never change what a test sees;
these are kept: the PostgreSQL server of the suite's PostgreSQL pass, and whether a pooler
in front of it (PgBouncer in transaction mode, the CI's third pass) forbids prepared
statements.
"""
from __future__ import annotations

SUITE_SETTINGS = frozenset({"ZEREN_TEST_POSTGRES_URL", "ZEREN_TEST_CITUS_URL", "ZEREN_PG_PREPARED_STATEMENTS"})


def cleared(name: str) -> bool:
    """Whether a test clears this environment variable."""
    return name.startswith("ZEREN_") and name not in SUITE_SETTINGS
