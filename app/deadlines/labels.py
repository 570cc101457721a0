"""Labels of the deadline settings' codes (English msgids, Chinese in the catalog)."""
from flask_babel import lazy_gettext as _l

WARNING_LABELS = {"red": _l("Red warning"), "yellow": _l("Yellow warning"), "blue": _l("Blue warning"),
                  "none": _l("No warning")}
#: Bootstrap colour of each level's badge.
WARNING_BADGES = {"red": "danger", "yellow": "warning", "blue": "info", "none": "light"}
REVIEW_MODE_LABELS = {"off": _l("No review: records count at once"),
                      "bureau": _l("The bureau's Party committee office reviews"),
                      "city": _l("The city reviews")}
APPROVER_LABELS = {"bureau": _l("The bureau's administrator"), "city": _l("The city")}
