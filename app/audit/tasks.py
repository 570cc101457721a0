"""The daily archive of old audit events as a scheduled job (``flask audit archive`` does
the same by hand)."""
from __future__ import annotations

from app.jobs.services import daily, handler

from . import archive

ARCHIVE = "audit.archive"


@handler(ARCHIVE)
def archive_old_events(progress) -> dict:
    """Archive every chain's events older than the retention period; fail (and so retry,
    and show on the jobs page) when any chain refused, having removed nothing of it."""
    outcomes: dict[str, list[str]] = {}

    def echo(scope: str, outcome: str, text: str) -> None:
        outcomes.setdefault(outcome, []).append(f"{scope}: {text}")
        progress.advance()

    failures = archive.archive_everywhere(echo)
    if failures:
        raise RuntimeError("; ".join(outcomes.get("refused", [])))
    return {outcome: len(lines) for outcome, lines in outcomes.items()}


daily(ARCHIVE, at_setting="AUDIT_ARCHIVE_AT", default_at="03:30")
