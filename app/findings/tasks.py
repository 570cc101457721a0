"""The daily reminder digest as a scheduled job (``flask reminders send`` does the same by
hand): each user gets one e-mail a day of what is due within seven days or overdue."""
from __future__ import annotations

from app.jobs.services import daily, handler

from . import reminders, services

DIGEST = "reminders.digest"
RED = "findings.red_warnings"


@handler(DIGEST)
def digest(progress) -> dict:
    """Send today's digests (a user already sent one today is skipped; a failed send is
    retried by the job's next attempt, since its claim was given back)."""
    report = reminders.send(echo=lambda outcome, _digest, _detail: progress.advance())
    counts = {outcome: report.count(outcome) for outcome in ("sent", "already_sent", "failed")}
    if counts["failed"]:
        raise RuntimeError(f"{counts['failed']} reminder digest(s) could not be sent")
    return counts


daily(DIGEST, at_setting="REMINDERS_AT", default_at="07:30")


@handler(RED)
def red_warnings(_progress) -> dict:
    """Tell the city of the city-raised findings whose warning turned red today."""
    return {"notified": services.notify_turned_red()}


daily(RED, at_setting="RED_WARNINGS_AT", default_at="07:00")
