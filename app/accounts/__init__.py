"""Accounts: users, memberships, log-in and log-out, one's own password."""
from flask import Blueprint

bp = Blueprint("accounts", __name__, template_folder="templates")

from . import security_views, views  # noqa: E402,F401  (registers the routes)


@bp.app_context_processor
def _admin_work():
    from .services import does_admin_work

    return {"does_admin_work": does_admin_work}
