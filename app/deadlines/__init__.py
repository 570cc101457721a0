"""Deadlines with teeth (issue 16): the city's settings for warnings, closing entry and
record review, and the pure rules that read them.

The catalog holds one :class:`~app.deadlines.models.DeadlineSettings` row for the city and
the review mode chosen per template year or per bureau (:class:`ReviewMode`).  The rules
(warning level, a period's closing day) are :mod:`app.deadlines.status`, pure.  The
records themselves stay in :mod:`app.duties`, which reads these settings through
:mod:`app.deadlines.services`.  One blueprint: ``city_bp`` (``/city/deadlines/``).
"""
from flask import Blueprint

city_bp = Blueprint("deadlines", __name__, url_prefix="/deadlines", template_folder="templates")

from . import city_views  # noqa: E402,F401
