"""Year locks (年度锁定): once the city locks a year, nothing of that year changes.

Features call :func:`app.years.services.ensure_open` before every write that belongs to a
year; the city's page to lock and unlock years is :mod:`app.years.views`.
"""
from flask import Blueprint

bp = Blueprint("years", __name__, url_prefix="/city/years", template_folder="templates")

from . import views  # noqa: E402,F401
