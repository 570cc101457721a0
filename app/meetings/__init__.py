"""三会一课 and 主题党日: each branch's ledger of meetings (``/b/<slug>/meetings/...``).

A branch (or a 党小组) records each meeting with its date, topic, attendance and
minutes; the bureau sets how often each kind is expected (its cadence), which drives the
"not held this period" warnings.  A branch user records for the units they lead only.
"""
from flask import Blueprint

bp = Blueprint("meetings", __name__, url_prefix="/meetings", template_folder="templates")

from . import city_views, views  # noqa: E402,F401
