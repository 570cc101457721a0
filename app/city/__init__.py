"""City committee (市直机关工委) pages: bureaus, accounts, and later the roll-up views."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__, template_folder="templates")

from . import views  # noqa: E402,F401
