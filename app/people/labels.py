"""Human labels of the people's identifiers (English msgids, translated by Flask-Babel)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import PERSON_KINDS

PERSON_KIND_LABELS = {
    "secretary": _l("Secretary of the Party group"),
    "member": _l("Member of the Party group / leadership"),
    "organ_committee": _l("Organ Party committee"),
    "discipline": _l("Discipline inspection"),
    "staff": _l("Responsible staff / liaison"),
}
assert tuple(PERSON_KIND_LABELS) == PERSON_KINDS
