"""``/city/jobs/``: what the job workers are doing and have done (city administrators)."""
from __future__ import annotations

from flask import render_template, request

from app.accounts.decorators import city_role

from . import city_bp, services
from .labels import KIND_LABELS, STATE_BADGES, STATE_LABELS

#: A job waiting longer than this means no worker is taking jobs: the page says so.
WORKER_SILENT_SECONDS = 120


@city_bp.route("/")
@city_role(admin=True)
def index():
    """The latest jobs (filter by kind), what waits and runs, and whether a worker is taking them."""
    kind = request.args.get("kind") if request.args.get("kind") in KIND_LABELS else None
    waiting = services.oldest_queued_seconds()
    return render_template("jobs/index.html", jobs=services.recent(limit=200, kind=kind), kind=kind,
                           depth=services.depth(), waiting=waiting, silent=waiting > WORKER_SILENT_SECONDS,
                           KIND_LABELS=KIND_LABELS, STATE_LABELS=STATE_LABELS, STATE_BADGES=STATE_BADGES)
