"""The city's jobs page: what waits, runs and failed, for city administrators only."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app.extensions import db
from app.jobs import services
from app.jobs.models import Job
from app.models import utcnow
from tests.helpers import login


def test_city_admins_see_jobs_with_their_state_and_reason(app, queued, city_admin, city_viewer, bureau_a):
    services.handler("report.city")  # registered by the reports package; submitted as a page would
    job = services.submit("report.city", "report:test", {"year": 2026}, requested_by="city")
    failed = services.submit("backups.nightly", "backups.nightly:2026-12-02", {})
    with db.engine.begin() as connection:
        connection.execute(update(Job).where(Job.id == failed.id).values(
            state="failed", dedup=None, attempts=3, error="pg_dump failed: disk full", finished_at=utcnow()))
        connection.execute(update(Job).where(Job.id == job.id).values(enqueued_at=utcnow() - timedelta(minutes=5)))
    client = app.test_client()
    login(client, city_admin.username)
    page = client.get("/city/jobs/").get_data(as_text=True)
    assert "全市汇总报告" in page and "每晚备份" in page and "pg_dump failed: disk full" in page
    assert "第 3 次" in page and "systemctl status zeren-worker" in page  # waited 5 minutes: no worker
    only = client.get("/city/jobs/?kind=backups.nightly").get_data(as_text=True)
    assert "pg_dump failed" in only and "全市汇总报告</td>" not in only
    viewer = app.test_client()
    login(viewer, city_viewer.username)
    assert viewer.get("/city/jobs/").status_code in (403, 404)
