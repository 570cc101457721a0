"""Human labels of the findings' codes (English msgids, translated by Flask-Babel).

Codes are stable identifiers (see the glossary); labels are what pages, the ledger and
the import workbook show.  Areas are the duties package's areas (Chinese data chosen by
the city), plus "other".
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.duties.labels import DEFAULT_AREAS

from .status import AWAITING, CLOSE, CLOSED, OPEN, RECTIFYING, REOPEN, RETURN, START, SUBMIT

SOURCES = {
    "special_inspection": _l("Special inspection"),
    "internal_patrol": _l("Internal patrol"),
    "inspection_tour": _l("Inspection tour"),
    "self_check": _l("Self-inspection"),
    "superior_feedback": _l("Feedback from higher authorities"),
}

SEVERITIES = {
    "general": _l("General"),
    "major": _l("Major"),
    "serious": _l("Serious"),
}
SEVERITY_BADGES = {"general": "secondary", "major": "warning", "serious": "danger"}

#: Areas a finding can concern: the duty areas, and "other".
AREAS = {**DEFAULT_AREAS, "other": "其他"}

STATUS_LABELS = {
    OPEN: _l("Open"),
    RECTIFYING: _l("Being rectified"),
    AWAITING: _l("Awaiting verification"),
    CLOSED: _l("Closed"),
}
STATUS_BADGES = {OPEN: "secondary", RECTIFYING: "primary", AWAITING: "info", CLOSED: "success"}

ACTION_LABELS = {
    START: _l("Start rectification"),
    SUBMIT: _l("Submit for verification"),
    RETURN: _l("Return for more work"),
    CLOSE: _l("Verify and close"),
    REOPEN: _l("Reopen"),
}
ACTION_BUTTONS = {START: "primary", SUBMIT: "success", RETURN: "warning", CLOSE: "success", REOPEN: "danger"}

#: How the history names each kind of event.
EVENT_LABELS = {
    "create": _l("Finding recorded"),
    "import": _l("Imported from a workbook"),
    "update": _l("Details changed"),
    "plan": _l("Responsible person or measures changed"),
    "note": _l("Progress recorded"),
    "evidence_removed": _l("Evidence removed"),
    START: _l("Rectification started"),
    SUBMIT: _l("Submitted for verification"),
    RETURN: _l("Returned for more work"),
    CLOSE: _l("Verified and closed"),
    REOPEN: _l("Reopened"),
}

SIDE_LABELS = {"bureau": _l("Bureau"), "city": _l("City committee"), "system": _l("System")}


def label(mapping: dict, code: str | None) -> str:
    """The label of ``code`` in ``mapping`` (the code itself when unknown)."""
    if code is None:
        return ""
    return str(mapping.get(code, code))


def ledger_subtitle(filters) -> str:
    """The line under the ledger's title saying what it holds (the page, its printout and
    the bureau report's appendix say it word for word alike); ``filters`` is
    :class:`app.findings.services.Filters`."""
    parts = []
    if filters.year:
        parts.append(_("Year %(year)s", year=filters.year))
    if filters.batch:
        parts.append(filters.batch)
    if filters.source:
        parts.append(label(SOURCES, filters.source))
    if filters.status:
        parts.append(label(STATUS_LABELS, filters.status))
    if filters.overdue:
        parts.append(_("Overdue only"))
    if filters.origin:
        parts.append(_("Raised by the city committee") if filters.origin == "city" else _("Raised by the bureau"))
    if filters.q:
        parts.append(_("Search: %(q)s", q=filters.q))
    return " · ".join(parts) or _("All findings")
