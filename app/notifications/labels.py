"""Labels of notification kinds and delivery states (English msgids, Chinese in the catalog)."""
from flask_babel import lazy_gettext as _l

#: What happened, as the notification centre's badge shows it.  A feature may notify with
#: a kind not listed here (it is shown as "Notice").
KIND_LABELS = {
    "record_returned": _l("Record returned"),
    "record_review": _l("Record to review"),
    "warning_red": _l("Red warning"),
    "late_entry": _l("Late entry request"),
    "task_received": _l("New city task"),
    "task_returned": _l("Task answer returned"),
    "task_accepted": _l("Task answer accepted"),
    "task_answered": _l("Task answer submitted"),
    "task_urged": _l("Urged by the city"),
    "task_branch_part": _l("A branch wrote its part of a task"),
    "finding_raised": _l("Finding raised by the city"),
    "sheet_returned": _l("Score sheet returned"),
}

DEFAULT_KIND_LABEL = _l("Notification")

DELIVERY_STATUS_LABELS = {
    "pending": _l("Delivery pending"),
    "sent": _l("Delivered"),
    "failed": _l("Delivery failed"),
}


def kind_label(kind: str) -> str:
    """The human label of a notification kind."""
    return str(KIND_LABELS.get(kind, DEFAULT_KIND_LABEL))
