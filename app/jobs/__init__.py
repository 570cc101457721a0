"""Background jobs on a real queue (Huey): reports, the roll-up, backups, reminders,
upgrades.  See :mod:`app.jobs.services` for the rules and :mod:`app.jobs.queue` for the
storage; ``flask jobs worker`` runs them."""
from __future__ import annotations

import importlib

from flask import Blueprint, Flask

city_bp = Blueprint("jobs", __name__, url_prefix="/jobs", template_folder="templates")

#: Modules whose ``@handler``, ``daily`` and ``every_minute`` declarations are the jobs
#: (imported by every process, so a web worker can submit what a job worker runs).
TASK_MODULES = ("app.reports.tasks", "app.city.tasks", "app.findings.tasks", "app.tenancy.tasks",
                "app.notifications.tasks")


def init_app(app: Flask) -> None:
    """Point the queue at the application's storage and load every feature's jobs."""
    from . import queue

    queue.configure(app)
    for name in TASK_MODULES:
        importlib.import_module(name)


from . import views  # noqa: E402,F401
