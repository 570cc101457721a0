"""Reports: meeting-ready PDFs (WeasyPrint, GB/T 9704 layout, CJK fonts), the city
summary as an editable .docx, server-side SVG charts and spreadsheet helpers.

Two blueprints: ``bp`` (``/b/<slug>/reports/…``: the bureau's annual report, score-sheet
printout and rectification ledger, for the bureau's users and city readers) and
``city_bp`` (``/city/reports/…``: the city summary, city roles only); ``flask reports``
renders them from the command line.
"""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")
city_bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")

from . import views  # noqa: E402,F401


@bp.app_template_filter("balance")
def balance_filter(text, per_line: float = 0):
    """``{{ title|balance }}``: a title broken into balanced lines (no character left alone
    on the last line), ``per_line`` in ems of the title's size (default: a 22 pt title)."""
    from .services import balanced

    return balanced(text, per_line)
