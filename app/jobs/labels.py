"""Human labels of job kinds and states (the jobs page, ``flask jobs list``)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import DONE, FAILED, QUEUED, RUNNING

KIND_LABELS = {
    "report.bureau": _l("Annual report"),
    "report.scores": _l("Score-sheet printout"),
    "report.ledger": _l("Rectification ledger"),
    "report.city": _l("City summary"),
    "rollup.refresh": _l("A bureau's city figures"),
    "rollup.nightly": _l("Every bureau's figures (nightly)"),
    "reminders.digest": _l("Daily reminder e-mails"),
    "findings.red_warnings": _l("Red warnings to the city"),
    "backups.nightly": _l("Nightly backups"),
    "tenants.upgrade": _l("Upgrading the bureaus' databases"),
}
STATE_LABELS = {QUEUED: _l("waiting"), RUNNING: _l("running"), DONE: _l("done"), FAILED: _l("failed")}
STATE_BADGES = {QUEUED: "text-bg-secondary", RUNNING: "text-bg-primary", DONE: "text-bg-success",
                FAILED: "text-bg-danger"}
