"""Responsibility lists (责任清单): the city's templates, each bureau's yearly list,
progress records (履责纪实) with evidence, derived status and figures.

Two blueprints: ``bp`` serves ``/b/<slug>/duties/...`` (the bureau's pages) and
``city_bp`` serves ``/city/duty-templates/...``.
"""
from flask import Blueprint

bp = Blueprint("duties", __name__, url_prefix="/duties", template_folder="templates")
city_bp = Blueprint("duty_templates", __name__, url_prefix="/duty-templates", template_folder="templates")

from . import city_views, views  # noqa: E402,F401
