"""Audit trail: models, the recording service, and the two log viewers."""
from flask import Blueprint

city_bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")
bureau_bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")

from . import views  # noqa: E402,F401
