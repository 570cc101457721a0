"""A bureau's own shell: its home page and its users (`/b/<slug>/...`)."""
from flask import Blueprint

bp = Blueprint("bureau", __name__, url_prefix="/b/<slug>", template_folder="templates")

from . import views  # noqa: E402,F401
