"""Human labels of the organisation codes (English msgids, translated by Flask-Babel)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import UNIT_KINDS

KIND_LABELS = {
    "party_committee": _l("Organ Party committee"),
    "leading_group": _l("Leading Party group"),
    "general_branch": _l("General Party branch"),
    "branch": _l("Party branch"),
    "group": _l("Party group (cell)"),
}
assert tuple(KIND_LABELS) == UNIT_KINDS

#: The bureau role of a branch's secretary or 组织委员 (a membership of the bureau).
BRANCH_ROLE = "branch_editor"


def kind_label(code: str) -> str:
    """The label of a unit kind, or the code itself when unknown."""
    return str(KIND_LABELS.get(code, code))
