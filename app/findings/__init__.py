"""Supervision findings and rectification (督查整改), with reminders.

Blueprints:

* ``bp`` — ``/b/<slug>/findings/...``: the three lists, the ledger (print and Excel),
  the import, each finding's page and its workflow;
* ``reminders_bp`` — ``/b/<slug>/reminders/...``: the user's reminders in a bureau and
  their e-mail address for the daily digest;
* ``city_bp`` — ``/city/findings/...``: the city's register of the findings it raised,
  logging a finding into a bureau's ledger, verifying and closing it.

Commands: ``flask reminders send`` and ``flask findings reindex`` (:mod:`.cli`).
"""
from flask import Blueprint

bp = Blueprint("findings", __name__, url_prefix="/findings", template_folder="templates")
reminders_bp = Blueprint("reminders", __name__, url_prefix="/reminders", template_folder="templates")
city_bp = Blueprint("findings", __name__, url_prefix="/findings", template_folder="templates")

from . import city_views, views  # noqa: E402,F401
