"""The bureau's own Party organisations (基层党组织): the tree and the branch role.

Blueprint ``bp`` — ``/b/<slug>/orgs/...``: the tree (机关党委/党组 → 党总支 → 党支部 →
党小组), each unit's page and form, the Excel import.  A branch user (role
``branch_editor``, linked to a person who is a unit's secretary or 组织委员) sees the
units they lead and nothing else of the bureau.

Commands: ``flask orgs list`` (:mod:`.cli`).
"""
from flask import Blueprint

bp = Blueprint("orgs", __name__, url_prefix="/orgs", template_folder="templates")

from . import city_views, views  # noqa: E402,F401
