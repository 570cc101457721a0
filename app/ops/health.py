"""``/healthz`` (the process answers) and ``/readyz`` (it can serve users).

A load balancer or systemd watchdog polls ``/healthz``; ``/readyz`` says whether traffic
should come here: the catalog answers, the job queue answers, the fonts of the PDF reports are installed, and
every active bureau's database is at the head revision (a bureau behind answers 503
until ``flask tenants upgrade`` ran).  Neither needs a log-in, and neither says more
than which check failed: the bureaus behind are counted, not named.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select

from app.extensions import db

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
def healthz():
    """Alive: the process answers requests (no database needed)."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """Ready: every check passes (200), or which ones do not (503)."""
    catalog = _catalog()
    checks = {"catalog": catalog, "queue": _queue(), "fonts": _fonts(),
              "bureaus": _bureaus() if catalog["ok"] else {"ok": False, "detail": "catalog not ready"}}
    ready = all(check["ok"] for check in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def _catalog() -> dict:
    from app.tenancy import migrations

    try:
        revision = migrations.catalog_revision(db.engine)
    except Exception as error:  # noqa: BLE001 - any failure means "not ready", said as such
        current_app.logger.warning("readiness: catalog unreachable: %s", error)
        return {"ok": False, "detail": "catalog database unreachable"}
    if revision != migrations.head_revision(current_app.config["MIGRATIONS_DIR"], migrations.CATALOG):
        return {"ok": False, "detail": "catalog database not at the head revision: run flask catalog upgrade"}
    return {"ok": True}


def _queue() -> dict:
    from app.jobs.queue import queue

    try:
        queue.pending_count()  # a read of the queue's storage (SQLite file, Redis, PostgreSQL)
    except Exception as error:  # noqa: BLE001 - any failure means "not ready", said as such
        current_app.logger.warning("readiness: job queue unreachable: %s", error)
        return {"ok": False, "detail": "job queue unreachable: reports and the city's figures cannot be made"}
    return {"ok": True}


def _fonts() -> dict:
    from app.reports.pdf import check_fonts

    try:
        check_fonts(current_app.config)
    except RuntimeError as error:
        return {"ok": False, "detail": str(error)}
    return {"ok": True}


def _bureaus() -> dict:
    from app.tenancy import migrations
    from app.tenancy.models import Tenant

    try:
        head = migrations.head_revision(current_app.config["MIGRATIONS_DIR"], migrations.TENANT)
        behind = db.session.scalar(select(func.count()).select_from(Tenant).where(
            Tenant.status == "active", (Tenant.revision != head) | Tenant.revision.is_(None)))
    except Exception as error:  # noqa: BLE001
        current_app.logger.warning("readiness: bureau revisions unreadable: %s", error)
        return {"ok": False, "detail": "bureau revisions unreadable"}
    if behind:
        return {"ok": False, "detail": f"{behind} bureau database(s) behind the head revision: run flask tenants upgrade"}
    return {"ok": True}
