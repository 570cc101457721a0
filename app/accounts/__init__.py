"""Accounts: users, memberships, log-in and log-out, one's own password."""
from flask import Blueprint

bp = Blueprint("accounts", __name__, template_folder="templates")

from . import views  # noqa: E402,F401  (registers the routes)
