"""Human labels of the meeting codes (English msgids, translated by Flask-Babel)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import MEETING_KINDS

KIND_LABELS = {
    "general_assembly": _l("Branch general meeting"),
    "committee": _l("Branch committee meeting"),
    "group": _l("Party group meeting"),
    "lecture": _l("Party lecture"),
    "theme_day": _l("Theme Party day"),
}
assert tuple(KIND_LABELS) == MEETING_KINDS

CADENCE_LABELS = {0: _l("Not expected"), 1: _l("Monthly"), 3: _l("Quarterly"), 6: _l("Half-yearly"),
                  12: _l("Yearly")}


def kind_label(code: str) -> str:
    """The label of a meeting kind, or the code itself when unknown."""
    return str(KIND_LABELS.get(code, code))


def period_label(months: int, index: int) -> str:
    """The name of a calendar period: "3月", "第2季度", "下半年", "全年"."""
    if months == 1:
        return _l("month %(n)s", n=index + 1)
    if months == 3:
        return _l("quarter %(n)s", n=index + 1)
    if months == 6:
        return _l("first half") if index == 0 else _l("second half")
    return _l("the year")


def period_labels(periods) -> str:
    """The missed periods of one kind, named and joined."""
    return "、".join(str(period_label(periods.months, i)) for i in periods.missed)
