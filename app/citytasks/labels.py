"""Labels of city-task codes (English msgids, Chinese in the catalog)."""
from flask_babel import lazy_gettext as _l

STATE_LABELS = {
    "unread": _l("Task not read"),
    "read": _l("Task read"),
    "signed": _l("Task signed for"),
    "submitted": _l("Answer submitted"),
    "returned": _l("Answer returned"),
    "accepted": _l("Answer accepted"),
}
#: Not a state: a bureau that has not answered (or was returned) after the deadline.
OVERDUE_LABEL = _l("Overdue")
LATE_LABEL = _l("Answered late")

SCOPE_LABELS = {
    "all": _l("All bureaus"),
    "category": _l("A category of bureaus"),
    "chosen": _l("Chosen bureaus"),
}

FILE_ROLE_LABELS = {
    "notice": _l("Notice document"),
    "form": _l("Form to fill in"),
}

#: Board badge colours per state (Bootstrap).
STATE_COLOURS = {"unread": "secondary", "read": "info", "signed": "primary", "submitted": "warning",
                 "returned": "danger", "accepted": "success"}
