"""Year locks (年度锁定): once the city locks a year, nothing of that year changes.

:mod:`app.years.guard` enforces the lock on every bureau row when the session flushes
(each model's ``lock_year_path`` leads to its year); services also call
:func:`app.years.services.ensure_open` up front, to refuse before doing any work.  The
city's page to lock and unlock years is :mod:`app.years.views`.
"""
from flask import Blueprint

bp = Blueprint("years", __name__, url_prefix="/years", template_folder="templates")

from . import guard, views  # noqa: E402,F401
