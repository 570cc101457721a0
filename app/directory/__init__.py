"""Log-in through the city's directory (LDAP) and unified identity service (OpenID Connect).

Accounts still live in ``app.accounts``; this package verifies a person against the
directory, makes their account at the first log-in and keeps the roles the directory
grants in step with its groups.
"""
from flask import Blueprint

bp = Blueprint("directory", __name__, template_folder="templates")

from . import views  # noqa: E402,F401  (routes attach to bp)
