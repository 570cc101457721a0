"""City tasks (任务下发 / 材料报送 / 督办): the city asks bureaus for something by a date
and sees who answered.

Blueprints:

* ``city_bp`` — ``/city/tasks/...``: issuing a task (to all bureaus, a category, or chosen
  ones, with attachments), its progress board (filters, Excel, PDF), each bureau's answer
  with accept / return, and one click to urge the laggards (督办);
* ``bp`` — ``/b/<slug>/tasks/...``: the bureau's tasks, signing for one (签收) and
  submitting (or resubmitting) its answer with files.

The task and each bureau's state live in the catalog (the board is one query); the
answer's text and files are the bureau's own (its database and evidence store).
"""
from flask import Blueprint

bp = Blueprint("citytasks", __name__, url_prefix="/tasks", template_folder="templates")
city_bp = Blueprint("citytasks", __name__, url_prefix="/tasks", template_folder="templates")

from . import city_views, views  # noqa: E402,F401
