"""Human labels of the scoring feature's codes (English msgids, translated by Flask-Babel),
read by its pages, its forms, the reports and the exports alike."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import DRAFT, FINAL, REVIEWED, SELF_SUBMITTED

STATUS_LABELS = {DRAFT: _l("Draft"), SELF_SUBMITTED: _l("Self-assessment submitted"), REVIEWED: _l("Reviewed"),
                 FINAL: _l("Final")}
STATUS_BADGES = {DRAFT: "secondary", SELF_SUBMITTED: "info", REVIEWED: "warning", FINAL: "success"}
PART_LABELS = {"self": _l("Self-assessment"), "reviewer": _l("Review team"), "ballot": _l("Democratic rating")}
METHOD_LABELS = {"points": _l("Points (direct score)"), "deduct": _l("Deduction (down to zero)"),
                 "levels": _l("Levels (rated)")}
KIND_LABELS = {"bonus": _l("Bonus"), "deduction": _l("Deduction"), "veto": _l("Veto")}
