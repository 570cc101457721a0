"""Audit trail: models, the recording service, the chain that makes it tamper-evident,
its verification and archive, and the two log viewers."""
from flask import Blueprint

city_bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")
bureau_bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")

from . import guard, views  # noqa: E402,F401
