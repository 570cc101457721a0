"""Human labels of the duty identifiers (English msgids, translated by Flask-Babel).

Codes are stable identifiers (see the glossary); labels are what pages, exports and the
import workbook show.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .status import CADENCES, DONE, IN_PROGRESS, NOT_STARTED, OVERDUE

#: The five kinds of responsibility, in the order lists are shown.
CATEGORIES = {
    "party_group": _l("Party group: main responsibility"),
    "secretary": _l("Secretary: first responsible person"),
    "member": _l("Leadership members: one post, two responsibilities"),
    "organ_committee": _l("Organ Party committee: direct responsibility"),
    "discipline": _l("Discipline inspection: supervisory responsibility"),
}

#: Areas an empty list starts with.  Areas are content chosen by the city (a template may
#: add its own), so they are stored and shown as data in Chinese, not translated.
DEFAULT_AREAS = {
    "political": "政治建设",
    "ideological": "思想建设",
    "organisational": "组织建设",
    "conduct": "作风建设",
    "discipline": "纪律建设",
    "institutional": "制度建设",
    "integrity": "党风廉政建设",
    "young_cadres": "年轻干部培养",
    "supervision": "督促检查",
    "assessment": "考核评价",
}

CADENCE_LABELS = {
    "once": _l("Once"),
    "monthly": _l("Monthly"),
    "quarterly": _l("Quarterly"),
    "half_yearly": _l("Half-yearly"),
    "yearly": _l("Yearly"),
}
assert tuple(CADENCE_LABELS) == CADENCES

STATUS_LABELS = {
    NOT_STARTED: _l("Not started"),
    IN_PROGRESS: _l("In progress"),
    DONE: _l("Done"),
    OVERDUE: _l("Overdue"),
}
STATUS_BADGES = {NOT_STARTED: "secondary", IN_PROGRESS: "primary", DONE: "success", OVERDUE: "danger"}

LIST_STATUS_LABELS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "archived": _l("Archived"),
}

def default_areas() -> list[dict]:
    """The default areas as lists and templates store them."""
    return [{"code": code, "label": label} for code, label in DEFAULT_AREAS.items()]

#: Review states of a progress record (issue 16).
REVIEW_LABELS = {"pending": _l("Awaiting review"), "approved": _l("Approved"), "returned": _l("Returned")}
REVIEW_BADGES = {"pending": "warning", "approved": "success", "returned": "danger"}
