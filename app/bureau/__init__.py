"""A bureau's own shell: its home page and its users (`/b/<slug>/...`)."""
from flask import Blueprint

bp = Blueprint("home", __name__, template_folder="templates")

from . import views  # noqa: E402,F401
